// rm.c: docker rm: remove containers (running ones only with -f).
//
//applet:rm "<1 f(force) v(volumes)"
//config:config RM
//config:	bool "rm: remove containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: rm [-f] [-v] CONTAINER...
//config:
//config:	  Remove one or more containers.
//config:
//config:	  -f, --force     Force the removal of a running container (uses SIGKILL)
//config:	  -v, --volumes   Remove the anonymous volumes (-v DST) with it

#define FOR_rm
#include "ocibox.h"
#include "generated/flags.h"
#include <signal.h>

void rm_main(void)
{
  struct store st;

  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    if (!strcmp(c.status, "running") || !strcmp(c.status, "restarting")) {
      if (!FLAG(f)) {
        error_msg("cannot remove container \"/%s\": container is running: stop the container "
                  "before removing or force remove", c.name);
        container_free(&c);
        continue;
      }
      container_stop(&st, &c, SIGKILL, -1);
    }
    // Renamed out of containers/ first: a crash leaves tmp/ garbage, not
    // half a container.
    char *dir = container_path(&st, id, 0), *gone = xmprintf("%s/tmp/%d-rm-%s", st.root, (int)getpid(), id);
    if (rename(dir, gone) && errno != ENOENT) perror_msg("rename %s", dir);
    else {
      fsync_dir_at(st.fd, "containers");
      rm_rf(gone);
      if (CFG_VOLUMES && FLAG(v)) volumes_drop_anonymous(&st, c.config);
      // Its supervisor may have died before it could remove them.
      if (CFG_CGROUPS) cgroup_remove(id);
      puts(applet.argv[i]);
    }
    free(dir);
    free(gone);
    container_free(&c);
  }
  store_close(&st);
}
