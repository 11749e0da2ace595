// system-df.c: docker system df: space used by images and containers.
//
//applet:system-df "<0 >0"
//config:config SYSTEM_DF
//config:	bool "system-df: show disk usage (docker system df)"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: system-df
//config:
//config:	  Show the space images and containers use, as `docker system df`:
//config:	  unpacked layers counted once however many images share them.

#define FOR_system_df
#include "ocibox.h"
#include "generated/flags.h"


struct chain {
  char id[72];
  int used;  // by an image some container uses
};

static void row(struct buf *t, const char *type, int total, int active, int64_t size, int64_t reclaim)
{
  char a[24], b[24];

  buf_printf(t, "%s\t%d\t%d\t%s\t%s", type, total, active, fmt_size(a, size), fmt_size(b, reclaim));
  if (size > 0) buf_printf(t, " (%d%%)", (int)(reclaim * 100 / size));
  buf_addc(t, '\n');
}

void system_df_main(void)
{
  struct store st;
  struct index ix = {0};
  struct chain *chains = 0;
  size_t nchains = 0;
  struct strlist *ids = 0;
  struct buf t = {0};
  int nimages = 0, active_images = 0, nctr = 0, running = 0;
  int64_t isize = 0, ireclaim = 0, csize = 0, creclaim = 0;
  char **seen = 0;
  size_t nseen = 0;

  if (store_open(&st, STORE_READ) == 0) {
    index_load(&st, &ix);
    ids = container_ids(&st);
  }
  // Images: one per config digest; each unique layer counted once.
  for (size_t i = 0; i < ix.n; i++) {
    struct image im;
    if (image_load(&st, ix.e[i].digest, &im) < 0) continue;
    int dup = 0;
    for (size_t k = 0; k < nseen; k++) dup |= !strcmp(seen[k], im.config_digest);
    if (!dup) {
      seen = xrealloc(seen, (nseen + 1) * sizeof(*seen));
      seen[nseen++] = xstrdup(im.config_digest);
      nimages++;
      int in_use = 0;
      for (struct strlist *l = ids; l; l = l->next) {
        struct container c;
        if (container_load(&st, l->s, &c) < 0) continue;
        const char *m = json_get_str(c.config, "Image");
        in_use |= m && !strcmp(m, im.config_digest);
        container_free(&c);
      }
      active_images += in_use;
      for (size_t k = 0; k < im.nlayers; k++) {
        size_t c = 0;
        while (c < nchains && strcmp(chains[c].id, im.chain_ids[k])) c++;
        if (c == nchains) {
          chains = xrealloc(chains, (nchains + 1) * sizeof(*chains));
          strcpy(chains[nchains].id, im.chain_ids[k]);
          chains[nchains++].used = 0;
        }
        chains[c].used |= in_use;
      }
    }
    image_free(&im);
  }
  for (size_t c = 0; c < nchains; c++) {
    int64_t sz = layer_size(&st, chains[c].id);
    if (sz < 0) continue;
    isize += sz;
    if (!chains[c].used) ireclaim += sz;
  }
  // Containers: what their upper dirs hold.
  for (struct strlist *l = ids; l; l = l->next) {
    struct container c;
    if (container_load(&st, l->s, &c) < 0) continue;
    char *up = container_path(&st, l->s, "upper");
    int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int64_t sz = fd >= 0 ? du_at(fd) : 0;
    nctr++;
    csize += sz;
    if (!strcmp(c.status, "running")) running++;
    else creclaim += sz;
    free(up);
    container_free(&c);
  }
  buf_adds(&t, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE\n");
  row(&t, "Images", nimages, active_images, isize, ireclaim);
  row(&t, "Containers", nctr, running, csize, creclaim);
  row(&t, "Local Volumes", 0, 0, 0, 0);
  row(&t, "Build Cache", 0, 0, 0, 0);
  table_flush(t.s, stdout);
  for (size_t k = 0; k < nseen; k++) free(seen[k]);
  free(seen);
  free(chains);
  strlist_free(ids);
  index_free(&ix);
  buf_free(&t);
}
