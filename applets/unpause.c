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
  containers_freeze(0);
}
