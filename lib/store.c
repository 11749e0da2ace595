// store.c: the image store: an OCI image layout (image-spec
// image-layout.md) at the data root, plus unpacked layers by ChainID, with
// atomic writes and two locks (docs/store.md).
#include "ocibox.h"
#include <dirent.h>
#include <signal.h>
#include <sys/file.h>

#define INDEX_MAX (16 << 20)
#define REF_NAME "org.opencontainers.image.ref.name"
#define CONTAINERD_NAME "io.containerd.image.name"
#define REPO_DIGEST "io.ocibox.repo-digest"
#define CREATED "io.ocibox.created"

static int open_lock(struct store *s, const char *name, int how)
{
  int fd = openat(s->fd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errno, "%s/%s: %s", s->root, name, strerror(errno));
  while (flock(fd, how)) {
    if (errno == EINTR) continue;
    int err = errno;
    close(fd);
    return fail(err, "lock %s/%s: %s", s->root, name, strerror(err));
  }
  return fd;
}

// Staging entries are named "<pid>-...": remove those whose process is gone.
static void clean_tmp(struct store *s)
{
  int fd = openat(s->fd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? 0 : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return;
  }
  struct dirent *de;
  while ((de = readdir(d))) {
    char *end;
    long pid = strtol(de->d_name, &end, 10);
    if (*end != '-' || pid <= 0) continue;
    if (!kill(pid, 0) || errno != ESRCH) continue;  // its owner still runs
    char *path = xmprintf("%s/tmp/%s", s->root, de->d_name);
    rm_rf(path);
    free(path);
  }
  closedir(d);
}

int store_open(struct store *s, int mode)
{
  memset(s, 0, sizeof(*s));
  s->root = xstrdup(data_root());
  s->gc_lock = s->index_lock = -1;
  if (mode != STORE_READ) {
    const char *dirs[] = {"", "/blobs/sha256", "/layers", "/tmp"};
    for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
      char *p = xmprintf("%s%s", s->root, dirs[i]);
      int rc = mkdir_p(p, 0700);
      free(p);
      if (rc < 0) return rc;
    }
  }
  s->fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->fd < 0) return fail(errno, "%s: %s", s->root, strerror(errno));
  if (mode == STORE_READ) return 0;
  if (!exists_at(s->fd, "oci-layout")) {
    const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
    int rc = atomic_write_at(s->fd, "oci-layout", layout, strlen(layout), 0644);
    if (rc < 0) return rc;
  }
  s->gc_lock = open_lock(s, "gc.lock", LOCK_SH);
  return s->gc_lock < 0 ? s->gc_lock : 0;
}

// Every process that may be about to make something reference a layer or
// blob (pull, load, import, commit, create; rmi and tag) holds gc.lock
// shared until that reference is in index.json or in a container's
// config.json. So with it exclusive, index.json and the containers' Layers
// name everything in use. Running containers hold no lock: their
// config.json keeps their layers (container_start drops it).
int store_gc(struct store *s)
{
  if (flock(s->gc_lock, LOCK_EX | LOCK_NB)) return -1;
  clean_tmp(s);
  return 0;
}

void store_close(struct store *s)
{
  if (s->index_lock >= 0) close(s->index_lock);
  if (s->gc_lock >= 0) close(s->gc_lock);
  if (s->fd >= 0) close(s->fd);
  free(s->root);
  memset(s, 0, sizeof(*s));
  s->fd = s->gc_lock = s->index_lock = -1;
}

void index_free(struct index *ix)
{
  for (size_t i = 0; i < ix->n; i++) {
    struct index_entry *e = ix->e + i;
    free(e->name);
    free(e->media_type);
    free(e->repo_digest);
    free(e->created);
  }
  free(ix->e);
  ix->e = 0;
  ix->n = 0;
}

struct index_entry *index_add(struct index *ix)
{
  ix->e = xrealloc(ix->e, (ix->n + 1) * sizeof(*ix->e));
  struct index_entry *e = ix->e + ix->n++;
  memset(e, 0, sizeof(*e));
  return e;
}

struct index_entry *index_find(struct index *ix, const char *name)
{
  for (size_t i = 0; i < ix->n; i++)
    if (ix->e[i].name && !strcmp(ix->e[i].name, name)) return ix->e + i;
  return 0;
}

static char *dup_or_null(const char *s)
{
  return s ? xstrdup(s) : 0;
}

