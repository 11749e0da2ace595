// tls.c: TLS client connections for lib/http.c over BearSSL: trust anchors
// from PEM bundles (the system's, $SSL_CERT_FILE, Docker's per-registry
// certs.d/HOST:PORT/ca.crt), certificate and host name checks, and the
// unverified mode insecure-registries asks for.
#include "ocibox.h"
#include <bearssl.h>
#include <poll.h>

#define SYSTEM_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

struct tls {
  br_ssl_client_context sc;
  br_x509_minimal_context xc;
  const br_x509_class *insecure_vtable;  // wraps xc when not verifying
  br_sslio_context io;
  int fd, timeout_ms;
  unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

// ---- trust anchors from PEM -------------------------------------------
// Parsing the system bundle costs more than a handshake: the anchors of
// the last host stay with the client, and pull's workers inherit them.

struct tls_anchors {
  char *host;  // "host:port", for certs.d
  br_x509_trust_anchor *tas;
  size_t n;
};

static void append_buf(void *ctx, const void *p, size_t n) { buf_add(ctx, p, n); }

static void *copy(const void *p, size_t n)
{
  void *d = xmalloc(n ? n : 1);
  memcpy(d, p, n);
  return d;
}

// One DER certificate into a trust anchor (its name and public key).
static int add_anchor(struct tls_anchors *t, const void *der, size_t len)
{
  br_x509_decoder_context dc;
  struct buf dn = {0};
  br_x509_pkey *pk;
  br_x509_trust_anchor *ta;

  br_x509_decoder_init(&dc, append_buf, &dn);
  br_x509_decoder_push(&dc, der, len);
  if (!(pk = br_x509_decoder_get_pkey(&dc))) {
    buf_free(&dn);
    return -1;
  }
  t->tas = xrealloc(t->tas, (t->n + 1) * sizeof(*t->tas));
  ta = t->tas + t->n++;
  memset(ta, 0, sizeof(*ta));
  ta->dn.data = copy(dn.s, dn.len);
  ta->dn.len = dn.len;
  ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
  ta->pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_RSA) {
    ta->pkey.key.rsa.n = copy(pk->key.rsa.n, pk->key.rsa.nlen);
    ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
    ta->pkey.key.rsa.e = copy(pk->key.rsa.e, pk->key.rsa.elen);
    ta->pkey.key.rsa.elen = pk->key.rsa.elen;
  } else {
    ta->pkey.key.ec.curve = pk->key.ec.curve;
    ta->pkey.key.ec.q = copy(pk->key.ec.q, pk->key.ec.qlen);
    ta->pkey.key.ec.qlen = pk->key.ec.qlen;
  }
  buf_free(&dn);
  return 0;
}

// Every CERTIFICATE in a PEM file; a missing file is not an error.
static int load_pem(struct tls_anchors *t, const char *path)
{
  br_pem_decoder_context pc;
  struct buf der = {0};
  char *text;
  size_t len, off = 0;
  int in_cert = 0, rc = 0;

  if (readfile_at(AT_FDCWD, path, 8 << 20, &text, &len) < 0) return 0;
  br_pem_decoder_init(&pc);
  while (off < len && !rc) {
    off += br_pem_decoder_push(&pc, text + off, len - off);
    switch (br_pem_decoder_event(&pc)) {
    case BR_PEM_BEGIN_OBJ:
      in_cert = !strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") ||
                !strcmp(br_pem_decoder_name(&pc), "X509 CERTIFICATE");
      der.len = 0;
      br_pem_decoder_setdest(&pc, append_buf, &der);
      break;
    case BR_PEM_END_OBJ:
      if (in_cert && add_anchor(t, der.s, der.len) < 0)
        rc = fail(EINVAL, "%s: a certificate could not be decoded", path);
      in_cert = 0;
      break;
    case BR_PEM_ERROR:
      rc = fail(EINVAL, "%s: not a PEM file", path);
      break;
    }
  }
  buf_free(&der);
  free(text);
  return rc;
}

// ---- the client profile ---------------------------------------------------
// Not br_ssl_client_init_full(): TLS 1.2 with ECDHE (and RSA key exchange
// for old servers), AES-GCM and ChaCha20-Poly1305 only, which every
// registry speaks; CBC, CCM and 3DES would cost ~40 KiB for nothing.

