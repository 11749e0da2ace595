// image-prune.c: docker image prune: delete dangling images (no tag), or
// with -a every image no container uses; their unused layers go too.
//
//applet:image-prune "<0 >0 a(all) f(force)"
//config:config IMAGE_PRUNE
//config:	bool "image-prune: remove unused images"
//config:	default y
//config:	help
//config:	  usage: image-prune [-a] [-f]
//config:
//config:	  Remove dangling images (docker image prune); with -a, all
//config:	  images without a container.
//config:
//config:	  -a, --all     Remove all unused images, not just dangling ones
//config:	  -f, --force   Do not prompt for confirmation

#define FOR_image_prune
#include "ocibox.h"
#include "generated/flags.h"

static void deleted_layer(const char *chain)
{
  printf("deleted: %s\n", chain);
}

// Is the image (config digest id) what some container was made from?
static int in_use(struct store *st, const char *id)
{
  int used = 0;
  if (!CFG_RUN) return 0;
  struct strlist *ids = container_ids(st);
  for (struct strlist *l = ids; l && !used; l = l->next) {
    struct container c;
    if (container_load(st, l->s, &c) < 0) continue;
    const char *img = json_get_str(c.config, "Image");
    used = img && !strcmp(img, id);
    container_free(&c);
  }
  strlist_free(ids);
  return used;
}

void image_prune_main(void)
{
  struct store st;
  struct index ix = {0};
  struct img_list l = {0};
  struct buf out = {0};
  char sz[24];
  int64_t freed = 0;
  size_t ngone = 0;

  if (!FLAG(f) && !confirm(FLAG(a) ? "WARNING! This will remove all images without at least one container associated to them."
                                     : "WARNING! This will remove all dangling images."))
    return;
  if (store_open(&st, STORE_USE) < 0) {
    puts("Total reclaimed space: 0B");
    return;
  }
  if (index_lock(&st, &ix) < 0) error_exit("%s", applet.why);
  images_load(&st, &ix, &l);
  // Decide under the lock; drop their entries (highest position first).
  char *gone = xzalloc(l.n + 1);
  size_t *drop = xmalloc((ix.n + 1) * sizeof(*drop)), ndrop = 0;
  for (size_t i = 0; i < l.n; i++) {
    struct img_info *m = l.v + i;
    struct img_ref *r;
    size_t n = img_refs(&ix, m, &r), tags = 0;
    for (size_t k = 0; k < n; k++) tags += !!*r[k].tag;
    if (!m->broken && (FLAG(a) || !tags) && !in_use(&st, m->id)) {
      gone[i] = 1;
      for (size_t k = 0; k < n; k++)
        buf_printf(&out, "untagged: %s%s%s\n", r[k].repo, *r[k].tag ? ":" : "@", *r[k].tag ? r[k].tag : r[k].digest);
      buf_printf(&out, "deleted: %s\n", m->id);
      freed += m->size;
      for (size_t k = 0; k < m->nents; k++) drop[ndrop++] = m->ents[k];
      ngone++;
    }
    free(r);
  }
  for (size_t i = 0; i < ndrop; i++)  // highest first, so positions hold
    for (size_t k = i + 1; k < ndrop; k++)
      if (drop[k] > drop[i]) {
        size_t t = drop[i];
        drop[i] = drop[k], drop[k] = t;
      }
  for (size_t i = 0; i < ndrop; i++) index_drop(&ix, drop[i]);
  if (ngone && index_save(&st, &ix) < 0) error_exit("%s", applet.why);
  index_unlock(&st);
  if (ngone) printf("Deleted Images:\n%s", buf_str(&out));
  for (size_t i = 0; i < l.n; i++)
    if (gone[i] && img_remove_unused(&st, &l.v[i].im, deleted_layer) < 0) error_msg("%s", applet.why);
  if (ngone) putchar('\n');
  printf("Total reclaimed space: %s\n", fmt_size(sz, freed));
  free(gone);
  free(drop);
  buf_free(&out);
  images_free(&l);
  index_free(&ix);
  store_close(&st);
}
