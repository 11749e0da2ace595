// save.c: docker save: images as one tar in Docker 25+'s layout (SPECS.md
// §6): an OCI image layout holding the exact stored blobs, so digests and
// image IDs survive the trip, plus manifest.json and repositories for
// older loaders. Plain tar whatever the file is called, as Docker does.
//
//applet:save "<1 o(output):"
//config:config SAVE
//config:	bool "save: write images to a tar archive"
//config:	default y
//config:	depends on ARCHIVE
//config:	help
//config:	  usage: save [-o FILE] IMAGE...
//config:
//config:	  Save one or more images to a tar archive (streamed to STDOUT by
//config:	  default). A name without a tag saves every tag of it; an image
//config:	  ID saves the image untagged.
//config:
//config:	  -o, --output FILE  Write to a file, instead of STDOUT

#define FOR_save
#include "ocibox.h"
#include "generated/flags.h"
#include <archive.h>
#include <archive_entry.h>

// One image in the archive: its manifest and the names to tag it with.
struct pick {
  struct index_entry *e;
  struct image im;
  struct strlist *names;  // full names with a tag
};

struct save {
  struct store st;
  struct index ix;
  struct pick *p;
  size_t n;
  struct archive *a;
  struct strlist *done;   // blobs written
  char buf[65536];
};

static void add(struct save *s, struct index_entry *e, const char *name)
{
  struct pick *p = 0;

  for (size_t i = 0; i < s->n; i++)
    if (!strcmp(s->p[i].e->digest, e->digest)) p = s->p + i;
  if (!p) {
    s->p = xrealloc(s->p, (s->n + 1) * sizeof(*s->p));
    p = memset(s->p + s->n++, 0, sizeof(*p));
    p->e = e;
    if (image_load(&s->st, e->digest, &p->im) < 0) error_exit("%s", applet.why);
  }
  // Digest references are no tags (Docker's addAssoc skips them).
  if (!name || strchr(name, '@')) return;
  for (struct strlist *l = p->names; l; l = l->next)
    if (!strcmp(l->s, name)) return;
  strlist_add(&p->names, xstrdup(name));
}

// Docker's parseNames: NAME:TAG that tag, a bare NAME every tag of it, an
// image ID (or a prefix) the image without its tags.
static void pick(struct save *s, const char *arg)
{
  const char *last = strrchr(arg, '/') ? strrchr(arg, '/') + 1 : arg;
  size_t n = strlen(arg), found = 0;
  struct buf full = {0};
  struct ref r;

  if (!ref_parse(arg, &r)) {
    if (!strpbrk(last, ":@")) {
      *r.tag = 0;
      ref_full(&r, &full);
      buf_addc(&full, ':');
      for (size_t i = 0; i < s->ix.n; i++)
        if (s->ix.e[i].name && !strncmp(s->ix.e[i].name, full.s, full.len))
          add(s, s->ix.e + i, s->ix.e[i].name), found++;
    } else {
      ref_full(&r, &full);
      struct index_entry *e = index_find(&s->ix, full.s);
      if (e) add(s, e, e->name), found++;
    }
  }
  if (!found && n && (is_image_id(arg) || strspn(arg, "0123456789abcdef") == n)) {
    const char *hex = strncmp(arg, "sha256:", 7) ? arg : arg + 7;
    for (size_t i = 0; i < s->ix.n && !found; i++) {
      struct image im;
      if (image_load(&s->st, s->ix.e[i].digest, &im) < 0) continue;
      if (!strncmp(im.config_digest + 7, hex, strlen(hex))) add(s, s->ix.e + i, 0), found++;
      image_free(&im);
    }
  }
  if (!found) error_exit("No such image: %s", arg);
  buf_free(&full);
}

static int head(struct save *s, const char *name, int64_t size, int dir)
{
  struct archive_entry *e = archive_entry_new();
  int r;

  // mtime, uid and gid 0: the same images give the same bytes
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(e, dir ? 0755 : 0644);
  archive_entry_set_size(e, size);
  r = archive_write_header(s->a, e);
  archive_entry_free(e);
  return r ? fail(EIO, "tar: %s", archive_error_string(s->a)) : 0;
}

static int put(struct save *s, const char *name, struct buf *b)
{
  if (head(s, name, b->len, 0)) return -1;
  if (archive_write_data(s->a, b->s, b->len) != (la_ssize_t)b->len)
    return fail(EIO, "tar: %s", archive_error_string(s->a));
  buf_free(b);
  return 0;
}

