// unpause.c: docker unpause: thaw paused containers.
//
//applet:unpause "<1"
//config:config UNPAUSE
//config:	bool "unpause: unpause paused containers"
//config:	default y
//config:	depends on RUN && CGROUPS
//config:	help
//config:	  usage: unpause CONTAINER...
//config:
//config:	  Resume all processes of paused containers.

#define FOR_unpause
#include "ocibox.h"
#include "generated/flags.h"

void unpause_main(void)
{
  struct store st;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    if (strcmp(c.status, "running")) error_msg("Container %s is not running", id);
    else if (!c.paused) error_msg("Container %s is not paused", id);
    else if (cgroup_freeze(id, 0) < 0) error_msg("%s", applet.why);
    else puts(applet.argv[i]);
    container_free(&c);
  }
  store_close(&st);
}
