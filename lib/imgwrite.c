// imgwrite.c: images made here rather than pulled (load, import, commit):
// a layer from a tar or a blob file in tmp/, unpacked into layers/<chain>
// and kept as blobs/sha256/<digest>; then the config and an OCI manifest,
// and a name in index.json. Each step is atomic; until the manifest is
// named, what is written is unreferenced, never half an image.
#include "ocibox.h"
#include <zlib.h>

// Unpack src into layers/<chain> through a staging dir in tmp/. The raw
// and tar digests of the whole stream come back for checking.
int layer_install(struct store *s, struct reader src, const char *chain, const char *want_diff,
                  char raw[72], char tar[72], uint64_t *bytes)
{
  char staging[160], diff[192], meta[192], final[96];
  struct digest draw, dtar;
  struct gunzip *g = 0;
  struct layer_stats ls;
  int dir = -1, rc = -1;

  snprintf(staging, sizeof(staging), "tmp/%d-layer-%s", (int)getpid(), chain + 7);
  snprintf(diff, sizeof(diff), "%s/diff", staging);
  mkdirat(s->fd, staging, 0755);
  if (mkdirat(s->fd, diff, 0755) || (dir = openat(s->fd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
    fail(errno, "%s: %s", diff, strerror(errno));
    goto out;
  }
  digest_init(&draw);
  digest_init(&dtar);
  if (gunzip_open(&g, src, &draw, &dtar) < 0 || layer_unpack(gunzip_reader(g), dir, &ls) < 0) goto out;
  // read through to the end so the digests cover the whole stream
  char sink[4096];
  ssize_t n;
  struct reader gr = gunzip_reader(g);
  while ((n = gr.read(gr.ctx, sink, sizeof(sink))) > 0);
  if (n < 0) goto out;
  digest_final(&draw, raw);
  digest_final(&dtar, tar);
  *bytes = ls.bytes;
  // Checked before the rename: layers/<chain> must only ever hold its chain.
  if (want_diff && strcmp(tar, want_diff)) {
    fail(EIO, "its content has diff_id %s, the config says %s", tar, want_diff);
    goto out;
  }
  if (!layer_exists(s, chain)) {
    int len;
    char json[256];
    len = snprintf(json, sizeof(json), "{\"diff_id\":\"%s\",\"size\":%" PRIu64 "}\n", tar, ls.bytes);
    snprintf(meta, sizeof(meta), "%s/layer.json", staging);
    snprintf(final, sizeof(final), "layers/%s", chain + 7);
    syncfs(dir);
    if (atomic_write_at(s->fd, meta, json, len, 0644) < 0) goto out;
    if (renameat(s->fd, staging, s->fd, final) && errno != EEXIST && errno != ENOTEMPTY) {
      fail(errno, "%s: %s", final, strerror(errno));
      goto out;
    }
    fsync_dir_at(s->fd, "layers");
  }
  rc = 0;
out:
  gunzip_close(g);
  if (dir >= 0) close(dir);
  char *p = xmprintf("%s/%s", s->root, staging);
  rm_rf(p);
  free(p);
  return rc;
}

// Rename a complete file in tmp/ to its blob name, durably.
static int blob_adopt(struct store *s, const char *tmp_name, const char *digest)
{
  char path[96];

  blob_path(digest, path);
  if (renameat(s->fd, tmp_name, s->fd, path) || fsync_dir_at(s->fd, "blobs/sha256"))
    return fail(errno, "%s: %s", path, strerror(errno));
  return 0;
}

int layer_from_blob(struct store *s, const char *tmp_name, const char *diff_id,
                    const char *parent_chain, struct layer_desc *d, char chain[72])
{
  int fd = openat(s->fd, tmp_name, O_RDONLY | O_CLOEXEC), rc;
  char raw[72], tar[72];
  uint64_t bytes;
  struct stat st;

  if (fd < 0) return fail(errno, "%s: %s", tmp_name, strerror(errno));
  fstat(fd, &st);
  chain_id(parent_chain, diff_id, chain);
  rc = layer_install(s, reader_fd(&fd), chain, diff_id, raw, tar, &bytes);
  close(fd);
  if (rc < 0) {
    char *why = xstrdup(applet.why);
    fail(EIO, "layer %s: %s", *d->digest ? d->digest : raw, why);
    free(why);
    return -1;
  }
  if (*d->digest && strcmp(raw, d->digest))
    return fail(EIO, "layer %s: its content has digest %s", d->digest, raw);
  strcpy(d->digest, raw);
  if (strcmp(tar, diff_id))
    return fail(EIO, "layer %s: its content has diff_id %s, the config says %s", d->digest, tar, diff_id);
  snprintf(d->diff_id, sizeof(d->diff_id), "%s", diff_id);
  d->size = st.st_size;
  if (!*d->media_type) strcpy(d->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  return blob_exists(s, d->digest, 0) ? (unlinkat(s->fd, tmp_name, 0), 0) : blob_adopt(s, tmp_name, d->digest);
}

// gzip (deflate in a gzip wrapper, level 6, no name, mtime 0: the same
// bytes every time) of fd into a new file in tmp/, hashing both sides.
static int gzip_to(struct store *s, int in, const char *out_name, char tar[72], char gz[72])
{
  z_stream z = {0};
  struct digest dt, dg;
  unsigned char ib[65536], ob[65536];
  int out = openat(s->fd, out_name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), flush, rc = -1;
  ssize_t n;

  if (out < 0) return fail(errno, "%s: %s", out_name, strerror(errno));
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    close(out);
    return fail(ENOMEM, "deflateInit failed");
  }
  digest_init(&dt);
  digest_init(&dg);
  do {
    n = readall(in, ib, sizeof(ib));
    if (n < 0) {
      fail(errno, "read: %s", strerror(errno));
      goto out;
    }
    digest_update(&dt, ib, n);
    z.next_in = ib;
    z.avail_in = n;
    flush = n < (ssize_t)sizeof(ib) ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = ob;
      z.avail_out = sizeof(ob);
      deflate(&z, flush);
      size_t have = sizeof(ob) - z.avail_out;
      digest_update(&dg, ob, have);
      if (writeall(out, ob, have) < 0) {
        fail(errno, "write %s: %s", out_name, strerror(errno));
        goto out;
      }
    } while (!z.avail_out);
  } while (flush != Z_FINISH);
  if (fsync(out)) {
    fail(errno, "fsync %s: %s", out_name, strerror(errno));
    goto out;
  }
  digest_final(&dt, tar);
  digest_final(&dg, gz);
  rc = 0;
out:
  deflateEnd(&z);
  close(out);
  return rc;
}

int layer_from_tar(struct store *s, int tar_fd, const char *parent_chain, struct layer_desc *d,
                   char chain[72])
{
  char gzname[96], raw[72], tar[72];
  uint64_t bytes;
  struct stat st;

  snprintf(gzname, sizeof(gzname), "tmp/%d-layer.tar.gz", (int)getpid());
  if (lseek(tar_fd, 0, SEEK_SET) || gzip_to(s, tar_fd, gzname, d->diff_id, d->digest) < 0) {
    unlinkat(s->fd, gzname, 0);
    return -1;
  }
  chain_id(parent_chain, d->diff_id, chain);
  if (lseek(tar_fd, 0, SEEK_SET) ||
      layer_install(s, reader_fd(&tar_fd), chain, d->diff_id, raw, tar, &bytes) < 0) {
    unlinkat(s->fd, gzname, 0);
    return -1;
  }
  fstatat(s->fd, gzname, &st, 0);
  d->size = st.st_size;
  strcpy(d->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  if (blob_exists(s, d->digest, 0)) return unlinkat(s->fd, gzname, 0), 0;
  return blob_adopt(s, gzname, d->digest);
}

int image_write(struct store *s, const char *config, size_t clen, const struct layer_desc *layers,
                size_t n, const char *name, char manifest_digest[72])
{
  char cdigest[72];
  struct buf m = {0};
  struct jw w;
  int rc, updated;

  if (blob_put(s, config, clen, cdigest) < 0) return -1;
  jw_init(&w, &m, 0);
  jw_obj(&w, 0);
  jw_int(&w, "schemaVersion", 2);
  jw_str(&w, "mediaType", "application/vnd.oci.image.manifest.v1+json");
  jw_obj(&w, "config");
  jw_str(&w, "mediaType", "application/vnd.oci.image.config.v1+json");
  jw_str(&w, "digest", cdigest);
  jw_int(&w, "size", clen);
  jw_end(&w);
  jw_arr(&w, "layers");
  for (size_t i = 0; i < n; i++) {
    jw_obj(&w, 0);
    jw_str(&w, "mediaType", layers[i].media_type);
    jw_str(&w, "digest", layers[i].digest);
    jw_int(&w, "size", layers[i].size);
    jw_end(&w);
  }
  jw_end(&w);
  jw_end(&w);
  rc = blob_put(s, m.s, m.len, manifest_digest);
  if (!rc) {
    if (name) rc = index_name(s, name, manifest_digest, "application/vnd.oci.image.manifest.v1+json",
                              m.len, 0, &updated);
    else {
      // No name: a dangling image, unless the manifest is there already.
      struct index ix;
      if ((rc = index_lock(s, &ix)) == 0) {
        int have = 0;
        for (size_t i = 0; i < ix.n; i++) have |= !strcmp(ix.e[i].digest, manifest_digest);
        if (!have) {
          struct index_entry *e = index_add(&ix);
          struct timespec now;
          char t[40];
          clock_gettime(CLOCK_REALTIME, &now);
          strcpy(e->digest, manifest_digest);
          e->media_type = xstrdup("application/vnd.oci.image.manifest.v1+json");
          e->size = m.len;
          e->created = xstrdup(fmt_rfc3339nano(t, &now));
          rc = index_save(s, &ix);
        }
        index_unlock(s);
        index_free(&ix);
      }
    }
  }
  buf_free(&m);
  return rc;
}
