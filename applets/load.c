// load.c: docker load: images from a tar archive in any layout Docker,
// skopeo and podman write (SPECS.md §6), plain or gzipped. One pass over
// the stream: each file goes to tmp/ as it passes (blobs checked against
// their names), then the images are resolved and checked, their layers
// unpacked, and only then named: a bad archive leaves index.json as it was.
//
//applet:load ">0 i(input): q(quiet)"
//config:config LOAD
//config:	bool "load: read images from a tar archive"
//config:	default y
//config:	depends on ARCHIVE
//config:	help
//config:	  usage: load [-i FILE] [-q]
//config:
//config:	  Load images from a tar archive or STDIN: docker save's formats
//config:	  (legacy and Docker 25+), skopeo's docker-archive and
//config:	  oci-archive, plain or gzip-compressed.
//config:
//config:	  -i, --input FILE  Read from tar archive file, instead of STDIN
//config:	  -q, --quiet       Suppress the load output (there is no progress bar)

#define FOR_load
#include "ocibox.h"
#include "generated/flags.h"
#include <archive.h>
#include <archive_entry.h>
#include <sys/utsname.h>

#define META_MAX (16 << 20)  // manifest.json, index.json
#define CONFIG_MAX (8 << 20)
#define FILES_MAX 65536

// A file of the archive: spooled to tmp/<pid>-load/<index>, or a link.
struct file {
  char *name, *link;  // cleaned paths inside the archive
  int64_t size;
  char digest[72];
};

// An image found in the archive, ready to be stored.
struct img {
  char *manifest, *config, mtype[128], mdigest[72], cdigest[72];
  size_t mlen, clen, n;
  struct layer_desc *layers;
  struct file **files;
  struct strlist *names;  // full names
};

struct load {
  struct store st;
  char dir[48];
  struct file *f;
  size_t nf;
  struct buf manifest, index;
  int oci;
  struct img *img;
  size_t nimg;
  struct reader src;
  char in[65536], data[65536];
};

// An archive path made plain: "./a//b/" → "a/b", "" for the root. -1 when
// it is absolute or ".." leads out.
static int clean(const char *in, char *out, size_t size)
{
  size_t n = 0, len;

  if (*in == '/') return -1;
  for (; *in; in += len + !!in[len]) {
    len = strcspn(in, "/");
    if (len == 2 && in[0] == '.' && in[1] == '.') {
      if (!n) return -1;
      while (n && out[--n] != '/');
    } else if (len && !(len == 1 && *in == '.')) {
      if (n + len + 2 > size) return -1;
      if (n) out[n++] = '/';
      memcpy(out + n, in, len);
      n += len;
    }
  }
  out[n] = 0;
  return 0;
}

static void spool_path(struct load *l, struct file *f, char out[64])
{
  snprintf(out, 64, "%s/%zu", l->dir, (size_t)(f - l->f));
}

// Read an entry's data into memory (metadata files).
static int slurp(struct load *l, struct archive *a, const char *name, struct buf *b)
{
  la_ssize_t n;

  b->len = 0;
  while ((n = archive_read_data(a, l->data, sizeof(l->data))) > 0) {
    if (b->len + n > META_MAX) return fail(EFBIG, "invalid archive: %s is too large", name);
    buf_add(b, l->data, n);
  }
  return n < 0 ? fail(EIO, "invalid archive: %s", archive_error_string(a)) : 0;
}

