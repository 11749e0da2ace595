// http.c: a small HTTP/1.1 client for registries: keep-alive connection
// reuse, chunked and Content-Length bodies, streamed request bodies,
// timeouts, and proxies from https_proxy/http_proxy/no_proxy (CONNECT
// tunnels for https). Redirects and auth are the caller's (registry.c).
#include "ocibox.h"
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#define HEAD_MAX (64 << 10)

struct http_conn {
  struct http_conn *next;
  char scheme[8], host[256], port[8];
  int fd;
  struct tls *tls;
  int timeout_ms;
  size_t rpos, rlen;
  char rbuf[16384];
};

static int timeout_of(const struct http_client *c)
{
  return c->timeout_ms ? c->timeout_ms : 30000;
}

static void conn_close(struct http_conn *k)
{
  if (!k) return;
  if (CFG_TLS) tls_close(k->tls);
  if (k->fd >= 0) close(k->fd);
  free(k);
}

int fd_wait(int fd, short ev, int timeout_ms)
{
  struct pollfd p = {fd, ev, 0};
  int n;

  while ((n = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR);
  if (!n) errno = ETIMEDOUT;
  return n > 0 ? 0 : -1;
}

static ssize_t raw_read(struct http_conn *k, void *buf, size_t n)
{
  ssize_t r;

  if (CFG_TLS && k->tls) return tls_read(k->tls, buf, n);
  // non-blocking: wait only when there is nothing yet
  for (;;) {
    if ((r = read(k->fd, buf, n)) >= 0) return r;
    if (errno != EINTR && (errno != EAGAIN || fd_wait(k->fd, POLLIN, k->timeout_ms)))
      return fail(errno, "%s: read: %s", k->host, strerror(errno));
  }
}

static int conn_write(struct http_conn *k, const void *buf, size_t n)
{
  const char *p = buf;

  if (CFG_TLS && k->tls) return tls_write(k->tls, buf, n);
  while (n) {
    if (fd_wait(k->fd, POLLOUT, k->timeout_ms))
      return fail(errno, "%s: write: %s", k->host, strerror(errno));
    ssize_t w = write(k->fd, p, n);
    if (w < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (w <= 0) return fail(errno, "%s: write: %s", k->host, strerror(errno));
    p += w;
    n -= w;
  }
  return 0;
}

// Buffered reads: fill rbuf when empty; 0 at EOF.
static ssize_t conn_read(struct http_conn *k, void *buf, size_t n)
{
  if (k->rpos == k->rlen) {
    // Large reads skip the buffer.
    if (n >= sizeof(k->rbuf)) return raw_read(k, buf, n);
    ssize_t r = raw_read(k, k->rbuf, sizeof(k->rbuf));
    if (r <= 0) return r;
    k->rpos = 0;
    k->rlen = r;
  }
  if (n > k->rlen - k->rpos) n = k->rlen - k->rpos;
  memcpy(buf, k->rbuf + k->rpos, n);
  k->rpos += n;
  return n;
}

// One line ending in \n (the \r\n removed), at most max bytes.
static int read_line(struct http_conn *k, struct buf *line, size_t max)
{
  char c;
  ssize_t r;

  line->len = 0;
  buf_add(line, "", 0);
  for (;;) {
    if ((r = conn_read(k, &c, 1)) < 0) return -1;
    if (!r) return fail(ECONNRESET, "%s: connection closed by the server", k->host);
    if (c == '\n') break;
    if (line->len >= max) return fail(EPROTO, "%s: response header too long", k->host);
    buf_addc(line, c);
  }
  if (line->len && line->s[line->len - 1] == '\r') line->s[--line->len] = 0;
  return 0;
}

// what: "" or "proxyconnect tcp: ", as Go's net/http says which dial failed.
static int tcp_connect(const char *host, const char *port, int timeout_ms, const char *what)
{
  struct addrinfo hints = {0}, *res, *ai;
  int fd = -1, rc, err = 0;

  hints.ai_socktype = SOCK_STREAM;
  if ((rc = getaddrinfo(host, port, &hints, &res)))
    return fail(EHOSTUNREACH, "%sdial tcp: lookup %s: %s", what, host,
                rc == EAI_NONAME ? "no such host" : gai_strerror(rc));
  for (ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    if (!connect(fd, ai->ai_addr, ai->ai_addrlen) ||
        (errno == EINPROGRESS && !fd_wait(fd, POLLOUT, timeout_ms))) {
      socklen_t l = sizeof(err);
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
      if (!err) break;
      errno = err;
    }
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) return fail(err, "%sdial tcp %s:%s: %s", what, host, port, strerror(err));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// The proxy for a URL, from the environment, unless no_proxy covers it.
static const char *proxy_for(const struct url *u)
{
  const char *p = !strcmp(u->scheme, "https") ? getenv("https_proxy") : getenv("http_proxy");
  const char *np = getenv("no_proxy");

  if (!p) p = !strcmp(u->scheme, "https") ? getenv("HTTPS_PROXY") : getenv("HTTP_PROXY");
  if (!np) np = getenv("NO_PROXY");
  if (!p || !*p) return 0;
  // Never loopback, as Go's httpproxy (so Docker) decides.
  if (!strcmp(u->host, "localhost") || !strcmp(u->host, "::1") ||
      (!strncmp(u->host, "127.", 4) && !u->host[strspn(u->host, "0123456789.")]))
    return 0;
  while (np && *np) {
    size_t n = strcspn(np, ", "), hl = strlen(u->host);
    const char *e = np;
    if (n == 1 && *e == '*') return 0;
    if (*e == '.') e++, n--;
    if (n && n <= hl && !strncasecmp(u->host + hl - n, e, n) && (n == hl || u->host[hl - n - 1] == '.'))
      return 0;
    np += strcspn(np, ", ");
    np += strspn(np, ", ");
  }
  return p;
}

static int open_conn(struct http_client *c, const struct url *u, int *via_proxy,
                     struct http_conn **out)
{
  struct http_conn *k = xzalloc(sizeof(*k));
  const char *proxy = proxy_for(u);
  struct url pu;

  k->fd = -1;
  k->timeout_ms = timeout_of(c);
  snprintf(k->scheme, sizeof(k->scheme), "%s", u->scheme);
  snprintf(k->host, sizeof(k->host), "%s", u->host);
  snprintf(k->port, sizeof(k->port), "%s", u->port);
  *via_proxy = 0;
  if (proxy) {
    char *purl = strstr(proxy, "://") ? xstrdup(proxy) : xmprintf("http://%s", proxy);
    int bad_proxy = url_parse(purl, &pu) < 0;
    free(purl);
    if (bad_proxy) goto bad;
    if ((k->fd = tcp_connect(pu.host, pu.port, k->timeout_ms, "proxyconnect tcp: ")) < 0) goto bad;
    if (!strcmp(u->scheme, "https")) {
      // A CONNECT tunnel; TLS then runs end to end inside it.
      struct buf req = {0}, line = {0};
      int ok;
      buf_printf(&req, "CONNECT %s:%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", u->host, u->port, u->host, u->port);
      ok = !conn_write(k, req.s, req.len) && !read_line(k, &line, HEAD_MAX) &&
           !strncmp(line.s, "HTTP/1.", 7) && !strncmp(line.s + 8, " 200", 4);
      if (!ok && line.len) fail(EPROTO, "proxy %s refused CONNECT: %s", pu.host, line.s);
      while (ok && !read_line(k, &line, HEAD_MAX) && line.len);
      buf_free(&req);
      buf_free(&line);
      if (!ok) goto bad;
    } else *via_proxy = 1;
  } else if ((k->fd = tcp_connect(u->host, u->port, k->timeout_ms, "")) < 0) goto bad;
  if (!strcmp(u->scheme, "https")) {
    if (!CFG_TLS) {
      fail(EPROTONOSUPPORT, "%s: https needs a build with CONFIG_TLS", u->host);
      goto bad;
    }
    if (k->rlen != k->rpos) {
      fail(EPROTO, "proxy sent data before the TLS handshake");
      goto bad;
    }
    if (tls_open(&k->tls, k->fd, u->host, u->port, c, k->timeout_ms) < 0) goto bad;
  }
  *out = k;
  return 0;
bad:
  conn_close(k);
  return -1;
}

static int parse_head(struct http_conn *k, const char *method, struct http_resp *r)
{
  struct buf line = {0};
  size_t total = 0;
  int rc = -1, close_after = 0;

  if (read_line(k, &line, HEAD_MAX)) goto out;
  if (strncmp(line.s, "HTTP/1.", 7) || line.len < 12 || line.s[8] != ' ') {
    fail(EPROTO, "%s: not an HTTP response", k->host);
    goto out;
  }
  r->status = atoi(line.s + 9);
  close_after = line.s[7] == '0';
  r->length = -1;
  for (;;) {
    if (read_line(k, &line, HEAD_MAX)) goto out;
    if (!line.len) break;
    if ((total += line.len) > HEAD_MAX) {
      fail(EPROTO, "%s: response headers too long", k->host);
      goto out;
    }
    strlist_add(&r->headers, xstrdup(line.s));
  }
  const char *v;
  if ((v = http_header(r, "Transfer-Encoding")) && strcasestr(v, "chunked")) r->chunked = 1;
  else if ((v = http_header(r, "Content-Length"))) {
    char *end;
    r->length = strtoll(v, &end, 10);
    if (*end || r->length < 0) {
      fail(EPROTO, "%s: bad Content-Length", k->host);
      goto out;
    }
  }
  if ((v = http_header(r, "Connection")) && strcasestr(v, "close")) close_after = 1;
  if (!strcmp(method, "HEAD") || r->status == 204 || r->status == 304 || r->status / 100 == 1) {
    r->left = 0;
    r->chunked = 0;
    r->done = 1;
  } else if (r->chunked) r->left = 0;
  else if (r->length >= 0) {
    r->left = r->length;
    r->done = !r->length;
  } else {
    r->left = -1;  // until the server closes
    close_after = 1;
  }
  if (close_after) {
    // Not reused: mark by clearing the host key.
    k->scheme[0] = 0;
  }
  rc = 0;
out:
  buf_free(&line);
  return rc;
}

static void free_headers(struct http_resp *r)
{
  while (r->headers) {
    struct strlist *n = r->headers->next;
    free(r->headers->s);
    free(r->headers);
    r->headers = n;
  }
}

int http_request(struct http_client *c, const char *method, const struct url *u,
                 const struct strlist *headers, const void *body, int body_fd,
                 int64_t body_len, struct http_resp *r)
{
  for (int attempt = 0; attempt < 2; attempt++) {
    struct http_conn *k = 0, **pp;
    struct buf req = {0};
    int via_proxy = 0, reused = 0, rc;

    memset(r, 0, sizeof(*r));
    // A kept-alive connection to the same place, if any.
    for (pp = &c->idle; *pp; pp = &(*pp)->next)
      if (!strcmp((*pp)->scheme, u->scheme) && !strcasecmp((*pp)->host, u->host) &&
          !strcmp((*pp)->port, u->port) && attempt == 0) {
        k = *pp;
        *pp = k->next;
        k->next = 0;
        reused = 1;
        break;
      }
    if (!k && open_conn(c, u, &via_proxy, &k) < 0) return -1;

    if (via_proxy) {
      buf_printf(&req, "%s ", method);
      url_format(u, &req);
      buf_adds(&req, " HTTP/1.1\r\n");
    } else buf_printf(&req, "%s %s HTTP/1.1\r\n", method, u->path);
    int v6 = !!strchr(u->host, ':'), def = !strcmp(u->port, u->scheme[4] ? "443" : "80");
    buf_printf(&req, "Host: %s%s%s%s%s\r\n", v6 ? "[" : "", u->host, v6 ? "]" : "",
               def ? "" : ":", def ? "" : u->port);
    buf_printf(&req, "User-Agent: ocibox/%s\r\n", OCIBOX_VERSION);
    for (const struct strlist *h = headers; h; h = h->next) buf_printf(&req, "%s\r\n", h->s);
    if (body || body_fd >= 0 || (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "DELETE")))
      buf_printf(&req, "Content-Length: %lld\r\n", (long long)(body || body_fd >= 0 ? body_len : 0));
    buf_adds(&req, "\r\n");
    rc = conn_write(k, req.s, req.len);
    buf_free(&req);
    if (!rc && body) rc = conn_write(k, body, body_len);
    if (!rc && body_fd >= 0) {
      char chunk[16384];
      int64_t left = body_len;
      while (!rc && left > 0) {
        ssize_t n = read(body_fd, chunk, left < (int64_t)sizeof(chunk) ? left : (int64_t)sizeof(chunk));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) rc = fail(n ? errno : EIO, "reading the upload: %s", n ? strerror(errno) : "short file");
        else rc = conn_write(k, chunk, n), left -= n;
      }
    }
    if (!rc) rc = parse_head(k, method, r);
    if (rc < 0) {
      free_headers(r);
      conn_close(k);
      // A kept-alive connection the server had closed: once more, fresh,
      // unless a streamed body was already consumed.
      if (reused && body_fd < 0) continue;
      return -1;
    }
    r->conn = k;
    return 0;
  }
  return -1;
}

ssize_t http_read(struct http_resp *r, void *buf, size_t n)
{
  struct http_conn *k = r->conn;
  ssize_t got;

  if (r->done || !k) return 0;
  if (r->chunked && !r->left) {
    struct buf line = {0};
    char *end;
    if (read_line(k, &line, 1024)) return buf_free(&line), -1;
    r->left = strtoll(line.s, &end, 16);
    if (end == line.s || r->left < 0) {
      buf_free(&line);
      return fail(EPROTO, "%s: bad chunk size", k->host);
    }
    if (!r->left) {
      // the last chunk: skip trailers up to the empty line
      while (!read_line(k, &line, HEAD_MAX) && line.len);
      buf_free(&line);
      r->done = 1;
      return 0;
    }
    buf_free(&line);
  }
  if (r->left >= 0 && (int64_t)n > r->left) n = r->left;
  got = conn_read(k, buf, n);
  if (got < 0) return -1;
  if (!got) {
    if (r->left < 0) {  // body delimited by the connection's end
      r->done = 1;
      return 0;
    }
    return fail(EPIPE, "%s: unexpected EOF: the body was cut short", k->host);
  }
  if (r->left > 0) {
    r->left -= got;
    if (!r->left && r->chunked) {
      struct buf crlf = {0};
      int bad = read_line(k, &crlf, 2) || crlf.len;
      buf_free(&crlf);
      if (bad) return fail(EPROTO, "%s: bad chunk end", k->host);
    } else if (!r->left) r->done = 1;
  }
  return got;
}

void http_done(struct http_client *c, struct http_resp *r)
{
  struct http_conn *k = r->conn;
  char sink[4096];
  int64_t drained = 0;

  r->conn = 0;
  free_headers(r);
  if (!k) return;
  r->conn = k;
  // Drain a short rest so the connection can be reused.
  while (!r->done && drained < (64 << 10)) {
    ssize_t n = http_read(r, sink, sizeof(sink));
    if (n <= 0) break;
    drained += n;
  }
  r->conn = 0;
  if (r->done && k->scheme[0]) {
    k->next = c->idle;
    c->idle = k;
  } else conn_close(k);
}

const char *http_header(const struct http_resp *r, const char *name)
{
  size_t n = strlen(name);

  for (const struct strlist *h = r->headers; h; h = h->next)
    if (!strncasecmp(h->s, name, n) && h->s[n] == ':') {
      const char *v = h->s + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
  return 0;
}

void http_client_close(struct http_client *c)
{
  while (c->idle) {
    struct http_conn *n = c->idle->next;
    conn_close(c->idle);
    c->idle = n;
  }
  if (CFG_TLS) tls_anchors_free(c->anchors), c->anchors = 0;
}
