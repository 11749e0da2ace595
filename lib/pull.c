// pull.c: get an image from a registry into the store (SPECS.md §2):
// manifest (choosing the platform from an index), config, then the layers,
// a few at a time, each by a worker process of its own: streamed once
// through sha256, into its blob file and through gunzip into a staging
// directory, checked, and renamed into place. A partial blob is kept and
// resumed with a Range request by the next pull.
#include "ocibox.h"
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define CONFIG_MAX (8 << 20)

struct pull {
  const struct pull_opts *o;
  struct registry reg;
  struct store st;
  struct ref ref;
  const char *name;  // as the user wrote it, for messages
  int tty, width;    // progress redrawn in place on a terminal this wide
  int nlines;        // layer lines printed, each redrawn in place
  int have_image;    // its config is in the store: no line per layer present
  int sock;          // in a layer's worker: its messages go to the parent
};

// A status line: layer `line`'s (id its digest), or the image's (id NULL).
static void say(struct pull *p, int line, const char *id, const char *msg)
{
  FILE *out = p->o->out ? p->o->out : stdout;
  if (p->o->quiet) return;
  if (p->sock >= 0) {  // the parent draws it
    write(p->sock, msg, strlen(msg));
    return;
  }
  if (CFG_PROGRESS && p->tty && id && line < p->nlines) {
    // up to the layer's own line, rewrite it, back down
    int up = p->nlines - line;
    fprintf(out, "\033[%dA\r\033[K%.12s: %s\033[%dB\r", up, id + 7, msg, up);
  } else if (id) fprintf(out, "%.12s: %s\n", id + 7, msg);
  else fprintf(out, "%s\n", msg);
  fflush(out);
}

// Docker's progress line (jsonmessage.go): a 50-wide bar when the
// terminal is wider than 110 columns, then current/total in HumanSize.
static void progress(struct pull *p, const char *id, int64_t cur, int64_t total)
{
  char line[160], a[24], b[24];
  int n = 12;

  if (!CFG_PROGRESS || !p->tty || p->o->quiet) return;
  memcpy(line, "Downloading [", 13);
  if (total > 0 && p->width > 110) {
    int pct = (int)(cur * 100 / total) / 2;
    if (pct > 50) pct = 50;
    memset(line + 13, ' ', 51);
    memset(line + 13, '=', pct);
    line[13 + pct] = '>';
    memcpy(line + 64, "] ", 2);
    n = 66;
  }
  snprintf(line + n, sizeof(line) - n, "%8s/%s", fmt_size(a, cur), total > 0 ? fmt_size(b, total) : "?");
  say(p, 0, id, line);
}

// ---- platform ------------------------------------------------------------

struct platform {
  char os[32], arch[32], variant[32];
};

static int parse_platform(const char *s, struct platform *pl)
{
  struct utsname u;
  const char *m;

  memset(pl, 0, sizeof(*pl));
  if (!s) {
    uname(&u);
    m = u.machine;
    strcpy(pl->os, "linux");
    if (!strcmp(m, "x86_64")) strcpy(pl->arch, "amd64");
    else if (!strcmp(m, "aarch64")) strcpy(pl->arch, "arm64");
    else if (!strncmp(m, "armv7", 5)) strcpy(pl->arch, "arm"), strcpy(pl->variant, "v7");
    else if (!strncmp(m, "armv6", 5)) strcpy(pl->arch, "arm"), strcpy(pl->variant, "v6");
    else if (!strcmp(m, "i686") || !strcmp(m, "i386")) strcpy(pl->arch, "386");
    else snprintf(pl->arch, sizeof(pl->arch), "%.31s", m);
  } else {
    // os/arch[/variant], each part non-empty
    char *f[3] = {pl->os, pl->arch, pl->variant};
    const char *q = s;
    int i = 0;
    for (; i < 3 && *q; i++) {
      size_t n = strcspn(q, "/");
      if (!n || n >= sizeof(pl->os)) break;
      memcpy(f[i], q, n);
      q += n + !!q[n];
    }
    if (i < 2 || *q || s[strlen(s) - 1] == '/')
      return fail(EINVAL, "\"%s\": invalid platform: expected os/arch[/variant]", s);
  }
  // Docker's normalisation: arm64 means v8, arm means v7.
  if (!strcmp(pl->arch, "aarch64")) strcpy(pl->arch, "arm64");
  if (!strcmp(pl->arch, "x86_64")) strcpy(pl->arch, "amd64");
  if (!strcmp(pl->arch, "arm64") && !*pl->variant) strcpy(pl->variant, "v8");
  if (!strcmp(pl->arch, "arm") && !*pl->variant) strcpy(pl->variant, "v7");
  return 0;
}

