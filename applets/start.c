// start.c: docker start: start stopped containers, detached, or attached
// to one (-a, -i) with its output and exit status.
//
//applet:start "<1 a(attach) i(interactive)"
//config:config START
//config:	bool "start: start stopped containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: start [-a] [-i] CONTAINER...
//config:
//config:	  Start one or more created or stopped containers.
//config:
//config:	  -a, --attach        Attach STDOUT/STDERR and forward signals
//config:	  -i, --interactive   Attach the container's STDIN

#define FOR_start
#include "ocibox.h"
#include "generated/flags.h"

void start_main(void)
{
  struct store st;
  int attach = FLAG(a) || FLAG(i);

  if (attach && applet.argc > 1) error_exit("you cannot start and attach multiple containers at once");
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    char id[65];
    int code;
    if (container_find(&st, applet.argv[i], id) < 0) {
      error_msg("%s", applet.why);
      continue;
    }
    code = container_start(&st, id, !attach, FLAG(i), 0);
    if (code < 0) {
      error_msg("%s", applet.why);
      if (attach) applet.exitval = -code;
    } else if (attach) applet.exitval = code;
    else puts(applet.argv[i]);
  }
  store_close(&st);
}