// A blob streamed from the store, once per archive.
static int blob(struct save *s, const char *digest, int64_t want)
{
  char path[96];
  struct stat sb;
  ssize_t n;
  int64_t left;
  int fd, rc = -1;

  for (struct strlist *l = s->done; l; l = l->next)
    if (!strcmp(l->s, digest)) return 0;
  strlist_add(&s->done, xstrdup(digest));
  blob_path(digest, path);
  if ((fd = openat(s->st.fd, path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb))
    return fail(errno, "blob %s: %s", digest, strerror(errno));
  if (want >= 0 && sb.st_size != want) {
    fail(EIO, "blob %s: %lld bytes, the manifest says %lld", digest, (long long)sb.st_size, (long long)want);
    goto out;
  }
  if (head(s, path, sb.st_size, 0)) goto out;
  for (left = sb.st_size; left > 0; left -= n) {
    if ((n = read(fd, s->buf, left < (int64_t)sizeof(s->buf) ? left : (int64_t)sizeof(s->buf))) <= 0) {
      fail(errno, "blob %s: %s", digest, n ? strerror(errno) : "shorter than it was");
      goto out;
    }
    if (archive_write_data(s->a, s->buf, n) != n) {
      fail(EIO, "tar: %s", archive_error_string(s->a));
      goto out;
    }
  }
  rc = 0;
out:
  close(fd);
  return rc;
}

// The familiar form of a full name, and its parts.
static void familiar(const char *full, struct buf *fam, struct buf *repo, struct ref *r)
{
  ref_parse(full, r);
  if (fam) ref_familiar(r, fam);
  if (repo) ref_familiar_name(r, repo);
}

static int write_all(struct save *s)
{
  struct buf m = {0}, ix = {0}, rp = {0};
  struct jw w, wi, wr;
  struct ref r;

  if (head(s, "blobs/", 0, 1) || head(s, "blobs/sha256/", 0, 1)) return -1;
  jw_init(&w, &m, 0);
  jw_init(&wi, &ix, 0);
  jw_arr(&w, 0);
  jw_obj(&wi, 0);
  jw_int(&wi, "schemaVersion", 2);
  jw_str(&wi, "mediaType", "application/vnd.oci.image.index.v1+json");
  jw_arr(&wi, "manifests");
  for (size_t i = 0; i < s->n; i++) {
    struct pick *p = s->p + i;
    struct json *l = json_get(p->im.manifest, "layers");
    char path[96];
    long long size;

    if (blob(s, p->im.manifest_digest, p->im.manifest_len) ||
        blob(s, p->im.config_digest, p->im.config_len))
      return -1;
    for (struct json *d = l ? l->child : 0; d; d = d->next) {
      const char *ld = json_get_str(d, "digest");
      if (!ld || !digest_valid(ld)) return fail(EINVAL, "manifest %s: invalid layer digest", p->e->digest);
      if (json_int(json_get(d, "size"), &size)) size = -1;
      if (blob(s, ld, size)) return -1;
    }
    // index.json: a descriptor per tag, or one without a name
    for (struct strlist *t = p->names; t || !p->names; t = t ? t->next : 0) {
      jw_obj(&wi, 0);
      jw_str(&wi, "mediaType", p->e->media_type ? p->e->media_type : "application/vnd.oci.image.manifest.v1+json");
      jw_str(&wi, "digest", p->im.manifest_digest);
      jw_int(&wi, "size", p->im.manifest_len);
      if (t) {
        familiar(t->s, 0, 0, &r);
        jw_obj(&wi, "annotations");
        jw_str(&wi, "io.containerd.image.name", t->s);
        jw_str(&wi, "org.opencontainers.image.ref.name", r.tag);
        jw_end(&wi);
      }
      jw_end(&wi);
      if (!t) break;
    }
    // manifest.json: the legacy loaders' view of the same blobs
    jw_obj(&w, 0);
    blob_path(p->im.config_digest, path);
    jw_str(&w, "Config", path);
    if (p->names) {
      jw_arr(&w, "RepoTags");
      for (struct strlist *t = p->names; t; t = t->next) {
        struct buf fam = {0};
        familiar(t->s, &fam, 0, &r);
        jw_str(&w, 0, fam.s);
        buf_free(&fam);
      }
      jw_end(&w);
    } else jw_null(&w, "RepoTags");
    jw_arr(&w, "Layers");
    for (struct json *d = l ? l->child : 0; d; d = d->next) {
      blob_path(json_get_str(d, "digest"), path);
      jw_str(&w, 0, path);
    }
    jw_end(&w);
    jw_end(&w);
  }
  jw_end(&wi);
  jw_end(&wi);
  jw_end(&w);
  buf_addc(&m, '\n');

  // repositories: repo → tag → the top layer's file, as Docker writes it;
  // each repository once, holding all its tags
  struct tag { struct buf repo; struct ref r; const char *top; } *tg = 0;
  size_t nt = 0;
  for (size_t i = 0; i < s->n; i++) {
    struct json *l = json_get(s->p[i].im.manifest, "layers");
    const char *top = s->p[i].im.config_digest;
    for (l = l ? l->child : 0; l; l = l->next) top = json_get_str(l, "digest");
    for (struct strlist *t = s->p[i].names; t; t = t->next) {
      tg = xrealloc(tg, (nt + 1) * sizeof(*tg));
      memset(tg + nt, 0, sizeof(*tg));
      familiar(t->s, 0, &tg[nt].repo, &tg[nt].r);
      tg[nt++].top = top + 7;
    }
  }
  jw_init(&wr, &rp, 0);
  jw_obj(&wr, 0);
  for (size_t i = 0; i < nt; i++) {
    size_t j = 0;
    while (strcmp(tg[j].repo.s, tg[i].repo.s)) j++;
    if (j < i) continue;
    jw_obj(&wr, tg[i].repo.s);
    for (j = i; j < nt; j++)
      if (!strcmp(tg[j].repo.s, tg[i].repo.s)) jw_str(&wr, tg[j].r.tag, tg[j].top);
    jw_end(&wr);
  }
  jw_end(&wr);
  buf_addc(&rp, '\n');
  for (size_t i = 0; i < nt; i++) buf_free(&tg[i].repo);
  free(tg);

  struct buf layout = {0};
  buf_adds(&layout, "{\"imageLayoutVersion\":\"1.0.0\"}");
  return put(s, "index.json", &ix) || put(s, "manifest.json", &m) || put(s, "oci-layout", &layout) ||
         put(s, "repositories", &rp) ? -1 : 0;
}

void save_main(void)
{
  struct save *s = xzalloc(sizeof(*s));
  const char *out = OPTSTR(o);
  char *tmp = 0, *dir = out ? xstrdup(out) : 0, *slash = dir ? strrchr(dir, '/') : 0;
  struct stat sb;
  int fd = 1, rc;

  if (!out && isatty(1)) error_exit("cowardly refusing to save to a terminal. Use the -o flag or redirect");
  if (slash) {
    *(slash == dir ? slash + 1 : slash) = 0;
    if (stat(dir, &sb))
      error_exit("failed to save image: invalid output path: directory \"%s\" does not exist", dir);
  }
  if (store_open(&s->st, STORE_USE) < 0 || index_load(&s->st, &s->ix) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) pick(s, applet.argv[i]);
  if (out) {
    // A temporary file renamed at the end, as Docker's CLI does: a failed
    // save leaves no half archive behind.
    mode_t um = umask(0);
    umask(um);
    tmp = xmprintf("%s/.ocibox_temp_XXXXXX", slash ? dir : ".");
    if ((fd = mkstemp(tmp)) < 0) perror_exit("%s", out);
    fchmod(fd, 0666 & ~um);
  }
  if (!(s->a = archive_write_new()) || archive_write_set_format_ustar(s->a) ||
      archive_write_set_bytes_in_last_block(s->a, 1) || archive_write_open_fd(s->a, fd))
    error_exit("libarchive: %s", s->a ? archive_error_string(s->a) : "out of memory");
  rc = write_all(s);
  if (!rc && archive_write_close(s->a)) rc = fail(EIO, "tar: %s", archive_error_string(s->a));
  archive_write_free(s->a);
  if (!rc && tmp && (fsync(fd) || rename(tmp, out))) rc = fail(errno, "%s: %s", out, strerror(errno));
  if (rc) {
    if (tmp) unlink(tmp);
    error_exit("%s", applet.why);
  }
}
