// container-prune.c: docker container prune: remove every stopped container.
//
//applet:container-prune "<0 >0 f(force)"
//config:config CONTAINER_PRUNE
//config:	bool "container-prune: remove all stopped containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: container-prune [-f]
//config:
//config:	  Remove all stopped containers (docker container prune).
//config:
//config:	  -f, --force   Do not prompt for confirmation

#define FOR_container_prune
#include "ocibox.h"
#include "generated/flags.h"

void container_prune_main(void)
{
  struct store st;
  struct strlist *ids, *l;
  int64_t freed = 0;
  int any = 0;
  char sz[24];

  if (!FLAG(f) && !confirm("WARNING! This will remove all stopped containers.")) return;
  if (store_open(&st, STORE_USE) < 0) {
    printf("Total reclaimed space: 0B\n");
    return;
  }
  ids = container_ids(&st);
  for (l = ids; l; l = l->next) {
    struct container c;
    if (container_load(&st, l->s, &c) < 0) continue;
    if (strcmp(c.status, "running")) {
      char *dir = container_path(&st, l->s, 0), *gone = xmprintf("%s/tmp/%d-rm-%s", st.root, (int)getpid(), l->s);
      char *up = container_path(&st, l->s, "upper");
      int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      int64_t n = fd >= 0 ? du_at(fd) : 0;
      if (!rename(dir, gone)) {
        if (!any++) puts("Deleted Containers:");
        puts(l->s);
        freed += n;
        rm_rf(gone);
        if (CFG_CGROUPS) cgroup_remove(l->s);
      }
      free(dir);
      free(gone);
      free(up);
    }
    container_free(&c);
  }
  if (any) putchar('\n');
  fsync_dir_at(st.fd, "containers");
  printf("Total reclaimed space: %s\n", fmt_size(sz, freed));
  strlist_free(ids);
  store_close(&st);
}
