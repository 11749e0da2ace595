// restart.c: docker restart: stop (the stop signal, then SIGKILL after
// the timeout) and start again, detached.
//
//applet:restart "<1 t(time)#"
//config:config RESTART
//config:	bool "restart: restart containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: restart [-t SECONDS] CONTAINER...
//config:
//config:	  -t, --time N   Seconds to wait for it to stop before killing it (default 10)

#define FOR_restart
#include "ocibox.h"
#include "generated/flags.h"
#include <signal.h>

void restart_main(void)
{
  struct store st;
  int secs = FLAG(t) ? (int)OPTNUM(t) : -2;

  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    int sig = 0, t = secs;
    container_stop_defaults(&c, &sig, &t);
    container_stop(&st, &c, sig, t);
    container_free(&c);
    if (container_start(&st, id, 1, 0, 0) < 0) error_msg("%s", applet.why);
    else puts(applet.argv[i]);
  }
  store_close(&st);
}
