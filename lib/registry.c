// registry.c: the client side of the OCI distribution API (distribution-
// spec spec.md) as Docker speaks it: endpoints and mirrors, TLS trust,
// Bearer token and Basic auth with ~/.docker/config.json credentials,
// manifests with digest checks, blobs with Range and redirects.
#include "ocibox.h"
#include <arpa/inet.h>
#include <ctype.h>

#define MAX_REDIRECTS 5

static const char manifest_accept[] =
  "Accept: application/vnd.docker.distribution.manifest.v2+json, "
  "application/vnd.docker.distribution.manifest.list.v2+json, "
  "application/vnd.oci.image.manifest.v1+json, "
  "application/vnd.oci.image.index.v1+json";

// 127.0.0.0/8 and ::1 are always insecure, as in Docker; then the listed
// host[:port] names and CIDRs of insecure-registries.
static int in_cidr(const char *host, const char *cidr)
{
  char net[64];
  const char *slash = strchr(cidr, '/');
  if (!slash || slash - cidr >= (int)sizeof(net)) return 0;
  snprintf(net, sizeof(net), "%.*s", (int)(slash - cidr), cidr);
  int bits = atoi(slash + 1);
  unsigned char a[16], b[16];
  int fam = strchr(net, ':') ? AF_INET6 : AF_INET, len = fam == AF_INET6 ? 16 : 4;
  if (inet_pton(fam, host, a) != 1 || inet_pton(fam, net, b) != 1 || bits > len * 8) return 0;
  for (int i = 0; i < bits; i++)
    if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8))) return 0;
  return 1;
}

static int loopback(const char *host)
{
  return in_cidr(host, "127.0.0.0/8") || in_cidr(host, "::1/128");
}

// Listed in insecure-registries by host, host:port or a CIDR.
static int listed_insecure(const char *host, const char *port)
{
  char hostport[300];
  snprintf(hostport, sizeof(hostport), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
  for (struct strlist *l = config_load()->insecure_registries; l; l = l->next) {
    const char *e = l->s;
    if (!strncmp(e, "http://", 7)) e += 7;
    else if (!strncmp(e, "https://", 8)) e += 8;
    if (!strcmp(e, host) || !strcmp(e, hostport) || in_cidr(host, e)) return 1;
  }
  return 0;
}

static int is_insecure(const char *host, const char *port)
{
  return loopback(host) || listed_insecure(host, port);
}

// Plain HTTP after a failed TLS attempt: for listed hosts whatever the
// failure (as Docker), for loopback ones only when the server does not
// speak TLS at all (its answer was HTTP): a bad certificate is never
// silently downgraded.
static int plain_ok(const struct url *u)
{
  return listed_insecure(u->host, u->port) ||
         ((loopback(u->host) || !strcmp(u->host, "localhost")) && strstr(applet.why, "HTTP response to HTTPS"));
}

int reg_open(struct registry *r, const struct ref *ref, const char *actions)
{
  memset(r, 0, sizeof(*r));
  r->ref = *ref;
  int hub = !strcmp(ref->domain, "docker.io");
  snprintf(r->endpoint, sizeof(r->endpoint), "%s", hub ? "registry-1.docker.io" : ref->domain);
  strcpy(r->scheme, "https");
  r->scope = xmprintf("repository:%s:%s", ref->path, actions);
  r->basic = creds_get(hub ? "https://index.docker.io/v1/" : ref->domain);
  // Docker's certs.d, and the one beside our daemon.json (/etc/ocibox).
  config_load();
  const char *slash = strrchr(applet.config_path, '/');
  r->certs_d = xmprintf("%.*s/certs.d", slash ? (int)(slash - applet.config_path) : 1,
                        slash ? applet.config_path : ".");
  r->http.certs_dirs[0] = "/etc/docker/certs.d";
  r->http.certs_dirs[1] = r->certs_d;
  r->http.insecure = is_insecure;
  r->http.registry = r->endpoint;
  return 0;
}

void reg_close(struct registry *r)
{
  http_client_close(&r->http);
  free(r->scope);
  free(r->auth);
  free(r->basic);
  free(r->certs_d);
  memset(r, 0, sizeof(*r));
}

// One parameter of a WWW-Authenticate challenge: key=value or key="v\"".
static char *challenge_param(const char *h, const char *key)
{
  size_t klen = strlen(key);
  for (const char *p = h; *p;) {
    while (*p == ' ' || *p == ',') p++;
    const char *eq = strchr(p, '=');
    if (!eq) break;
    int match = (size_t)(eq - p) == klen && !strncasecmp(p, key, klen);
    struct buf v = {0};
    p = eq + 1;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1]) p++;
        buf_addc(&v, *p);
      }
      if (*p) p++;
    } else
      while (*p && *p != ',') buf_addc(&v, *p++);
    if (match) return buf_steal(&v);
    buf_free(&v);
  }
  return 0;
}

