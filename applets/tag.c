// tag.c: docker tag: another name for an image in the store (the CLI's
// client.ImageTag checks, then the daemon's postImagesTag and TagImage).
//
//applet:tag "<2 >2"
//config:config TAG
//config:	bool "tag: give an image another name"
//config:	default y
//config:	help
//config:	  usage: tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]
//config:
//config:	  Create TARGET_IMAGE as a new name for SOURCE_IMAGE: a name,
//config:	  NAME@DIGEST, an image ID or a unique prefix of one. An image
//config:	  whose last name moves to another image stays, untagged.

#define FOR_tag
#include "ocibox.h"
#include "generated/flags.h"

static NORETURN void bad_ref(const char *s)
{
  error_exit("error parsing reference: \"%s\" is not a valid repository/tag: %s", s, applet.why);
}

void tag_main(void)
{
  const char *src = applet.argv[0], *dst = applet.argv[1];
  struct buf full = {0}, fam = {0};
  struct store st;
  struct index ix;
  struct img_list l;
  struct ref r;
  struct timespec ts;
  char now[40], digest[72], *type;
  size_t from;
  int64_t size;

  if (!is_image_id(src) && ref_parse(src, &r) < 0) bad_ref(src);
  if (ref_parse(dst, &r) < 0) bad_ref(dst);
  if (*r.digest) error_exit("refusing to create a tag with a digest reference");
  ref_familiar_name(&r, &fam);
  if (!strcmp(fam.s, "sha256"))
    error_exit("refusing to create an ambiguous tag using digest algorithm as name");
  ref_full(&r, &full);

  // Resolve and change under index.lock: nobody moves the source meanwhile.
  if (store_open(&st, STORE_USE) < 0 || index_lock(&st, &ix) < 0) error_exit("%s", applet.why);
  images_load(&st, &ix, &l);
  int k = img_resolve(&l, &ix, src, &from);
  if (k < 0) error_exit("%s", applet.why);
  if (l.v[k].broken) error_exit("%s", l.v[k].broken);
  strcpy(digest, ix.e[from].digest);
  type = ix.e[from].media_type ? xstrdup(ix.e[from].media_type) : 0;
  size = ix.e[from].size;
  clock_gettime(CLOCK_REALTIME, &ts);
  fmt_rfc3339nano(now, &ts);

  struct index_entry *e = index_find(&ix, full.s);
  if (e && strcmp(e->digest, digest)) {
    // The image losing the name stays, dangling, unless another entry
    // holds its manifest (as pull does).
    size_t i;
    for (i = 0; i < ix.n && (ix.e + i == e || strcmp(ix.e[i].digest, e->digest)); i++);
    if (i == ix.n) {
      struct index_entry *d = index_add(&ix);
      e = index_find(&ix, full.s);
      *d = *e;
      d->name = d->repo_digest = 0;
      d->media_type = e->media_type ? xstrdup(e->media_type) : 0;
      d->created = e->created ? xstrdup(e->created) : 0;
    }
    // The registry's digest was the old image's.
    free(e->repo_digest);
    e->repo_digest = 0;
  }
  if (!e) {
    e = index_add(&ix);
    e->name = xstrdup(full.s);
  }
  snprintf(e->digest, sizeof(e->digest), "%s", digest);
  free(e->media_type);
  e->media_type = type;
  e->size = size;
  free(e->created);
  e->created = xstrdup(now);
  // A dangling entry of this manifest has a name now.
  for (size_t i = ix.n; i-- > 0;)
    if (!ix.e[i].name && !strcmp(ix.e[i].digest, digest)) index_drop(&ix, i);
  if (index_save(&st, &ix) < 0) error_exit("%s", applet.why);
  index_unlock(&st);
  images_free(&l);
  index_free(&ix);
  store_close(&st);
  buf_free(&full);
  buf_free(&fam);
}
