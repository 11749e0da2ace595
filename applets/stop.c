// stop.c: docker stop: the stop signal, then SIGKILL after the timeout.
//
//applet:stop "<1 t(time)# s(signal):"
//config:config STOP
//config:	bool "stop: stop running containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: stop [-t SECONDS] [-s SIGNAL] CONTAINER...
//config:
//config:	  Send the stop signal (SIGTERM), then SIGKILL when the container
//config:	  is still running after the timeout.
//config:
//config:	  -t, --time N       Seconds to wait before killing it (default: its
//config:	                     --stop-timeout, else 10)
//config:	  -s, --signal SIG   Signal to send (default: its stop signal, else SIGTERM)

#define FOR_stop
#include "ocibox.h"
#include "generated/flags.h"
#include <signal.h>

void stop_main(void)
{
  struct store st;
  int sig0 = 0, secs0 = FLAG(t) ? (int)OPTNUM(t) : -2;

  if (FLAG(s) && (sig0 = signal_parse(OPTSTR(s))) < 0) error_exit("%s", applet.why);
  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    int sig = sig0, secs = secs0;
    container_stop_defaults(&c, &sig, &secs);
    container_stop(&st, &c, sig, secs);
    container_free(&c);
    puts(applet.argv[i]);
  }
  store_close(&st);
}