static void client_init(br_ssl_client_context *cc, br_x509_minimal_context *xc,
                        const br_x509_trust_anchor *tas, size_t n)
{
  static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
  };
  static const struct { int id; const br_hash_class *h; } hashes[] = {
    {br_sha1_ID, &br_sha1_vtable}, {br_sha256_ID, &br_sha256_vtable},
    {br_sha384_ID, &br_sha384_vtable}, {br_sha512_ID, &br_sha512_vtable},
  };

  br_ssl_client_zero(cc);
  br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
  br_ssl_engine_set_suites(&cc->eng, suites, ARRAY_LEN(suites));
  br_x509_minimal_init(xc, &br_sha256_vtable, tas, n);
  for (size_t i = 0; i < ARRAY_LEN(hashes); i++) {
    br_ssl_engine_set_hash(&cc->eng, hashes[i].id, hashes[i].h);
    br_x509_minimal_set_hash(xc, hashes[i].id, hashes[i].h);
  }
  br_ssl_client_set_default_rsapub(cc);
  br_ssl_engine_set_default_rsavrfy(&cc->eng);
  br_ssl_engine_set_default_ecdsa(&cc->eng);
  br_x509_minimal_set_rsa(xc, br_ssl_engine_get_rsavrfy(&cc->eng));
  br_x509_minimal_set_ecdsa(xc, br_ssl_engine_get_ec(&cc->eng), br_ssl_engine_get_ecdsa(&cc->eng));
  br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
  br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
  br_ssl_engine_set_default_aes_gcm(&cc->eng);
  br_ssl_engine_set_default_chapol(&cc->eng);
  br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
}

// ---- the unverified mode ----------------------------------------------
// Delegates to the minimal validator but accepts a chain it cannot
// anchor; the key is still taken from the server's certificate.

#define INNER(ctx) (&((struct tls *)((char *)(ctx) - offsetof(struct tls, insecure_vtable)))->xc.vtable)

static void ix_start_chain(const br_x509_class **ctx, const char *name)
{
  (*INNER(ctx))->start_chain(INNER(ctx), name);
}
static void ix_start_cert(const br_x509_class **ctx, uint32_t len)
{
  (*INNER(ctx))->start_cert(INNER(ctx), len);
}
static void ix_append(const br_x509_class **ctx, const unsigned char *p, size_t n)
{
  (*INNER(ctx))->append(INNER(ctx), p, n);
}
static void ix_end_cert(const br_x509_class **ctx)
{
  (*INNER(ctx))->end_cert(INNER(ctx));
}
static unsigned ix_end_chain(const br_x509_class **ctx)
{
  unsigned err = (*INNER(ctx))->end_chain(INNER(ctx));
  return err == BR_ERR_X509_NOT_TRUSTED ? 0 : err;
}
static const br_x509_pkey *ix_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
  return (*INNER(ctx))->get_pkey(INNER(ctx), usages);
}
static const br_x509_class insecure_class = {
  sizeof(struct tls), ix_start_chain, ix_start_cert, ix_append, ix_end_cert,
  ix_end_chain, ix_get_pkey,
};

// ---- I/O ----------------------------------------------------------------

static int sock_read(void *ctx, unsigned char *buf, size_t len)
{
  struct tls *t = ctx;
  ssize_t n;

  // The socket does not block: wait only when it has nothing yet (one
  // poll per record would double the system calls of a download).
  for (;;) {
    n = read(t->fd, buf, len);
    if (n > 0) return n;
    if (!n) errno = ECONNRESET;
    if (n < 0 && (errno == EINTR || (errno == EAGAIN && !fd_wait(t->fd, POLLIN, t->timeout_ms)))) continue;
    return -1;
  }
}

static int sock_write(void *ctx, const unsigned char *buf, size_t len)
{
  struct tls *t = ctx;
  ssize_t n;

  for (;;) {
    if (fd_wait(t->fd, POLLOUT, t->timeout_ms)) return -1;
    n = write(t->fd, buf, len);
    if (n > 0) return n;
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    return -1;
  }
}

static int tls_fail(struct tls *t, const char *host)
{
  int err = br_ssl_engine_last_error(&t->sc.eng);

  // Go's words, which users search for: a plain-HTTP registry. The input
  // buffer starts with the last record header received: its first bytes.
  if (!memcmp(t->iobuf, "HTTP/", 5))
    return fail(EPROTO, "%s: http: server gave HTTP response to HTTPS client", host);
  switch (err) {
  case BR_ERR_OK:
    return fail(errno ? errno : EIO, "%s: connection closed: %s", host, strerror(errno ? errno : EIO));
  case BR_ERR_X509_NOT_TRUSTED:
    return fail(EACCES, "%s: tls: failed to verify certificate: x509: certificate signed by unknown authority", host);
  case BR_ERR_X509_BAD_SERVER_NAME:
    return fail(EACCES, "%s: tls: failed to verify certificate: x509: certificate is not valid for %s", host, host);
  case BR_ERR_X509_EXPIRED:
    return fail(EACCES, "%s: tls: failed to verify certificate: x509: certificate has expired or is not yet valid", host);
  case BR_ERR_IO:
    return fail(errno ? errno : EIO, "%s: %s", host, strerror(errno ? errno : EIO));
  default:
    if (err >= BR_ERR_RECV_FATAL_ALERT)
      return fail(EPROTO, "%s: tls: the server sent alert %d", host, err - BR_ERR_RECV_FATAL_ALERT);
    return fail(EPROTO, "%s: tls: handshake failed (BearSSL error %d)", host, err);
  }
}

