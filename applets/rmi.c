// rmi.c: docker rmi: untag images, and delete an image with its unused
// blobs and layers once no name is left (moby daemon/images
// image_delete.go: its order, its conflicts and its messages).
//
//applet:rmi "<1 f(force) (no-prune)"
//config:config RMI
//config:	bool "rmi: remove images"
//config:	default y
//config:	help
//config:	  usage: rmi [OPTIONS] IMAGE [IMAGE...]
//config:
//config:	  Remove one or more images. A name is untagged; an image whose
//config:	  last name goes is deleted with the layers no other image uses.
//config:	  By ID, an image with names in several repositories needs -f.
//config:
//config:	  -f, --force      Force removal of the image
//config:	      --no-prune   Do not delete untagged parents

#define FOR_rmi
#include "ocibox.h"
#include "generated/flags.h"

// Docker's containers.First: a container created from image id (a
// running one only, if asked); its ID (free it), or NULL.
static char *container_using(struct store *st, const char *id, int running)
{
  struct strlist *ids, *l;
  char *found = 0;

  if (!CFG_RUN) return 0;
  for (l = ids = container_ids(st); l && !found; l = l->next) {
    struct container c;
    if (container_load(st, l->s, &c) < 0) continue;
    const char *img = json_get_str(c.config, "Image");
    // Docker's IsRunning: paused and restarting containers run too
    int up = !strcmp(c.status, "running") || !strcmp(c.status, "paused") ||
             !strcmp(c.status, "restarting");
    if (img && !strcmp(img, id) && (up || !running)) found = xstrdup(c.id);
    container_free(&c);
  }
  strlist_free(ids);
  return found;
}

// Docker's imageDeleteConflict for deleting m now; *used: by a container.
// A running container stops it even with -f; names left or a stopped
// container, without -f.
static int conflict(struct store *st, const struct img_info *m, int refs_left, int *used)
{
  char *c = container_using(st, m->id, 1);
  int rc = 0;

  *used = !!c;
  if (c)
    rc = fail(EBUSY, "conflict: unable to delete %.12s (cannot be forced) - image is being used by running container %.12s", m->id + 7, c);
  else if (FLAG(f)) return 0;
  else if (refs_left)
    return fail(EBUSY, "conflict: unable to delete %.12s (must be forced) - image is referenced in multiple repositories", m->id + 7);
  else if ((c = container_using(st, m->id, 0))) {
    *used = 1;
    rc = fail(EBUSY, "conflict: unable to delete %.12s (must be forced) - image is being used by stopped container %.12s", m->id + 7, c);
  }
  free(c);
  return rc;
}

// All references in one repository with at most one tag (isSingleReference).
static int single_reference(const struct img_ref *r, size_t n)
{
  const struct img_ref *tag = 0, *canon = 0;

  if (n <= 1) return n == 1;
  for (size_t i = 0; i < n; i++) {
    if (*r[i].tag) {
      if (tag) return 0;
      tag = r + i;
    } else if (!canon) canon = r + i;
    else if (strcmp(canon->repo, r[i].repo)) return 0;
  }
  return canon && !strcmp(canon->repo, (tag ? tag : r)->repo);
}

static void untagged(struct buf *out, const struct img_ref *r)
{
  buf_printf(out, "Untagged: %s%s%s\n", r->repo, *r->tag ? ":" : "@", *r->tag ? r->tag : r->digest);
}

static char *dup_str(const char *s)
{
  return s ? xstrdup(s) : 0;
}

static struct index_entry copy_entry(const struct index_entry *e)
{
  struct index_entry c = *e;
  c.name = dup_str(e->name);
  c.media_type = dup_str(e->media_type);
  c.repo_digest = dup_str(e->repo_digest);
  c.created = dup_str(e->created);
  return c;
}

// Write m's remaining references back as index entries: a tagged entry
// keeps its repository digest while that stays; a digest no tagged entry
// carries gets an entry of its own; no name at all leaves one dangling
// entry, unless the image is deleted.
static void rewrite(struct index *ix, const struct img_info *m, struct img_ref *r,
                    const char *keep, size_t n, int del)
{
  struct index_entry *fresh = xzalloc((n + m->nents + 1) * sizeof(*fresh));
  const char **repo = xzalloc((n + m->nents + 1) * sizeof(*repo));
  size_t nf = 0, i, j;

  for (i = 0; !del && i < n; i++) {
    if (!keep[i] || !*r[i].tag) continue;
    struct index_entry *e = fresh + nf;
    *e = copy_entry(ix->e + r[i].ent);
    repo[nf++] = r[i].repo;
    for (j = 0; e->repo_digest && j < n; j++)
      if (keep[j] && !strcmp(r[j].repo, r[i].repo) && !strcmp(r[j].digest, e->repo_digest)) break;
    if (e->repo_digest && j == n) free(e->repo_digest), e->repo_digest = 0;
  }
  for (i = 0; !del && i < n; i++) {
    size_t free_slot = nf;
    if (!keep[i] || *r[i].tag) continue;
    for (j = 0; j < nf; j++) {
      if (!repo[j] || strcmp(repo[j], r[i].repo)) continue;
      if (fresh[j].repo_digest && !strcmp(fresh[j].repo_digest, r[i].digest)) break;
      if (!fresh[j].repo_digest && free_slot == nf) free_slot = j;
    }
    if (j < nf) continue;
    if (free_slot < nf) {
      fresh[free_slot].repo_digest = xstrdup(r[i].digest);
      continue;
    }
    // As a digest pull records it: the name repo@digest.
    fresh[nf] = copy_entry(ix->e + r[i].ent);
    free(fresh[nf].name);
    free(fresh[nf].repo_digest);
    fresh[nf].name = xstrdup(r[i].full);
    fresh[nf++].repo_digest = xstrdup(r[i].digest);
  }
  // Names that do not parse as references are none of our business.
  for (i = 0; !del && i < m->nents; i++) {
    struct ref x;
    const struct index_entry *e = ix->e + m->ents[i];
    if (e->name && ref_parse(e->name, &x) < 0) fresh[nf++] = copy_entry(e);
  }
  if (!del && !nf) {
    fresh[nf] = copy_entry(ix->e + m->ents[0]);
    free(fresh[nf].name);
    free(fresh[nf].repo_digest);
    fresh[nf].name = fresh[nf].repo_digest = 0;
    nf++;
  }
  for (i = m->nents; i-- > 0;) index_drop(ix, m->ents[i]);
  for (i = 0; i < nf; i++) *index_add(ix) = fresh[i];
  free(fresh);
  free(repo);
}

