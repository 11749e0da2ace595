// push.c: docker push: an image from the store to its registry: each blob
// skipped when the registry has it, mounted from another repository of the
// same registry when one of our images came from there, else uploaded;
// in one PUT or, when large, in PATCHed chunks; then the manifest, byte
// for byte, so its digest stays the same.
//
//applet:push "<1 >1 q(quiet)"
//config:config PUSH
//config:	bool "push: upload an image to a registry"
//config:	default y
//config:	help
//config:	  usage: push [-q] NAME[:TAG]
//config:
//config:	  Upload an image to its registry (Docker Hub unless NAME names a host).
//config:
//config:	  -q, --quiet   Suppress verbose output

#define FOR_push
#include "ocibox.h"
#include "generated/flags.h"

static struct registry reg;
static struct store st;

static void say(const char *digest, const char *msg)
{
  if (!FLAG(q)) printf("%.12s: %s\n", digest + 7, msg), fflush(stdout);
}

static NORETURN void reg_die(struct http_resp *resp, const char *what)
{
  struct buf why = {0};
  reg_error(&reg, resp, &why);
  // a refusal stands alone, as Docker prints it
  if (resp->status == 401 || resp->status == 403) what = 0;
  error_exit("%s%s%s", what ? what : "", what ? ": " : "", buf_str(&why));
}

// Another repository on the same registry one of our images came from
// that holds this blob: the registry can mount it instead of an upload.
static char *mount_source(const char *digest)
{
  struct index ix;
  char *from = 0;

  if (index_load(&st, &ix) < 0) return 0;
  for (size_t i = 0; i < ix.n && !from; i++) {
    struct ref r;
    struct image im;
    if (!ix.e[i].name || ref_parse(ix.e[i].name, &r) || strcmp(r.domain, reg.ref.domain) ||
        !strcmp(r.path, reg.ref.path) || image_load(&st, ix.e[i].digest, &im) < 0)
      continue;
    struct json *l = json_get(im.manifest, "layers");
    for (l = l ? l->child : 0; l && !from; l = l->next)
      if (json_get_str(l, "digest") && !strcmp(json_get_str(l, "digest"), digest))
        from = xstrdup(r.path);
    image_free(&im);
  }
  index_free(&ix);
  return from;
}

// Blobs above this go in PATCHes of this size (the registry may ask for
// more with OCI-Chunk-Min-Length): one request stays small enough for
// proxies that limit bodies (100 MB behind Cloudflare), and above S3's
// 5 MiB minimum part that registries storing in S3 need.
#define CHUNK (8 << 20)

// An upload's next URL: its Location, absolute or relative, resolved
// against the URL of the request that answered (RFC 3986), its query
// (the registry's state) kept.
static void follow(struct http_resp *resp, struct url *at)
{
  const char *l = http_header(resp, "Location");
  struct url next;

  if (!l || url_resolve(at, l, &next) < 0) error_exit("upload: the registry gave no Location");
  *at = next;
  http_done(&reg.http, resp);
}

// POST .../blobs/uploads/ (with ?mount=), at: the URL it was sent to.
static int start_upload(struct url *at, const char *query, struct http_resp *resp)
{
  char *s = xmprintf("%s://%s/v2/%s/blobs/uploads/%s", reg.scheme, reg.endpoint, reg.ref.path, query);
  if (url_parse(s, at) < 0 || reg_send(&reg, "POST", at, 0, 0, resp) < 0) error_exit("%s", applet.why);
  free(s);
  return resp->status;
}

