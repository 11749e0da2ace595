// wait.c: docker wait: block until containers stop, print their exit codes.
//
//applet:wait "<1"
//config:config WAIT
//config:	bool "wait: wait for containers to stop"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: wait CONTAINER...
//config:
//config:	  Block until one or more containers stop, then print their exit codes.

#define FOR_wait
#include "ocibox.h"
#include "generated/flags.h"

void wait_main(void)
{
  struct store st;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    container_wait_exit(&st, &c, -1);
    printf("%d\n", c.exit_code);
    fflush(stdout);
    container_free(&c);
  }
  store_close(&st);
}