void tls_anchors_free(struct tls_anchors *a)
{
  if (!a) return;
  for (size_t i = 0; i < a->n; i++) {
    br_x509_trust_anchor *ta = a->tas + i;
    free(ta->dn.data);
    if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
      free(ta->pkey.key.rsa.n);
      free(ta->pkey.key.rsa.e);
    } else free(ta->pkey.key.ec.q);
  }
  free(a->tas);
  free(a->host);
  free(a);
}

void tls_close(struct tls *t)
{
  free(t);
}

// The system's anchors and those certs.d has for host:port (key).
static int load_anchors(struct http_client *c, const char *host, const char *port, const char *key)
{
  struct tls_anchors *a = xzalloc(sizeof(*a));
  const char *bundle = c->ca_file ? c->ca_file : getenv("SSL_CERT_FILE");
  int rc = load_pem(a, bundle && *bundle ? bundle : SYSTEM_BUNDLE);

  // certs.d/HOST:PORT/ca.crt, HOST/ for the default port as Docker also
  // reads, and the registry's own: Docker trusts it for its realm too.
  char hp[300];
  snprintf(hp, sizeof(hp), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
  const char *names[3] = {hp, strcmp(port, "443") ? 0 : host,
                          c->registry && strcmp(c->registry, hp) ? c->registry : 0};
  for (int i = 0; !rc && i < 3 && c->certs_dirs[i]; i++)
    for (int j = 0; !rc && j < 3; j++) {
      if (!names[j]) continue;
      char *p = xmprintf("%s/%s/ca.crt", c->certs_dirs[i], names[j]);
      rc = load_pem(a, p);
      free(p);
    }
  a->host = xstrdup(key);
  tls_anchors_free(c->anchors);
  c->anchors = a;
  return rc;
}

int tls_open(struct tls **out, int fd, const char *host, const char *port,
             struct http_client *c, int timeout_ms)
{
  struct tls *t = xzalloc(sizeof(*t));
  int insecure = c->insecure && c->insecure(host, port);
  struct tls_anchors *a = c->anchors;
  char key[600];

  t->fd = fd;
  t->timeout_ms = timeout_ms;
  // (the registry's CA counts for its realm: part of what is cached)
  snprintf(key, sizeof(key), "%s:%s %s", host, port, c->registry ? c->registry : "");
  if ((!a || strcmp(a->host, key)) && load_anchors(c, host, port, key) < 0) {
    // a bad file stays bad: nothing kept
    tls_anchors_free(c->anchors);
    c->anchors = 0;
    goto bad;
  }
  a = c->anchors;
  client_init(&t->sc, &t->xc, a->tas, a->n);
  if (insecure) {
    t->insecure_vtable = &insecure_class;
    br_ssl_engine_set_x509(&t->sc.eng, &t->insecure_vtable);
  }
  br_ssl_engine_set_buffer(&t->sc.eng, t->iobuf, sizeof(t->iobuf), 1);
  // An IP address is not a server name: no SNI and no name check for it,
  // which BearSSL could not do anyway (it matches DNS names only).
  int ip = strchr(host, ':') || strspn(host, "0123456789.") == strlen(host);
  br_ssl_client_reset(&t->sc, ip || insecure ? NULL : host, 0);
  br_sslio_init(&t->io, &t->sc.eng, sock_read, t, sock_write, t);
  errno = 0;
  if (br_sslio_flush(&t->io) < 0) {
    tls_fail(t, host);
    goto bad;
  }
  *out = t;
  return 0;
bad:
  tls_close(t);
  return -1;
}

ssize_t tls_read(struct tls *t, void *buf, size_t n)
{
  int r = br_sslio_read(&t->io, buf, n);

  if (r >= 0) return r;
  // A close_notify (or a peer that just closes after the body) is the end.
  if (br_ssl_engine_current_state(&t->sc.eng) == BR_SSL_CLOSED &&
      br_ssl_engine_last_error(&t->sc.eng) == BR_ERR_OK)
    return 0;
  return tls_fail(t, "tls");
}

int tls_write(struct tls *t, const void *buf, size_t n)
{
  errno = 0;
  if (br_sslio_write_all(&t->io, buf, n) < 0 || br_sslio_flush(&t->io) < 0)
    return tls_fail(t, "tls");
  return 0;
}
