// pause.c: docker pause: freeze every process of running containers.
//
//applet:pause "<1"
//config:config PAUSE
//config:	bool "pause: pause (freeze) running containers"
//config:	default y
//config:	depends on RUN && CGROUPS
//config:	help
//config:	  usage: pause CONTAINER...
//config:
//config:	  Suspend all processes of containers (the cgroup freezer).

#define FOR_pause
#include "ocibox.h"
#include "generated/flags.h"

void pause_main(void)
{
  struct store st;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    if (strcmp(c.status, "running")) error_msg("Container %s is not running", id);
    else if (c.paused) error_msg("Container %s is already paused", id);
    else if (cgroup_freeze(id, 1) < 0) error_msg("%s", applet.why);
    else puts(applet.argv[i]);
    container_free(&c);
  }
  store_close(&st);
}