// Into tmp/ through sha256; a blob's content must match its name.
static int spool(struct load *l, struct archive *a, struct file *f)
{
  char path[64];
  struct digest d;
  la_ssize_t n;
  int fd;

  spool_path(l, f, path);
  if ((fd = openat(l->st.fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
    return fail(errno, "%s: %s", path, strerror(errno));
  digest_init(&d);
  while ((n = archive_read_data(a, l->data, sizeof(l->data))) > 0) {
    digest_update(&d, l->data, n);
    if (writeall(fd, l->data, n) < 0) {
      close(fd);
      return fail(errno, "%s: %s", path, strerror(errno));
    }
    f->size += n;
  }
  close(fd);
  if (n < 0) return fail(EIO, "invalid archive: %s", archive_error_string(a));
  digest_final(&d, f->digest);
  if (!strncmp(f->name, "blobs/sha256/", 13) && strcmp(f->name + 13, f->digest + 7))
    return fail(EINVAL, "invalid archive: %s: the content has digest %s", f->name, f->digest);
  return 0;
}

static int entry(struct load *l, struct archive *a, struct archive_entry *e)
{
  const char *raw = archive_entry_pathname(e), *hard = archive_entry_hardlink(e), *sym, *base;
  mode_t type = archive_entry_filetype(e);
  char name[PATH_MAX], target[PATH_MAX], *join = 0;
  struct file *f;

  if (!raw || clean(raw, name, sizeof(name)) < 0)
    return fail(EINVAL, "invalid archive: \"%s\" leads outside the archive", raw ? raw : "");
  if (type == AE_IFDIR || !*name) return 0;
  if (hard || type == AE_IFLNK) {
    // Docker's legacy layout links repeated layers; skopeo's links each
    // layer.tar to the real file. They must stay inside.
    if (!hard && (sym = archive_entry_symlink(e)) && *sym != '/') {
      base = strrchr(name, '/');
      join = xmprintf("%.*s%s%s", base ? (int)(base - name) : 0, name, base ? "/" : "", sym);
    }
    if (!(hard || join) || clean(hard ? hard : join, target, sizeof(target)) < 0 || !*target) {
      fail(EINVAL, "invalid archive: link \"%s\" to \"%s\" leads outside the archive", raw,
           hard ? hard : archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
      free(join);
      return -1;
    }
    free(join);
  } else if (type != AE_IFREG) return 0;  // devices, FIFOs: never used
  else if (!strcmp(name, "manifest.json")) return slurp(l, a, name, &l->manifest);
  else if (!strcmp(name, "index.json")) return slurp(l, a, name, &l->index);
  else if (!strcmp(name, "oci-layout")) return l->oci = 1, 0;
  // what no loader needs: legacy v1 metadata
  else if (!strcmp(name, "repositories") || ((base = strrchr(name, '/')) &&
           (!strcmp(base, "/json") || !strcmp(base, "/VERSION"))))
    return 0;
  if (l->nf >= FILES_MAX) return fail(EFBIG, "invalid archive: more than %d files", FILES_MAX);
  if (!(l->nf & (l->nf + 1))) l->f = xrealloc(l->f, (2 * l->nf + 1) * sizeof(*l->f));
  f = memset(l->f + l->nf++, 0, sizeof(*f));
  f->name = xstrdup(name);
  if (hard || type == AE_IFLNK) return f->link = xstrdup(target), 0;
  return spool(l, a, f);
}

static la_ssize_t src_read(struct archive *a, void *ctx, const void **p)
{
  struct load *l = ctx;
  ssize_t n = l->src.read(l->src.ctx, l->in, sizeof(l->in));

  if (n < 0) archive_set_error(a, EIO, "%s", applet.why);
  *p = l->in;
  return n;
}

static int read_archive(struct load *l, int fd)
{
  struct gunzip *g;
  struct archive *a;
  struct archive_entry *e;
  int r;

  if (gunzip_open(&g, reader_fd(&fd), 0, 0) < 0) return -1;
  l->src = gunzip_reader(g);
  if (!(a = archive_read_new()) || archive_read_support_format_tar(a))
    error_exit("libarchive: out of memory");
  r = archive_read_open(a, l, 0, src_read, 0);
  while (r == ARCHIVE_OK) {
    r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_OK || r == ARCHIVE_WARN) r = entry(l, a, e) < 0 ? -1 : ARCHIVE_OK;
  }
  if (r == ARCHIVE_EOF) r = 0;
  else if (r != -1) fail(EINVAL, "invalid archive: %s", archive_error_string(a));
  archive_read_free(a);
  gunzip_close(g);
  return r ? -1 : 0;
}

// ---- which images the archive holds ------------------------------------

// The file a path names, following links inside the archive; the last
// entry of a name wins, as in tar.
static struct file *lookup(struct load *l, const char *from, const char *path)
{
  char p[PATH_MAX];

  if (clean(path, p, sizeof(p)) < 0 || !*p)
    return fail(EINVAL, "invalid archive: %s: \"%s\" leads outside the archive", from, path), NULL;
  for (int hops = 0; hops < 16; hops++) {
    size_t i = l->nf;
    while (i-- > 0 && strcmp(l->f[i].name, p));
    if (i == (size_t)-1) return fail(ENOENT, "invalid archive: %s: no such file in the archive", p), NULL;
    if (!l->f[i].link) return l->f + i;
    snprintf(p, sizeof(p), "%s", l->f[i].link);
  }
  return fail(ELOOP, "invalid archive: %s: too many links", path), NULL;
}

static struct file *blob(struct load *l, const char *from, const char *digest)
{
  char p[96];

  if (!digest || !digest_valid(digest))
    return fail(EINVAL, "invalid archive: %s: invalid digest %s", from, digest ? digest : "(none)"), NULL;
  blob_path(digest, p);
  return lookup(l, from, p);
}

static int read_file(struct load *l, struct file *f, size_t max, char **out, size_t *len)
{
  char path[64];

  spool_path(l, f, path);
  if (readfile_at(l->st.fd, path, max, out, len) < 0)
    return fail(EFBIG, "invalid archive: %s: %s", f->name, applet.why);
  return 0;
}

// The first bytes of a layer: compressed (gzip, zstd, xz, bzip2) or a tar.
static int compressed(struct load *l, struct file *f, int *gzip)
{
  unsigned char m[4] = {0};
  char path[64];
  int fd;

  spool_path(l, f, path);
  if ((fd = openat(l->st.fd, path, O_RDONLY | O_CLOEXEC)) >= 0) {
    if (pread(fd, m, 4, 0) < 0) m[0] = 0;
    close(fd);
  }
  *gzip = m[0] == 0x1f && m[1] == 0x8b;
  return *gzip || !memcmp(m, "\x28\xb5\x2f\xfd", 4) || !memcmp(m, "\xfd" "7zX", 4) || !memcmp(m, "BZh", 3);
}

static struct img *img_add(struct load *l)
{
  l->img = xrealloc(l->img, (l->nimg + 1) * sizeof(*l->img));
  return memset(l->img + l->nimg++, 0, sizeof(*l->img));
}

static struct img *img_find(struct load *l, const char *mdigest)
{
  for (size_t i = 0; i < l->nimg; i++)
    if (!strcmp(l->img[i].mdigest, mdigest)) return l->img + i;
  return 0;
}

// The config against the layers, before anything is stored: their count,
// and the diff_id of each uncompressed layer.
static int check_img(struct load *l, struct img *im)
{
  struct json_err err;
  struct json *cfg = json_parse(im->config, im->clen, &err), *d;
  int gz, rc = -1;
  size_t i = 0;

  d = json_get(json_get(cfg, "rootfs"), "diff_ids");
  if (!d || d->type != JSON_ARRAY)
    fail(EINVAL, "invalid archive: config %s: no rootfs.diff_ids", im->cdigest);
  else if (d->len != im->n)
    fail(EINVAL, "invalid archive: invalid manifest, layers length mismatch: expected %zu, got %zu",
         d->len, im->n);
  else {
    for (d = d->child; d; d = d->next, i++) {
      struct layer_desc *ld = im->layers + i;
      if (d->type != JSON_STRING || !digest_valid(d->str)) {
        fail(EINVAL, "invalid archive: config %s: invalid diff_id", im->cdigest);
        goto out;
      }
      strcpy(ld->diff_id, d->str);
      if (!compressed(l, im->files[i], &gz) && strcmp(im->files[i]->digest, ld->diff_id)) {
        fail(EINVAL, "invalid archive: layer %s: its content has diff_id %s, the config says %s",
             im->files[i]->name, im->files[i]->digest, ld->diff_id);
        goto out;
      }
    }
    rc = 0;
  }
out:
  json_free(cfg);
  return rc;
}

static void add_name(struct img *im, const char *full)
{
  for (struct strlist *n = im->names; n; n = n->next)
    if (!strcmp(n->s, full)) return;
  strlist_add(&im->names, xstrdup(full));
}

// A name from the archive made full: docker.io/library/busybox:latest.
static int full_name(const char *name, struct buf *out)
{
  struct ref r;

  if (ref_parse(name, &r) < 0) return fail(EINVAL, "invalid archive: %s: %s", name, applet.why);
  ref_full(&r, out);
  return 0;
}

static int platform_ok(const struct json *p)
{
  struct utsname u;
  const char *os = json_get_str(p, "os"), *arch = json_get_str(p, "architecture"), *m;

  if (!p) return 1;
  uname(&u);
  m = !strcmp(u.machine, "x86_64") ? "amd64" : !strcmp(u.machine, "aarch64") ? "arm64" : u.machine;
  return os && arch && !strcmp(os, "linux") && !strcmp(arch, m);
}

// An index.json descriptor: a manifest, or an index to pick this
// machine's manifest from.
static int oci_image(struct load *l, const struct json *desc, const char *name, int depth)
{
  const char *digest = json_get_str(desc, "digest"), *mt = json_get_str(desc, "mediaType");
  struct file *f = blob(l, "index.json", digest);
  struct json_err err;
  struct json *j = 0, *c;
  struct img *im;
  char *raw;
  size_t len, i = 0;
  int rc = -1;

  if (!f || read_file(l, f, MANIFEST_MAX, &raw, &len) < 0) return -1;
  if (!(j = json_parse(raw, len, &err))) {
    fail(EINVAL, "invalid archive: manifest %s: %s", digest, err.msg);
    goto out;
  }
  if ((c = json_get(j, "manifests"))) {
    for (c = c->type == JSON_ARRAY && depth < 4 ? c->child : 0; c; c = c->next)
      if (platform_ok(json_get(c, "platform")) && blob(l, digest, json_get_str(c, "digest"))) break;
    if (c) rc = oci_image(l, c, name, depth + 1);
    else fail(ENOENT, "invalid archive: index %s: no manifest for this platform in the archive", digest);
    goto out;
  }
  if (!(im = img_find(l, digest))) {
    im = img_add(l);
    im->manifest = raw, raw = 0;
    im->mlen = len;
    snprintf(im->mdigest, sizeof(im->mdigest), "%s", digest);
    if (!mt) mt = json_get_str(j, "mediaType");
    snprintf(im->mtype, sizeof(im->mtype), "%s", mt ? mt : "application/vnd.oci.image.manifest.v1+json");
    const char *cd = json_get_str(json_get(j, "config"), "digest");
    struct json *ls = json_get(j, "layers");
    if (!(f = blob(l, digest, cd)) || read_file(l, f, CONFIG_MAX, &im->config, &im->clen) < 0) goto out;
    strcpy(im->cdigest, f->digest);
    im->n = ls && ls->type == JSON_ARRAY ? ls->len : 0;
    im->layers = xzalloc((im->n + 1) * sizeof(*im->layers));
    im->files = xzalloc((im->n + 1) * sizeof(*im->files));
    for (ls = im->n ? ls->child : 0; ls; ls = ls->next, i++) {
      const char *lt = json_get_str(ls, "mediaType");
      if (!(im->files[i] = blob(l, digest, json_get_str(ls, "digest")))) goto out;
      strcpy(im->layers[i].digest, im->files[i]->digest);
      snprintf(im->layers[i].media_type, sizeof(im->layers[i].media_type), "%s", lt ? lt : "");
    }
    if (check_img(l, im) < 0) goto out;
  }
  if (name) {
    struct buf full = {0};
    if (full_name(name, &full) < 0) goto out;
    add_name(im, full.s);
    buf_free(&full);
  }
  rc = 0;
out:
  free(raw);
  json_free(j);
  return rc;
}

static int from_index(struct load *l)
{
  struct json_err err;
  struct json *ix = json_parse(buf_str(&l->index), l->index.len, &err), *d;
  int rc = 0;

  if (!(d = json_get(ix, "manifests")) || d->type != JSON_ARRAY)
    rc = fail(EINVAL, "invalid archive: index.json is not an OCI image index");
  for (d = rc ? 0 : d->child; d && !rc; d = d->next) {
    struct json *ann = json_get(d, "annotations");
    const char *name = json_get_str(ann, "io.containerd.image.name");
    // ref.name is usually a tag alone: an image without a name then
    if (!name && (name = json_get_str(ann, "org.opencontainers.image.ref.name")) && !strpbrk(name, "/:@"))
      name = 0;
    rc = oci_image(l, d, name, 0);
  }
  json_free(ix);
  return rc;
}

// docker save's manifest.json (and skopeo's docker-archive): the config by
// path, layers by path, names in RepoTags. Our manifest over the same blobs.
static int from_manifest(struct load *l)
{
  struct json_err err;
  struct json *m = json_parse(buf_str(&l->manifest), l->manifest.len, &err), *it;
  int rc = -1, gz;

  if (!m || m->type != JSON_ARRAY) {
    fail(EINVAL, "invalid archive: manifest.json: %s", m ? "not an array" : err.msg);
    goto out;
  }
  for (it = m->child; it; it = it->next) {
    const char *cp = json_get_str(it, "Config");
    struct json *ls = json_get(it, "Layers"), *t;
    struct img *im = img_add(l);
    struct file *f;
    struct buf b = {0};
    struct jw w;
    size_t i = 0;

    if (!cp || !ls || ls->type != JSON_ARRAY) {
      fail(EINVAL, "invalid archive: manifest.json: an image without Config or Layers");
      goto out;
    }
    if (!(f = lookup(l, "manifest.json", cp)) || read_file(l, f, CONFIG_MAX, &im->config, &im->clen) < 0)
      goto out;
    strcpy(im->cdigest, f->digest);
    im->n = ls->len;
    im->layers = xzalloc((im->n + 1) * sizeof(*im->layers));
    im->files = xzalloc((im->n + 1) * sizeof(*im->files));
    for (t = ls->child; t; t = t->next, i++) {
      struct layer_desc *d = im->layers + i;
      if (t->type != JSON_STRING || !(f = im->files[i] = lookup(l, "manifest.json", t->str))) {
        if (t->type != JSON_STRING) fail(EINVAL, "invalid archive: manifest.json: invalid layer path");
        goto out;
      }
      strcpy(d->digest, f->digest);
      d->size = f->size;
      compressed(l, f, &gz);
      strcpy(d->media_type, gz ? "application/vnd.oci.image.layer.v1.tar+gzip"
                               : "application/vnd.oci.image.layer.v1.tar");
    }
    if (check_img(l, im) < 0) goto out;
    jw_init(&w, &b, 0);
    jw_obj(&w, 0);
    jw_int(&w, "schemaVersion", 2);
    jw_str(&w, "mediaType", "application/vnd.oci.image.manifest.v1+json");
    jw_obj(&w, "config");
    jw_str(&w, "mediaType", "application/vnd.oci.image.config.v1+json");
    jw_str(&w, "digest", im->cdigest);
    jw_int(&w, "size", im->clen);
    jw_end(&w);
    jw_arr(&w, "layers");
    for (i = 0; i < im->n; i++) {
      jw_obj(&w, 0);
      jw_str(&w, "mediaType", im->layers[i].media_type);
      jw_str(&w, "digest", im->layers[i].digest);
      jw_int(&w, "size", im->layers[i].size);
      jw_end(&w);
    }
    jw_end(&w);
    jw_end(&w);
    im->mlen = b.len;
    im->manifest = buf_steal(&b);
    digest_buf(im->manifest, im->mlen, im->mdigest);
    strcpy(im->mtype, "application/vnd.oci.image.manifest.v1+json");
    for (t = json_get(it, "RepoTags") ? json_get(it, "RepoTags")->child : 0; t; t = t->next) {
      if (t->type != JSON_STRING || full_name(t->str, &b) < 0) {
        if (t->type != JSON_STRING) fail(EINVAL, "invalid archive: manifest.json: invalid RepoTags");
        goto out;
      }
      add_name(im, b.s);
      buf_free(&b);
    }
  }
  rc = 0;
out:
  json_free(m);
  return rc;
}

// ---- storing -------------------------------------------------------------

// layer_from_blob unpacks into layers/<chain> before it compares the
// content with the diff_id: a layer that does not match must not stay.
static void poisoned(struct load *l, const char *chain, const char *diff_id)
{
  char path[128], gone[64], *text, *p;
  const char *got;
  struct json_err err;
  struct json *j;
  size_t len;

  snprintf(path, sizeof(path), "layers/%s/layer.json", chain + 7);
  if (readfile_at(l->st.fd, path, 4096, &text, &len) < 0) return;
  j = json_parse(text, len, &err);
  if (!(got = json_get_str(j, "diff_id")) || strcmp(got, diff_id)) {
    // renamed away first: no half layer under its name
    *strrchr(path, '/') = 0;
    snprintf(gone, sizeof(gone), "%s/bad", l->dir);
    if (!renameat(l->st.fd, path, l->st.fd, gone)) {
      rm_rf(p = xmprintf("%s/%s", l->st.root, gone));
      free(p);
    }
  }
  json_free(j);
  free(text);
}

// Layers unpacked and adopted as blobs, then config and manifest: all
// unreferenced until the names are set.
static int install(struct load *l, struct img *im)
{
  char parent[72] = "", chain[72], path[64], link[64], got[72];

  snprintf(link, sizeof(link), "%s/layer", l->dir);
  for (size_t i = 0; i < im->n; i++) {
    struct layer_desc d = im->layers[i];

    chain_id(parent, d.diff_id, chain);
    if (!layer_exists(&l->st, chain) || !blob_exists(&l->st, d.digest, 0)) {
      // A link to the spooled file: the blob may be needed again.
      spool_path(l, im->files[i], path);
      unlinkat(l->st.fd, link, 0);
      if (linkat(l->st.fd, path, l->st.fd, link, 0)) return fail(errno, "%s: %s", link, strerror(errno));
      int fd = openat(l->st.fd, link, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) fsync(fd), close(fd);
      if (layer_from_blob(&l->st, link, d.diff_id, parent, &d, got) < 0) {
        char *why = xstrdup(applet.why);
        unlinkat(l->st.fd, link, 0);
        poisoned(l, chain, d.diff_id);
        fail(EIO, "invalid archive: %s", why);
        free(why);
        return -1;
      }
    }
    strcpy(parent, chain);
  }
  if (blob_put(&l->st, im->config, im->clen, got) < 0 || blob_put(&l->st, im->manifest, im->mlen, got) < 0)
    return -1;
  return 0;
}

static void familiar(const char *full, struct buf *out)
{
  struct ref r;

  out->len = 0;
  if (ref_parse(full, &r) < 0) buf_adds(out, full);
  else ref_familiar(&r, out);
}

// Names last, like Docker: a name that held another image moves; one
// already on the same image (the same config) stays as it is.
static int name_all(struct load *l)
{
  struct index ix;
  struct buf fam = {0};
  int updated, rc = 0;

  if (index_load(&l->st, &ix) < 0) return -1;
  for (size_t i = 0; i < l->nimg && !rc; i++) {
    struct img *im = l->img + i;
    if (!im->names) {
      struct index cur;
      int have = 0;
      if ((rc = index_lock(&l->st, &cur)) < 0) break;
      for (size_t j = 0; j < cur.n; j++) have |= !strcmp(cur.e[j].digest, im->mdigest);
      if (!have) {
        struct index_entry *e = index_add(&cur);
        struct timespec now;
        char t[40];
        clock_gettime(CLOCK_REALTIME, &now);
        strcpy(e->digest, im->mdigest);
        e->media_type = xstrdup(im->mtype);
        e->size = im->mlen;
        e->created = xstrdup(fmt_rfc3339nano(t, &now));
        rc = index_save(&l->st, &cur);
      }
      index_unlock(&l->st);
      index_free(&cur);
      if (!rc) printf("Loaded image ID: %s\n", im->cdigest);
    }
    for (struct strlist *n = im->names; n && !rc; n = n->next) {
      struct index_entry *e = index_find(&ix, n->s);
      struct image old;
      int same = 0;
      familiar(n->s, &fam);
      if (e && !image_load(&l->st, e->digest, &old)) {
        if (!(same = !strcmp(old.config_digest, im->cdigest)))
          printf("The image %s already exists, renaming the old one with ID %s to empty string\n",
                 fam.s, old.config_digest);
        image_free(&old);
      }
      if (!same) rc = index_name(&l->st, n->s, im->mdigest, im->mtype, im->mlen, 0, &updated);
      if (!rc) printf("Loaded image: %s\n", fam.s);
    }
  }
  buf_free(&fam);
  index_free(&ix);
  return rc;
}

void load_main(void)
{
  struct load *l = xzalloc(sizeof(*l));
  const char *in = OPTSTR(i);
  int fd = 0, rc = -1;
  char *dir;

  if (!in && isatty(0)) error_exit("requested load from stdin, but stdin is empty");
  if (in && (fd = open(in, O_RDONLY | O_CLOEXEC)) < 0) perror_exit("open %s", in);
  if (store_open(&l->st, STORE_USE) < 0) error_exit("%s", applet.why);
  // Named like every staging entry: a later GC removes it if we die.
  snprintf(l->dir, sizeof(l->dir), "tmp/%d-load", (int)getpid());
  if (mkdirat(l->st.fd, l->dir, 0700)) perror_exit("%s/%s", l->st.root, l->dir);
  if (!read_archive(l, fd)) {
    if (l->oci && l->index.len) rc = from_index(l);
    else if (l->manifest.len) rc = from_manifest(l);
    else fail(EINVAL, "invalid archive: no manifest.json, and no OCI index.json");
  }
  for (size_t i = 0; !rc && i < l->nimg; i++) rc = install(l, l->img + i);
  if (!rc) rc = name_all(l);
  dir = xmprintf("%s/%s", l->st.root, l->dir);
  rm_rf(dir);
  free(dir);
  if (rc) error_exit("%s", applet.why);
}