void url_escape(const char *s, struct buf *out)
{
  for (; *s; s++) {
    if (isalnum((unsigned char)*s) || strchr("-_.~", *s)) buf_addc(out, *s);
    else buf_printf(out, "%%%02X", (unsigned char)*s);
  }
}

// The Bearer token flow: GET realm?service=…&scope=… (with Basic
// credentials when we have them), then use token / access_token.
static int fetch_token(struct registry *r, const char *challenge)
{
  char *realm = challenge_param(challenge, "realm"), *service = challenge_param(challenge, "service");
  char *scope = challenge_param(challenge, "scope");
  struct buf u = {0};
  struct url url;
  int rc = -1;
  if (!realm) {
    rc = fail(EPROTO, "%s: Bearer challenge without a realm", r->endpoint);
    goto out;
  }
  buf_adds(&u, realm);
  char sep = strchr(realm, '?') ? '&' : '?';
  if (service) {
    buf_printf(&u, "%cservice=", sep);
    url_escape(service, &u);
    sep = '&';
  }
  // Our scope's entries (a push's mount adds its source's), then the
  // challenge's for other resources; one scope= each, as the token spec
  // says, none twice. Login has none, as in Docker.
  struct buf want = {0};
  struct strlist *seen = 0;
  size_t ours = strlen(r->scope);
  const char *mine = memrchr(r->scope, ':', strcspn(r->scope, " "));
  buf_printf(&want, "%s %s", r->scope, scope ? scope : "");
  for (char *e = strtok(want.s, " "); e; e = strtok(0, " ")) {
    int skip = e > want.s + ours && mine && !strncmp(e, r->scope, mine - r->scope + 1);
    for (struct strlist *l = seen; l && !skip; l = l->next) skip = !strcmp(l->s, e);
    if (skip) continue;
    strlist_add(&seen, xstrdup(e));
    buf_printf(&u, "%cscope=", sep);
    url_escape(e, &u);
    sep = '&';
  }
  buf_free(&want);
  strlist_free(seen);
  if ((rc = url_parse(u.s, &url)) < 0) goto out;
  struct strlist *hdr = 0;
  struct buf ah = {0};
  if (r->basic) {
    buf_printf(&ah, "Authorization: Basic %s", r->basic);
    strlist_add(&hdr, ah.s);
  }
  struct http_resp resp;
  if ((rc = http_request(&r->http, "GET", &url, hdr, 0, -1, 0, &resp)) < 0) goto out2;
  struct buf body = {0};
  char chunk[4096];
  ssize_t n;
  while ((n = http_read(&resp, chunk, sizeof(chunk))) > 0 && body.len < (1 << 20)) buf_add(&body, chunk, n);
  http_done(&r->http, &resp);
  struct json_err err;
  struct json *j = n < 0 ? 0 : json_parse(body.s ? body.s : "", body.len, &err);
  const char *tok = json_get_str(j, "access_token"), *why = json_get_str(j, "details");
  if (!tok || !*tok) tok = json_get_str(j, "token");
  if (n < 0) rc = -1;
  else if (resp.status == 401 || resp.status == 403)
    // the token server's words when it has some (Docker Hub's "details")
    rc = fail(EACCES, "unauthorized: %s", why && *why ? why
              : r->basic ? "incorrect username or password" : "authentication required");
  else if (resp.status != 200)
    rc = fail(EPROTO, "%s: token server %s answered %d", r->endpoint, realm, resp.status);
  else if (!tok || !*tok) rc = fail(EPROTO, "%s: token server gave no token", r->endpoint);
  else {
    free(r->auth);
    r->auth = xmprintf("Bearer %s", tok);
    r->bearer = 1;
    rc = 0;
  }
  json_free(j);
  buf_free(&body);
out2:
  buf_free(&ah);
  free(hdr);
out:
  buf_free(&u);
  free(realm);
  free(service);
  free(scope);
  return rc;
}