static int platform_matches(const struct json *plat, const struct platform *want)
{
  const char *os = json_get_str(plat, "os"), *arch = json_get_str(plat, "architecture");
  const char *variant = json_get_str(plat, "variant");

  if (!os || !arch || strcmp(os, want->os)) return 0;
  if (strcmp(arch, want->arch) && !(!strcmp(arch, "aarch64") && !strcmp(want->arch, "arm64")))
    return 0;
  // An entry without a variant fits the default one (arm64/v8).
  return !variant || !*variant || !strcmp(variant, want->variant);
}

// ---- media types -----------------------------------------------------

static int is_index(const char *t)
{
  return !strcmp(t, "application/vnd.docker.distribution.manifest.list.v2+json") ||
         !strcmp(t, "application/vnd.oci.image.index.v1+json");
}

static int is_manifest(const char *t)
{
  return !strcmp(t, "application/vnd.docker.distribution.manifest.v2+json") ||
         !strcmp(t, "application/vnd.oci.image.manifest.v1+json");
}

// The media type from the header, else from the body (OCI allows both).
static int manifest_type(struct pull *p, const struct json *j, char type[128])
{
  const char *mt = json_get_str(j, "mediaType");
  long long sv = 0;

  json_int(json_get(j, "schemaVersion"), &sv);
  if (sv == 1 || strstr(type, "distribution.manifest.v1"))
    return fail(EPROTO, "%s: unsupported manifest format: Docker image format v1 (schema 1) is no "
                "longer supported; push the image again with a current client", p->name);
  if (!*type || !strcmp(type, "application/json") || !strcmp(type, "text/plain"))
    snprintf(type, 128, "%s", mt ? mt : "");
  if (!*type && json_get(j, "manifests")) strcpy(type, "application/vnd.oci.image.index.v1+json");
  if (!*type && json_get(j, "layers")) strcpy(type, "application/vnd.oci.image.manifest.v1+json");
  if (!is_index(type) && !is_manifest(type))
    return fail(EPROTO, "%s: unsupported manifest media type \"%s\"", p->name, type);
  return 0;
}

// ---- blobs ---------------------------------------------------------------

static int fetch_config(struct pull *p, const char *digest, char **raw, size_t *len)
{
  struct http_resp resp;
  struct buf b = {0};
  char got[72];
  int rc;

  if (blob_exists(&p->st, digest, 0)) return blob_read(&p->st, digest, CONFIG_MAX, raw, len);
  if (reg_blob(&p->reg, digest, 0, &resp) < 0) return -1;
  rc = reg_read_body(&resp, &b, CONFIG_MAX, "image config");
  http_done(&p->reg.http, &resp);
  if (rc < 0) return buf_free(&b), -1;
  digest_buf(b.s ? b.s : "", b.len, got);
  if (strcmp(got, digest)) {
    buf_free(&b);
    return fail(EIO, "config %s: digest mismatch: the content is %s", digest, got);
  }
  *len = b.len;
  *raw = b.s ? buf_steal(&b) : xzalloc(1);
  return 0;
}

// The layer stream: first what a partial blob file already holds, then the
// registry's body, which is appended to that file as it goes.
struct tee {
  int fd;                 // the partial blob, O_APPEND
  int64_t have, done;     // bytes in the file at the start; bytes served
  struct http_resp *resp; // NULL when the blob was complete on disk
  struct pull *p;
  const char *digest;
  int64_t total;          // the descriptor's size, for progress
  int net_err;            // the registry's stream broke: keep what we have
  struct timespec shown;  // when progress was last drawn
};

static ssize_t tee_read(void *ctx, void *buf, size_t n)
{
  struct tee *t = ctx;
  ssize_t r;

  if (t->done < t->have) {
    if ((int64_t)n > t->have - t->done) n = t->have - t->done;
    while ((r = pread(t->fd, buf, n, t->done)) < 0 && errno == EINTR);
    if (r <= 0) return fail(r ? errno : EIO, "reading the partial blob: %s", r ? strerror(errno) : "short");
  } else if (t->resp) {
    if ((r = http_read(t->resp, buf, n)) < 0) t->net_err = 1;
    if (r <= 0) return r;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - t->shown.tv_sec) * 1000 + (now.tv_nsec - t->shown.tv_nsec) / 1000000 > 100) {
      t->shown = now;
      progress(t->p, t->digest, t->done + r, t->total);
    }
    if (writeall(t->fd, buf, r) != r) return fail(errno, "writing the blob: %s", strerror(errno));
  } else return 0;
  t->done += r;
  if (t->total > 0 && t->done > t->total) return fail(EIO, "the blob is larger than its descriptor says");
  return r;
}

