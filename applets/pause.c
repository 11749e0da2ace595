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
  containers_freeze(1);
}