static void deleted_layer(const char *chain)
{
  printf("Deleted: %s\n", chain);
}

// Docker's ImageDelete for one argument: decide under index.lock, save
// index.json (atomic), then print, then remove what nothing uses any more.
// A crash in between leaves only unreferenced files.
static int rmi_one(const char *arg)
{
  struct store st;
  struct index ix = {0};
  struct img_list l = {0};
  struct img_ref *r = 0;
  struct buf out = {0};
  char *keep = 0;
  size_t n = 0, i;
  int rc, used, del = 0, left, opened;

  if (!(opened = (rc = store_open(&st, STORE_USE)) >= 0) || (rc = index_lock(&st, &ix)) < 0) goto out;
  images_load(&st, &ix, &l);
  if ((rc = img_resolve(&l, &ix, arg, 0)) < 0) goto out;
  struct img_info *m = l.v + rc;
  n = img_refs(&ix, m, &r);
  keep = memset(xmalloc(n + 1), 1, n + 1);
  left = n;
  int single = single_reference(r, n), quiet = 0;
  size_t alen = strlen(arg);
  int by_id = !strncmp(m->id, arg, alen) || !strncmp(m->id + 7, arg, alen);

  if (!by_id) {
    // A name: untag it; a tag's repository digests go with its last tag.
    struct ref x;
    struct buf full = {0};
    char *c;
    ref_parse(arg, &x);
    if (*x.digest) *x.tag = 0;
    // Untagging the last name of an image a container uses needs -f.
    if (!FLAG(f) && single && (c = container_using(&st, m->id, 0))) {
      rc = fail(EBUSY, "conflict: unable to remove repository reference \"%s\" (must force) - container %.12s is using its referenced image %.12s", arg, c, m->id + 7);
      free(c);
      goto out;
    }
    ref_full(&x, &full);
    for (i = 0; i < n && strcmp(r[i].full, full.s); i++);
    buf_free(&full);
    if (i < n) {
      keep[i] = 0;
      left--;
      untagged(&out, r + i);
    }
    if (i < n && *x.tag) {
      size_t t;
      for (t = 0; t < n && !(keep[t] && *r[t].tag && !strcmp(r[t].repo, r[i].repo)); t++);
      for (size_t d = 0; t == n && d < n; d++)
        if (keep[d] && !*r[d].tag && !strcmp(r[d].repo, r[i].repo)) {
          keep[d] = 0;
          left--;
          untagged(&out, r + d);
        }
    }
    quiet = 1;
  } else if (single) {
    // An ID with one name (and its digests): untag them, then delete.
    if ((rc = conflict(&st, m, 0, &used)) < 0) goto out;
    for (i = 0; i < n; i++) untagged(&out, r + i), keep[i] = 0;
    left = 0;
  }
  if (!quiet || !left) {
    if ((rc = conflict(&st, m, left, &used)) < 0) {
      // Untagging the last name is done; the image stays, dangling.
      if (!quiet || !used) goto out;
    } else {
      for (i = 0; i < n; i++)
        if (keep[i]) untagged(&out, r + i), keep[i] = 0;
      buf_printf(&out, "Deleted: %s\n", m->id);
      del = 1;
    }
  }
  rewrite(&ix, m, r, keep, n, del);
  if ((rc = index_save(&st, &ix)) < 0) goto out;
  index_unlock(&st);
  fputs(buf_str(&out), stdout);
  if (del) rc = img_remove_unused(&st, &m->im, deleted_layer);
out:
  free(r);
  free(keep);
  buf_free(&out);
  images_free(&l);
  index_free(&ix);
  if (opened) store_close(&st);
  return rc < 0 ? rc : 0;
}

void rmi_main(void)
{
  struct strlist *errs = 0;
  int fatal = 0;

  for (int i = 0; i < applet.argc; i++) {
    int rc = rmi_one(applet.argv[i]);
    if (rc >= 0) continue;
    strlist_add(&errs, xstrdup(applet.why));
    if (rc != -ENOENT) fatal = 1;
  }
  // Like the CLI: the errors after the output; with -f, unknown images
  // alone are no failure.
  for (struct strlist *e = errs; e; e = e->next) error_msg("%s", e->s);
  if (errs) applet.exitval = !FLAG(f) || fatal;
}