int index_load(struct store *s, struct index *ix)
{
  memset(ix, 0, sizeof(*ix));
  char *text;
  size_t len;
  int rc = readfile_at(s->fd, "index.json", INDEX_MAX, &text, &len);
  if (rc == -ENOENT) return 0;
  if (rc < 0) return rc;
  struct json_err err;
  struct json *j = json_parse(text, len, &err), *m;
  free(text);
  if (!j || !(m = json_get(j, "manifests")) || m->type != JSON_ARRAY) {
    json_free(j);
    return fail(EINVAL, "%s/index.json: not an OCI image index", s->root);
  }
  for (struct json *d = m->child; d; d = d->next) {
    const char *digest = json_get_str(d, "digest");
    if (!digest || !digest_valid(digest)) continue;
    struct json *ann = json_get(d, "annotations");
    struct index_entry *e = index_add(ix);
    // Prefer the full name; a bare ref.name written by others is a tag.
    e->name = dup_or_null(json_get_str(ann, CONTAINERD_NAME));
    if (!e->name) e->name = dup_or_null(json_get_str(ann, REF_NAME));
    strcpy(e->digest, digest);
    e->media_type = dup_or_null(json_get_str(d, "mediaType"));
    long long size = 0;
    json_int(json_get(d, "size"), &size);
    e->size = size;
    e->repo_digest = dup_or_null(json_get_str(ann, REPO_DIGEST));
    e->created = dup_or_null(json_get_str(ann, CREATED));
  }
  json_free(j);
  return 0;
}

int index_lock(struct store *s, struct index *ix)
{
  if ((s->index_lock = open_lock(s, "index.lock", LOCK_EX)) < 0) return s->index_lock;
  int rc = index_load(s, ix);
  if (rc < 0) index_unlock(s);
  return rc;
}

void index_unlock(struct store *s)
{
  if (s->index_lock >= 0) close(s->index_lock);
  s->index_lock = -1;
}

int index_save(struct store *s, struct index *ix)
{
  struct buf b = {0};
  struct jw w;
  jw_init(&w, &b, 0);
  jw_obj(&w, 0);
  jw_int(&w, "schemaVersion", 2);
  jw_str(&w, "mediaType", "application/vnd.oci.image.index.v1+json");
  jw_arr(&w, "manifests");
  for (size_t i = 0; i < ix->n; i++) {
    struct index_entry *e = ix->e + i;
    jw_obj(&w, 0);
    jw_str(&w, "mediaType", e->media_type ? e->media_type : "application/vnd.oci.image.manifest.v1+json");
    jw_str(&w, "digest", e->digest);
    jw_int(&w, "size", e->size);
    if (e->name || e->repo_digest || e->created) {
      jw_obj(&w, "annotations");
      if (e->name) jw_str(&w, CONTAINERD_NAME, e->name);
      if (e->created) jw_str(&w, CREATED, e->created);
      if (e->repo_digest) jw_str(&w, REPO_DIGEST, e->repo_digest);
      if (e->name) jw_str(&w, REF_NAME, e->name);
      jw_end(&w);
    }
    jw_end(&w);
  }
  jw_end(&w);
  jw_end(&w);
  buf_addc(&b, '\n');
  int rc = atomic_write_at(s->fd, "index.json", b.s, b.len, 0644);
  buf_free(&b);
  return rc;
}

void blob_path(const char *digest, char out[96])
{
  snprintf(out, 96, "blobs/sha256/%s", digest + 7);
}

int blob_exists(struct store *s, const char *digest, int64_t *size)
{
  char path[96];
  struct stat st;
  if (!digest_valid(digest)) return 0;
  blob_path(digest, path);
  if (fstatat(s->fd, path, &st, 0)) return 0;
  if (size) *size = st.st_size;
  return 1;
}

int blob_read(struct store *s, const char *digest, size_t max, char **out, size_t *len)
{
  char path[96], got[72];
  if (!digest_valid(digest)) return fail(EINVAL, "invalid digest %s", digest);
  blob_path(digest, path);
  int rc = readfile_at(s->fd, path, max, out, len);
  if (rc < 0) return rc;
  digest_buf(*out, *len, got);
  if (strcmp(got, digest)) {
    free(*out);
    return fail(EIO, "blob %s is corrupt: its content has digest %s", digest, got);
  }
  return 0;
}

int blob_put(struct store *s, const void *p, size_t n, char out[72])
{
  char path[96];
  digest_buf(p, n, out);
  if (blob_exists(s, out, 0)) return 0;
  blob_path(out, path);
  return atomic_write_at(s->fd, path, p, n, 0644);
}

void chain_id(const char *parent, const char *diff_id, char out[72])
{
  if (!parent || !*parent) {
    snprintf(out, 72, "%s", diff_id);
    return;
  }
  struct digest d;
  digest_init(&d);
  digest_update(&d, parent, strlen(parent));
  digest_update(&d, " ", 1);
  digest_update(&d, diff_id, strlen(diff_id));
  digest_final(&d, out);
}

int layer_exists(struct store *s, const char *chain)
{
  char path[128];
  snprintf(path, sizeof(path), "layers/%s/layer.json", chain + 7);
  return exists_at(s->fd, path);
}