static void push_blob(const char *digest, int show)
{
  struct http_resp resp;
  struct url at;
  struct stat sb;
  char *tail, path[96];
  int fd, status = 0;

  if (show) say(digest, "Preparing");
  tail = xmprintf("blobs/%s", digest);
  if (reg_request(&reg, "HEAD", tail, 0, &resp) < 0) error_exit("%s", applet.why);
  free(tail);
  http_done(&reg.http, &resp);
  if (resp.status == 200) {
    if (show) say(digest, "Layer already exists");
    return;
  }
  // A mount needs pull on the source too: the token asks for both.
  char *from = mount_source(digest), *scope = reg.scope;
  if (from) {
    reg.scope = xmprintf("%s repository:%s:pull", scope, from);
    tail = xmprintf("?mount=%s&from=%s", digest, from);
    status = start_upload(&at, tail, &resp);
    free(tail);
    free(reg.scope);
    reg.scope = scope;
    if (status == 201) {
      http_done(&reg.http, &resp);
      if (show) {
        char *m = xmprintf("Mounted from %s", from);
        say(digest, m);
        free(m);
      }
      free(from);
      return;
    }
    // 202: not mounted, but an upload is open at Location; anything else
    // (no pull on the source, say): a plain upload, as Docker falls back.
    if (status != 202) http_done(&reg.http, &resp);
  }
  if (!from || status != 202) status = start_upload(&at, "", &resp);
  free(from);
  if (status != 202) reg_die(&resp, "upload");
  long long chunk = CHUNK, min = 0;
  const char *h = http_header(&resp, "OCI-Chunk-Min-Length");
  if (h && (min = atoll(h)) > chunk) chunk = min;
  follow(&resp, &at);

  blob_path(digest, path);
  if ((fd = openat(st.fd, path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb))
    error_exit("blob %s is not in the store: %s", digest, strerror(errno));
  struct strlist ct = {0, "Content-Type: application/octet-stream"};
  struct reg_body body = {0, fd, sb.st_size, 0};
  // Large: PATCH after PATCH, each to the Location the last one gave, then
  // an empty PUT. Small: the blob in the PUT (monolithic).
  if (sb.st_size > chunk) {
    for (body.off = 0; body.off < sb.st_size; body.off += body.len) {
      char range[64];
      body.len = sb.st_size - body.off < chunk ? sb.st_size - body.off : chunk;
      snprintf(range, sizeof(range), "Content-Range: %lld-%lld", (long long)body.off,
               (long long)(body.off + body.len - 1));
      struct strlist hdr = {&ct, range};
      if (reg_send(&reg, "PATCH", &at, &hdr, &body, &resp) < 0) error_exit("%s", applet.why);
      if (resp.status != 202) reg_die(&resp, "upload");
      follow(&resp, &at);
    }
    body.len = 0;
  }
  size_t plen = strlen(at.path);
  snprintf(at.path + plen, sizeof(at.path) - plen, "%cdigest=%s", strchr(at.path, '?') ? '&' : '?', digest);
  if (reg_send(&reg, "PUT", &at, &ct, body.len ? &body : 0, &resp) < 0) error_exit("%s", applet.why);
  close(fd);
  if (resp.status != 201) reg_die(&resp, "upload");
  http_done(&reg.http, &resp);
  if (show) say(digest, "Pushed");
}

void push_main(void)
{
  struct ref r;
  struct buf full = {0}, fam = {0};
  struct index ix;
  struct index_entry *e;
  struct image im;
  struct http_resp resp;

  if (ref_parse(applet.argv[0], &r) < 0) error_exit("%s", applet.why);
  ref_full(&r, &full);
  ref_familiar(&r, &fam);
  if (store_open(&st, STORE_READ) < 0 || index_load(&st, &ix) < 0 || !(e = index_find(&ix, full.s)))
    error_exit("An image does not exist locally with the tag: %s", fam.s);
  if (image_load(&st, e->digest, &im) < 0) error_exit("%s", applet.why);
  if (reg_open(&reg, &r, "pull,push") < 0) error_exit("%s", applet.why);
  struct buf name = {0};
  ref_familiar_name(&r, &name);
  if (!FLAG(q)) printf("The push refers to repository [%s/%s]\n", r.domain, r.path);

  // Layers top first, as Docker lists them, then the config.
  struct json *layers = json_get(im.manifest, "layers"), *l;
  size_t n = layers ? layers->len : 0;
  for (size_t i = n; i-- > 0;) {
    l = json_at(layers, i);
    const char *d = json_get_str(l, "digest");
    if (!d || !digest_valid(d)) error_exit("%s: invalid layer digest in the manifest", fam.s);
    push_blob(d, 1);
  }
  push_blob(im.config_digest, 0);

  char *tail = xmprintf("manifests/%s", *r.tag ? r.tag : r.digest);
  char *ct = xmprintf("Content-Type: %s", e->media_type ? e->media_type : "application/vnd.oci.image.manifest.v1+json");
  struct strlist hdr = {0, ct};
  struct url u;
  char *s = xmprintf("%s://%s/v2/%s/%s", reg.scheme, reg.endpoint, r.path, tail);
  if (url_parse(s, &u) < 0) error_exit("%s", applet.why);
  struct reg_body body = {im.manifest_raw, -1, im.manifest_len, 0};
  if (reg_send(&reg, "PUT", &u, &hdr, &body, &resp) < 0) error_exit("%s", applet.why);
  if (resp.status != 201) reg_die(&resp, "manifest");
  http_done(&reg.http, &resp);
  if (!FLAG(q)) printf("%s: digest: %s size: %zu\n", *r.tag ? r.tag : r.digest, e->digest, im.manifest_len);
  else puts(full.s);
  free(s);
  free(tail);
  free(ct);
  buf_free(&name);
  image_free(&im);
  index_free(&ix);
  reg_close(&reg);
  store_close(&st);
  buf_free(&full);
  buf_free(&fam);
}
