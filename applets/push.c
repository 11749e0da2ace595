// push.c: docker push: an image from the store to its registry: each blob
// skipped when the registry has it, mounted from another repository of the
// same registry when one of our images came from there, else uploaded;
// then the manifest, byte for byte, so its digest stays the same.
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

static void push_blob(const char *digest, int64_t size, int show)
{
  struct http_resp resp;
  struct url loc;
  char *tail, path[96];
  int fd;

  if (show) say(digest, "Preparing");
  tail = xmprintf("blobs/%s", digest);
  if (reg_request(&reg, "HEAD", tail, 0, &resp) < 0) error_exit("%s", applet.why);
  free(tail);
  http_done(&reg.http, &resp);
  if (resp.status == 200) {
    if (show) say(digest, "Layer already exists");
    return;
  }
  char *from = mount_source(digest);
  if (from) tail = xmprintf("blobs/uploads/?mount=%s&from=%s", digest, from);
  else tail = xmprintf("blobs/uploads/");
  if (reg_request(&reg, "POST", tail, 0, &resp) < 0) error_exit("%s", applet.why);
  free(tail);
  if (resp.status == 201 && from) {
    http_done(&reg.http, &resp);
    if (show) {
      char *m = xmprintf("Mounted from %s", from);
      say(digest, m);
      free(m);
    }
    free(from);
    return;
  }
  free(from);
  if (resp.status != 202) reg_die(&resp, "upload");
  const char *l = http_header(&resp, "Location");
  struct url base;
  char *s = xmprintf("%s://%s/v2/", reg.scheme, reg.endpoint);
  url_parse(s, &base);
  free(s);
  if (!l || url_resolve(&base, l, &loc) < 0) error_exit("upload: the registry gave no Location");
  http_done(&reg.http, &resp);
  // Monolithic upload: PUT the whole blob with ?digest= added.
  size_t plen = strlen(loc.path);
  snprintf(loc.path + plen, sizeof(loc.path) - plen, "%cdigest=%s", strchr(loc.path, '?') ? '&' : '?', digest);
  blob_path(digest, path);
  if ((fd = openat(st.fd, path, O_RDONLY | O_CLOEXEC)) < 0)
    error_exit("blob %s is not in the store: %s", digest, strerror(errno));
  struct strlist ct = {0, "Content-Type: application/octet-stream"};
  struct reg_body body = {0, fd, size};
  if (reg_send(&reg, "PUT", &loc, &ct, &body, &resp) < 0) error_exit("%s", applet.why);
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
    long long size = -1;
    json_int(json_get(l, "size"), &size);
    const char *d = json_get_str(l, "digest");
    if (!d || !digest_valid(d)) error_exit("%s: invalid layer digest in the manifest", fam.s);
    push_blob(d, size, 1);
  }
  push_blob(im.config_digest, im.config_len, 0);

  char *tail = xmprintf("manifests/%s", *r.tag ? r.tag : r.digest);
  char *ct = xmprintf("Content-Type: %s", e->media_type ? e->media_type : "application/vnd.oci.image.manifest.v1+json");
  struct strlist hdr = {0, ct};
  struct url u;
  char *s = xmprintf("%s://%s/v2/%s/%s", reg.scheme, reg.endpoint, r.path, tail);
  if (url_parse(s, &u) < 0) error_exit("%s", applet.why);
  struct reg_body body = {im.manifest_raw, -1, im.manifest_len};
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