// Answer a 401: a Bearer challenge gets a token, a Basic one our
// credentials. Fails when there is nothing (new) to offer.
static int answer_challenge(struct registry *r, const char *h)
{
  if (h && !strncasecmp(h, "Bearer", 6)) return fetch_token(r, h + 6);
  if (h && !strncasecmp(h, "Basic", 5) && r->basic && !r->auth) {
    r->auth = xmprintf("Basic %s", r->basic);
    return 0;
  }
  return fail(EACCES, "unauthorized: authentication required");
}

// Send once, with our Authorization (unless told not to) before the
// caller's headers; a streamed body starts again from its beginning.
static int send_once(struct registry *r, const char *method, const struct url *url,
                     const struct strlist *headers, const struct reg_body *body, int send_auth,
                     struct http_resp *resp)
{
  struct strlist auth = {(struct strlist *)headers, 0};
  if (r->auth && send_auth) auth.s = xmprintf("Authorization: %s", r->auth);
  if (body && body->fd >= 0 && lseek(body->fd, body->off, SEEK_SET) != body->off)
    return free(auth.s), fail(errno, "rewind the upload: %s", strerror(errno));
  int rc = http_request(&r->http, method, url, auth.s ? &auth : headers, body ? body->p : 0,
                        body ? body->fd : -1, body ? body->len : 0, resp);
  free(auth.s);
  return rc;
}

int reg_send(struct registry *r, const char *method, const struct url *start,
             const struct strlist *headers, const struct reg_body *body, struct http_resp *resp)
{
  struct url url = *start, next;
  int rc, tried_auth = 0, send_auth = 1;

  for (int hops = 0; hops <= MAX_REDIRECTS; hops++) {
    rc = send_once(r, method, &url, headers, body, send_auth, resp);
    if (rc < 0 && !hops && !strcmp(url.scheme, "https") && plain_ok(&url)) {
      strcpy(r->scheme, "http");
      strcpy(url.scheme, "http");
      if (!strcmp(url.port, "443")) strcpy(url.port, "80");
      rc = send_once(r, method, &url, headers, body, send_auth, resp);
    }
    if (rc < 0) return rc;
    if (resp->status == 401 && send_auth && !tried_auth++) {
      const char *h = http_header(resp, "WWW-Authenticate");
      char *challenge = h ? xstrdup(h) : 0;
      http_done(&r->http, resp);
      rc = answer_challenge(r, challenge);
      free(challenge);
      if (rc < 0) return rc;
      hops--;
      continue;
    }
    // Only GET and HEAD follow redirects; an upload's 201/202 Location is
    // for the caller.
    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return 0;
    if (resp->status < 300 || resp->status >= 400 || resp->status == 304) return 0;
    const char *loc = http_header(resp, "Location");
    if (!loc) return 0;
    rc = url_resolve(&url, loc, &next);
    http_done(&r->http, resp);
    if (rc < 0) return rc;
    // Never carry the registry's Authorization to another host (OCI).
    if (!url_same_host(&url, &next)) send_auth = 0;
    url = next;
  }
  return fail(ELOOP, "%s: too many redirects", r->endpoint);
}

int reg_request(struct registry *r, const char *method, const char *tail,
                const struct strlist *headers, struct http_resp *resp)
{
  struct url url;
  char *s = xmprintf("%s://%s/v2/%s/%s", r->scheme, r->endpoint, r->ref.path, tail);
  int rc = url_parse(s, &url);
  free(s);
  return rc < 0 ? rc : reg_send(r, method, &url, headers, 0, resp);
}

