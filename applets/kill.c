// kill.c: docker kill: send a signal (SIGKILL by default) to containers.
//
//applet:kill "<1 s(signal):"
//config:config KILL
//config:	bool "kill: send a signal to running containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: kill [-s SIGNAL] CONTAINER...
//config:
//config:	  -s, --signal SIG   Signal to send (default KILL)

#define FOR_kill
#include "ocibox.h"
#include "generated/flags.h"
#include <signal.h>

void kill_main(void)
{
  struct store st;
  int sig = SIGKILL;

  if (FLAG(s) && (sig = signal_parse(OPTSTR(s))) < 0) error_exit("%s", applet.why);
  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    if (strcmp(c.status, "running"))
      error_msg("cannot kill container: %s: container %s is not running", applet.argv[i], id);
    else if ((CFG_RESTART_POLICIES && policy_mark_stopped(&st, id, 1)) || container_signal(&c, sig) < 0)
      error_msg("%s", applet.why);
    else {
      // Docker waits for a SIGKILL to take: inspect after kill says exited.
      if (sig == SIGKILL) container_wait_exit(&st, &c, 10000);
      puts(applet.argv[i]);
    }
    container_free(&c);
  }
  store_close(&st);
}