// Download (or resume) and unpack one layer into layers/<chain>: a worker's
// job, its lines sent to the parent.
static int pull_layer(struct pull *p, const struct json *desc, const char *diff_id, const char *chain)
{
  const char *digest = json_get_str(desc, "digest");
  long long size = -1;
  char partial[128], staging[160], final[128], path[96], got_raw[72], got_tar[72];
  struct http_resp resp;
  struct tee t = {0};
  struct gunzip *g = 0;
  struct digest draw, dtar;
  struct layer_stats ls;
  struct stat sb;
  int dir = -1, rc = -1, have_blob, have_layer;

  json_int(json_get(desc, "size"), &size);
  have_blob = blob_exists(&p->st, digest, 0);
  have_layer = layer_exists(&p->st, chain);
  if (have_blob && have_layer) {  // another pull made it meanwhile
    if (!p->have_image) say(p, 0, digest, "Already exists");
    return 0;
  }

  // One puller per blob: the partial file is locked while in use.
  snprintf(partial, sizeof(partial), "tmp/partial-%s", digest + 7);
  blob_path(digest, path);
  t.fd = openat(p->st.fd, have_blob ? path : partial,
                (have_blob ? O_RDONLY : O_RDWR | O_CREAT | O_APPEND) | O_CLOEXEC, 0644);
  if (t.fd < 0) return fail(errno, "%s: %s", partial, strerror(errno));
  while (flock(t.fd, LOCK_EX) && errno == EINTR);
  if (!have_blob && blob_exists(&p->st, digest, 0)) {  // another pull finished it
    close(t.fd);
    return pull_layer(p, desc, diff_id, chain);
  }
  fstat(t.fd, &sb);
  t.have = sb.st_size;
  t.p = p;
  t.digest = digest;
  t.total = size;
  if (!have_blob && (size < 0 || t.have < size)) {
    if (reg_blob(&p->reg, digest, t.have, &resp) < 0) goto out;
    if (resp.status == 200 && t.have) {  // no Range support: start over
      if (ftruncate(t.fd, 0)) goto io;
      t.have = 0;
    }
    t.resp = &resp;
  }

  snprintf(staging, sizeof(staging), "tmp/%d-layer-%s", (int)getpid(), chain + 7);
  mkdirat(p->st.fd, staging, 0755);
  if ((dir = openat(p->st.fd, staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) goto io;
  {
    // layers/<chain>/diff is the overlay lower dir; unpack straight into it.
    int d;
    if (mkdirat(dir, "diff", 0755) || (d = openat(dir, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
      goto io;
    close(dir);
    dir = d;
  }
  digest_init(&draw);
  digest_init(&dtar);
  if (gunzip_open(&g, (struct reader){tee_read, &t}, &draw, &dtar) < 0 ||
      layer_unpack(gunzip_reader(g), dir, &ls) < 0) {
    if (t.resp) http_done(&p->reg.http, t.resp), t.resp = 0;
    // Bad bytes are not worth resuming from; a broken connection is.
    if (!t.net_err && !have_blob) unlinkat(p->st.fd, partial, 0);
    char *why = xstrdup(applet.why);
    fail(EIO, "%.12s: %s", digest + 7, why);
    free(why);
    goto cleanup;
  }
  if (t.resp) {
    // the tar's end may come before the blob's: read the rest through
    char sink[4096];
    ssize_t n;
    struct reader gr = gunzip_reader(g);
    while ((n = gr.read(gr.ctx, sink, sizeof(sink))) > 0);
    http_done(&p->reg.http, t.resp);
    t.resp = 0;
    if (n < 0) goto cleanup;
  }
  say(p, 0, digest, "Verifying Checksum");
  digest_final(&draw, got_raw);
  digest_final(&dtar, got_tar);
  if (strcmp(got_raw, digest)) {
    // A wrong blob must not be resumed from: drop the partial file.
    unlinkat(p->st.fd, partial, 0);
    fail(EIO, "%.12s: filesystem layer verification failed for digest %s: the content is %s",
         digest + 7, digest, got_raw);
    goto cleanup;
  }
  if (strcmp(got_tar, diff_id)) {
    fail(EIO, "%.12s: layer diff_id mismatch: the config says %s, the content is %s",
         digest + 7, diff_id, got_tar);
    goto cleanup;
  }
  say(p, 0, digest, "Download complete");
  if (!have_blob) {
    if (fsync(t.fd) || renameat(p->st.fd, partial, p->st.fd, path) || fsync_dir_at(p->st.fd, "blobs/sha256"))
      goto io;
  }
  if (!have_layer) {
    char meta[256];
    int n = snprintf(meta, sizeof(meta), "{\"diff_id\":\"%s\",\"size\":%" PRIu64 "}\n", diff_id, ls.bytes);
    snprintf(final, sizeof(final), "layers/%s", chain + 7);
    char metapath[192];
    snprintf(metapath, sizeof(metapath), "%s/layer.json", staging);
    syncfs(dir);
    if (atomic_write_at(p->st.fd, metapath, meta, n, 0644) < 0) goto cleanup;
    if (renameat(p->st.fd, staging, p->st.fd, final)) {
      if (errno != EEXIST && errno != ENOTEMPTY) goto io;
      // someone else unpacked it meanwhile: theirs is as good as ours
    } else if (fsync_dir_at(p->st.fd, "layers")) goto io;
  }
  say(p, 0, digest, "Pull complete");
  rc = 0;
  goto cleanup;
io:
  fail(errno, "%.12s: %s", digest + 7, strerror(errno));
cleanup:
  if (t.resp) http_done(&p->reg.http, t.resp);
  gunzip_close(g);
  if (dir >= 0) close(dir);  // the staging dir is the parent's to remove
out:
  close(t.fd);
  return rc;
}

// ---- layers a few at a time ------------------------------------------------
// A worker process per layer, so that each has its own connection, zlib
// and libarchive state, and errors (applet.why) of its own; the parent
// starts them, draws what they say and stops the rest on a failure.

enum { TODO, RUNNING, DONE };

struct job {
  const struct json *desc;
  const char *digest, *diff_id;
  char chain[72];
  pid_t pid;
  int state;
};

// Fork layer j's worker; *fd becomes the parent's end of its socket. The
// first one takes over the parent's kept-alive connection (the parent
// sends nothing more), the others dial their own.
static int start_job(struct pull *p, struct job *j, int *fd, int first)
{
  int sv[2];
  pid_t parent = getpid();

  fflush(0);  // nothing buffered twice, should a worker exit()
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) || (j->pid = fork()) < 0)
    return fail(errno, "fork: %s", strerror(errno));
  if (!j->pid) {
    // No worker outlives the pull, even one killed with -9.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    p->sock = sv[1];
    if (!first) p->reg.http.idle = 0;
    if (pull_layer(p, j->desc, j->diff_id, j->chain) < 0) {
      char msg[sizeof(applet.why) + 1];
      snprintf(msg, sizeof(msg), "!%s", applet.why);
      write(p->sock, msg, strlen(msg));
      _exit(1);
    }
    _exit(0);
  }
  close(sv[1]);
  *fd = sv[0];
  j->state = RUNNING;
  return 0;
}

// Layer i waits while an earlier one with the same blob is not done: the
// blob is downloaded once, then read from the store.
static int blocked(struct job *jobs, int i)
{
  for (int k = 0; k < i; k++)
    if (jobs[k].state != DONE && !strcmp(jobs[k].digest, jobs[i].digest)) return 1;
  return 0;
}

static int pull_layers(struct pull *p, struct job *jobs, int n)
{
  int max = config_load()->max_downloads ? config_load()->max_downloads : 3;  // Docker's default
  int running = 0, rc = 0;
  struct pollfd pf[n + 1];

  for (int i = 0; i < n; i++) pf[i] = (struct pollfd){-1, POLLIN, 0};
  for (int first = 1;; first = 0) {
    for (int i = 0; i < n; i++)
      if (jobs[i].state == TODO) {
        if (!rc && running < max && !blocked(jobs, i)) {
          if (!(rc = start_job(p, jobs + i, &pf[i].fd, first && !running))) running++;
        } else if (first) say(p, i, jobs[i].digest, "Waiting");
      }
    if (!running) break;
    if (!rc) poll(pf, n, -1);
    for (int i = 0; i < n; i++) {
      struct job *j = jobs + i;
      char msg[sizeof(applet.why) + 1];
      ssize_t m;
      int st = 0;
      if (j->state != RUNNING || !(rc || pf[i].revents)) continue;
      if (!rc && (m = read(pf[i].fd, msg, sizeof(msg) - 1)) > 0) {
        msg[m] = 0;
        if (*msg != '!') say(p, i, j->digest, msg);
        else rc = fail(EIO, "%s", msg + 1);
        continue;
      }
      // Its end; or one failed, and the others stop too (a partial blob
      // stays, to be resumed). What it was unpacking goes.
      if (rc) kill(j->pid, SIGKILL);
      waitpid(j->pid, &st, 0);
      close(pf[i].fd);
      pf[i].fd = -1;
      j->state = DONE;
      running--;
      char *s = xmprintf("%s/tmp/%d-layer-%s", p->st.root, (int)j->pid, j->chain + 7);
      rm_rf(s);
      free(s);
      if (st && !rc) rc = fail(EIO, "%.12s: the worker failed", j->digest + 7);
    }
  }
  return rc;
}

// ---- the whole pull ------------------------------------------------------

int image_pull(const char *name, const struct pull_opts *o, char out_digest[72])
{
  struct pull p = {.o = o, .sock = -1};
  struct job *jobs = 0;
  struct buf body = {0}, fam = {0}, full = {0}, path = {0};
  struct json *man = 0, *cfg = 0;
  struct json_err err;
  struct platform want;
  char type[128], digest[72], repo_digest[72], cdigest[72], *craw = 0;
  size_t clen;
  int rc = -1, updated = 0;

  p.name = name;
  if (CFG_PROGRESS) {
    struct winsize ws;
    int fd = fileno(o->out ? o->out : stdout);
    p.tty = isatty(fd);
    p.width = p.tty && !ioctl(fd, TIOCGWINSZ, &ws) ? ws.ws_col : 80;
  }
  if (ref_parse(name, &p.ref) < 0) return -1;
  if (parse_platform(o->platform, &want) < 0) return -1;
  ref_familiar(&p.ref, &fam);
  ref_full(&p.ref, &full);
  if (store_open(&p.st, STORE_USE) < 0) goto out;
  if (reg_open(&p.reg, &p.ref, "pull") < 0) goto out;
  if (!strchr(name + strcspn(name, "@"), '@') && !strchr(strrchr(name, '/') ? strrchr(name, '/') : name, ':'))
    say(&p, 0, 0, "Using default tag: latest");

  const char *reference = *p.ref.digest ? p.ref.digest : p.ref.tag;
  // Docker Hub names go to the registry-mirrors first, in order; the
  // first that has the manifest serves the whole pull.
  struct strlist *mirror = !strcmp(p.ref.domain, "docker.io") ? config_load()->registry_mirrors : 0;
  char origin[sizeof(p.reg.endpoint)];
  strcpy(origin, p.reg.endpoint);
  for (;; mirror = mirror->next) {
    struct url mu;
    free(p.reg.auth);
    p.reg.auth = 0;
    if (mirror && url_parse(mirror->s, &mu) == 0) {
      snprintf(p.reg.scheme, sizeof(p.reg.scheme), "%s", mu.scheme);
      snprintf(p.reg.endpoint, sizeof(p.reg.endpoint), strchr(mu.host, ':') ? "[%s]:%s" : "%s:%s",
               mu.host, mu.port);
    } else if (!mirror) {
      strcpy(p.reg.scheme, "https");
      strcpy(p.reg.endpoint, origin);
    } else continue;
    body.len = 0;
    if (reg_manifest(&p.reg, reference, &body, type, digest) == 0) break;
    if (!mirror) goto fail;
  }
  strcpy(repo_digest, digest);
  if (!(man = json_parse(body.s ? body.s : "", body.len, &err))) {
    fail(EPROTO, "manifest: %s at byte %zu", err.msg, err.off);
    goto fail;
  }
  if (manifest_type(&p, man, type) < 0) goto out;
  if (is_index(type)) {
    struct json *m, *pick = 0;
    for (m = json_get(man, "manifests") ? json_get(man, "manifests")->child : 0; m; m = m->next)
      if (platform_matches(json_get(m, "platform"), &want)) {
        pick = m;
        break;
      }
    if (!pick) {
      fail(ENOENT, "%s: no matching manifest for %s/%s%s%s in the manifest list entries",
           buf_str(&fam), want.os, want.arch, *want.variant ? "/" : "", want.variant);
      goto out;
    }
    const char *d = json_get_str(pick, "digest");
    if (!d || !digest_valid(d)) {
      fail(EPROTO, "%s: manifest list entry without a valid digest", buf_str(&fam));
      goto out;
    }
    char dd[72];
    snprintf(dd, sizeof(dd), "%s", d);
    json_free(man);
    man = 0;
    body.len = 0;
    if (reg_manifest(&p.reg, dd, &body, type, digest) < 0) goto fail;
    if (!(man = json_parse(body.s ? body.s : "", body.len, &err))) {
      fail(EPROTO, "manifest: %s at byte %zu", err.msg, err.off);
      goto fail;
    }
    if (manifest_type(&p, man, type) < 0) goto out;
    if (!is_manifest(type)) {
      fail(EPROTO, "%s: a manifest list inside a manifest list", buf_str(&fam));
      goto out;
    }
  }
  buf_printf(&path, "%s: Pulling from %s", *p.ref.digest ? p.ref.digest : p.ref.tag, p.ref.path);
  say(&p, 0, 0, path.s);

  const char *c = json_get_str(json_get(man, "config"), "digest");
  struct json *layers = json_get(man, "layers");
  if (!c || !digest_valid(c) || !layers || layers->type != JSON_ARRAY) {
    fail(EPROTO, "%s: manifest without a config or layers", buf_str(&fam));
    goto out;
  }
  snprintf(cdigest, sizeof(cdigest), "%s", c);
  if (fetch_config(&p, cdigest, &craw, &clen) < 0) goto fail;
  if (!(cfg = json_parse(craw, clen, &err))) {
    fail(EPROTO, "config: %s at byte %zu", err.msg, err.off);
    goto fail;
  }
  struct json *diffs = json_get(json_get(cfg, "rootfs"), "diff_ids");
  if (!diffs || diffs->type != JSON_ARRAY || diffs->len != layers->len) {
    fail(EPROTO, "%s: the config's diff_ids do not match the manifest's %zu layers",
         buf_str(&fam), layers->len);
    goto out;
  }
  struct json *l = layers->child, *d = diffs->child;
  int n = 0;
  jobs = xzalloc((layers->len + 1) * sizeof(*jobs));
  for (; l; l = l->next, d = d->next, n++) {
    struct job *j = jobs + n;
    j->desc = l;
    j->digest = json_get_str(l, "digest");
    j->diff_id = d->str;
    if (!j->digest || !digest_valid(j->digest) || d->type != JSON_STRING || !digest_valid(d->str)) {
      fail(EPROTO, "%s: invalid layer digest in the manifest or config", buf_str(&fam));
      goto out;
    }
    chain_id(n ? j[-1].chain : "", d->str, j->chain);
  }
  // Docker: an image already here is up to date, without layer lines.
  p.have_image = blob_exists(&p.st, cdigest, 0);
  for (int i = 0; i < n; i++) {
    int here = blob_exists(&p.st, jobs[i].digest, 0) && layer_exists(&p.st, jobs[i].chain);
    jobs[i].state = here ? DONE : TODO;
    if (here && p.have_image) continue;
    say(&p, i, jobs[i].digest, here ? "Already exists" : "Pulling fs layer");
    // on a terminal, a line per layer, each then redrawn in place
    p.nlines += !p.have_image;
  }
  if (pull_layers(&p, jobs, n) < 0) goto fail;
  // The config and manifest go in last: until then nothing names the layers.
  char mdigest[72];
  if (blob_put(&p.st, craw, clen, cdigest) < 0 || blob_put(&p.st, body.s, body.len, mdigest) < 0)
    goto fail;
  if (index_name(&p.st, full.s, mdigest, type, body.len, repo_digest, &updated) < 0) goto fail;
  if (out_digest) strcpy(out_digest, mdigest);
  if (!o->quiet) {
    FILE *out = o->out ? o->out : stdout;
    fprintf(out, "Digest: %s\n", repo_digest);
    fprintf(out, "Status: %s for %s\n", updated ? "Downloaded newer image" : "Image is up to date", fam.s);
  }
  rc = 0;
  goto out;
fail:
  // Registry and store errors: say which image.
  if (strncmp(applet.why, name, strlen(name))) {
    char *why = xstrdup(applet.why);
    fail(EIO, "%s: %s", buf_str(&fam), why);
    free(why);
  }
out:
  free(jobs);
  json_free(man);
  json_free(cfg);
  free(craw);
  buf_free(&body);
  buf_free(&fam);
  buf_free(&full);
  buf_free(&path);
  reg_close(&p.reg);
  store_close(&p.st);
  return rc;
}