int64_t layer_size(struct store *s, const char *chain)
{
  char path[128], *text;
  size_t len;
  long long size = -1;
  snprintf(path, sizeof(path), "layers/%s/layer.json", chain + 7);
  if (readfile_at(s->fd, path, 1 << 16, &text, &len) < 0) return -1;
  struct json_err err;
  struct json *j = json_parse(text, len, &err);
  if (j) json_int(json_get(j, "size"), &size);
  json_free(j);
  free(text);
  return size;
}

void image_free(struct image *im)
{
  free(im->manifest_raw);
  free(im->config_raw);
  json_free(im->manifest);
  json_free(im->config);
  free(im->diff_ids);
  free(im->chain_ids);
  memset(im, 0, sizeof(*im));
}

#define MANIFEST_MAX (4 << 20)
#define CONFIG_MAX (8 << 20)

int image_load(struct store *s, const char *manifest_digest, struct image *im)
{
  struct json_err err;
  memset(im, 0, sizeof(*im));
  snprintf(im->manifest_digest, 72, "%s", manifest_digest);
  int rc = blob_read(s, manifest_digest, MANIFEST_MAX, &im->manifest_raw, &im->manifest_len);
  if (rc < 0) return rc;
  if (!(im->manifest = json_parse(im->manifest_raw, im->manifest_len, &err)))
    return fail(EINVAL, "manifest %s: %s", manifest_digest, err.msg);
  const char *config = json_get_str(json_get(im->manifest, "config"), "digest");
  if (!config || !digest_valid(config))
    return fail(EINVAL, "manifest %s: no config digest", manifest_digest);
  strcpy(im->config_digest, config);
  if ((rc = blob_read(s, config, CONFIG_MAX, &im->config_raw, &im->config_len)) < 0) return rc;
  if (!(im->config = json_parse(im->config_raw, im->config_len, &err)))
    return fail(EINVAL, "config %s: %s", config, err.msg);
  struct json *diffs = json_get(json_get(im->config, "rootfs"), "diff_ids");
  size_t n = diffs && diffs->type == JSON_ARRAY ? diffs->len : 0;
  im->nlayers = n;
  im->diff_ids = xzalloc((n + 1) * sizeof(*im->diff_ids));
  im->chain_ids = xzalloc((n + 1) * sizeof(*im->chain_ids));
  size_t i = 0;
  for (struct json *d = diffs ? diffs->child : 0; d; d = d->next, i++) {
    if (d->type != JSON_STRING || !digest_valid(d->str))
      return fail(EINVAL, "config %s: invalid diff_id", config);
    strcpy(im->diff_ids[i], d->str);
    chain_id(i ? im->chain_ids[i - 1] : 0, d->str, im->chain_ids[i]);
  }
  return 0;
}

// Point a name at a manifest under the index lock. The image it named
// before stays, dangling, unless another name still holds it; a dangling
// entry for the new manifest goes.
int index_name(struct store *s, const char *full, const char *mdigest, const char *mtype,
               size_t msize, const char *repo_digest, int *updated)
{
  struct index ix;
  struct index_entry *e;
  char now[40];
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  fmt_rfc3339nano(now, &ts);
  if (index_lock(s, &ix) < 0) return -1;
  e = index_find(&ix, full);
  *updated = !e || strcmp(e->digest, mdigest);
  if (e && *updated) {
    // The old image keeps existing, dangling, unless another name holds it.
    int other = 0;
    for (size_t i = 0; i < ix.n; i++)
      if (ix.e + i != e && !strcmp(ix.e[i].digest, e->digest)) other = 1;
    if (!other) {
      struct index_entry *d = index_add(&ix);
      e = index_find(&ix, full);
      *d = *e;
      d->name = 0;
      d->media_type = d->media_type ? xstrdup(d->media_type) : 0;
      d->repo_digest = 0;
      d->created = d->created ? xstrdup(d->created) : 0;
    }
  }
  if (!e) {
    e = index_add(&ix);
    e->name = xstrdup(full);
  }
  // An image pulled by another name or dangling before: drop the dangling copy.
  for (size_t i = 0; i < ix.n; i++)
    if (!ix.e[i].name && !strcmp(ix.e[i].digest, mdigest)) {
      free(ix.e[i].media_type), free(ix.e[i].repo_digest), free(ix.e[i].created);
      ix.e[i--] = ix.e[--ix.n];
      e = index_find(&ix, full);
    }
  if (*updated || !e->created) {
    free(e->created);
    e->created = xstrdup(now);
  }
  snprintf(e->digest, sizeof(e->digest), "%s", mdigest);
  free(e->media_type);
  e->media_type = xstrdup(mtype);
  e->size = msize;
  free(e->repo_digest);
  e->repo_digest = repo_digest ? xstrdup(repo_digest) : 0;
  int rc = index_save(s, &ix);
  index_unlock(s);
  index_free(&ix);
  return rc;
}
