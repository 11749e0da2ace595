// create.c: docker create: a container from an image, not started.
//
//applet:create "^<1 i(interactive) t(tty) (rm) (name): e(env)* (env-file)* w(workdir): u(user): h(hostname): (entrypoint): (network): (read-only) (privileged) m(memory): (memory-swap): (cpus): c(cpu-shares)# (pids-limit)# p(publish)* P(publish-all) (restart): v(volume)* (stop-signal): (stop-timeout)# (add-host)* (dns)* (cap-add)* (cap-drop)* (ulimit)* (init)" err125
//config:config CREATE
//config:	bool "create: create a new container"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: create [OPTIONS] IMAGE [COMMAND] [ARG...]
//config:
//config:	  Create a new container (pulling the image when it is not in the
//config:	  store) and print its ID; start runs it. Options go before IMAGE.
//config:
//config:	  @include run

#define FOR_create
#include "ocibox.h"
#include "generated/flags.h"

void create_main(void)
{
  struct create_opts o = CREATE_OPTS_FROM_FLAGS;
  char id[65];

  xcontainer_create(&o, id);
  puts(id);
}