void reg_error(struct registry *r, struct http_resp *resp, struct buf *why)
{
  struct buf body = {0};
  char chunk[4096];
  ssize_t n;
  while (body.len < (64 << 10) && (n = http_read(resp, chunk, sizeof(chunk))) > 0) buf_add(&body, chunk, n);
  struct json_err err;
  struct json *j = body.len ? json_parse(body.s, body.len, &err) : 0;
  struct json *e = json_at(json_get(j, "errors"), 0);
  const char *code = json_get_str(e, "code"), *msg = json_get_str(e, "message");
  // Docker's errcode text: MANIFEST_UNKNOWN is "manifest unknown"
  for (; code && *code; code++) buf_addc(why, *code == '_' ? ' ' : tolower((unsigned char)*code));
  if (msg) buf_printf(why, "%s%s", why->len ? ": " : "", msg);
  if (!why->len) buf_printf(why, "%s answered HTTP %d", r->endpoint, resp->status);
  json_free(j);
  buf_free(&body);
}

int reg_read_body(struct http_resp *resp, struct buf *body, size_t max, const char *what)
{
  char chunk[16384];
  ssize_t n;
  if (resp->length > (int64_t)max) return fail(EFBIG, "%s too large: %lld bytes", what, (long long)resp->length);
  while ((n = http_read(resp, chunk, sizeof(chunk))) > 0) {
    if (body->len + n > max) return fail(EFBIG, "%s too large: over %zu bytes", what, max);
    buf_add(body, chunk, n);
  }
  return n < 0 ? -1 : 0;
}

int reg_manifest(struct registry *r, const char *reference, struct buf *body,
                 char media_type[128], char digest[72])
{
  struct strlist accept = {0, (char *)manifest_accept};
  struct http_resp resp;
  char *tail = xmprintf("manifests/%s", reference);
  int rc = reg_request(r, "GET", tail, &accept, &resp);
  free(tail);
  if (rc < 0) return rc;
  if (resp.status != 200) {
    struct buf why = {0};
    reg_error(r, &resp, &why);
    http_done(&r->http, &resp);
    rc = fail(resp.status == 404 ? ENOENT : EPROTO, "%s", buf_str(&why));
    buf_free(&why);
    return rc;
  }
  rc = reg_read_body(&resp, body, MANIFEST_MAX, "manifest");
  const char *type = http_header(&resp, "Content-Type"), *dcd = http_header(&resp, "Docker-Content-Digest");
  snprintf(media_type, 128, "%.*s", type ? (int)strcspn(type, "; ") : 0, type ? type : "");
  char want[72];
  snprintf(want, sizeof(want), "%s", dcd ? dcd : "");
  http_done(&r->http, &resp);
  if (rc < 0) return rc;
  digest_buf(body->s ? body->s : "", body->len, digest);
  if (digest_valid(reference) && strcmp(reference, digest))
    return fail(EIO, "manifest digest mismatch: asked for %s, got %s", reference, digest);
  if (*want && digest_valid(want) && strcmp(want, digest))
    return fail(EIO, "manifest digest mismatch: the registry says %s, the content is %s", want, digest);
  return 0;
}

int reg_blob(struct registry *r, const char *digest, int64_t from, struct http_resp *resp)
{
  struct strlist range = {0, 0};
  char *tail = xmprintf("blobs/%s", digest);
  if (from > 0) range.s = xmprintf("Range: bytes=%lld-", (long long)from);
  int rc = reg_request(r, "GET", tail, from > 0 ? &range : 0, resp);
  free(tail);
  free(range.s);
  if (rc < 0) return rc;
  if (resp->status == 200 || (from > 0 && resp->status == 206)) return 0;
  struct buf why = {0};
  reg_error(r, resp, &why);
  http_done(&r->http, resp);
  rc = fail(EPROTO, "%s: %s", digest, buf_str(&why));
  buf_free(&why);
  return rc;
}
