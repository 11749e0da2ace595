// url.c: the http(s) URLs a registry client meets: parsing, RFC 3986
// reference resolution (relative upload Locations, redirects), formatting.
#include "ocibox.h"

int url_parse(const char *s, struct url *u)
{
  const char *p, *host, *hend, *port = 0;
  size_t n;

  memset(u, 0, sizeof(*u));
  if (!strncasecmp(s, "https://", 8)) strcpy(u->scheme, "https"), p = s + 8;
  else if (!strncasecmp(s, "http://", 7)) strcpy(u->scheme, "http"), p = s + 7;
  else return fail(EINVAL, "unsupported URL (not http or https): %s", s);
  // user info (proxy URLs may carry it) is skipped, not used
  n = strcspn(p, "/?#");
  for (const char *at = p; at < p + n; at++)
    if (*at == '@') p = at + 1, n = strcspn(p, "/?#");
  host = p;
  if (*host == '[') {
    hend = memchr(host, ']', n);
    if (!hend) return fail(EINVAL, "bad IPv6 address in URL: %s", s);
    host++;
    if (hend[1] == ':') port = hend + 2;
    else if (hend + 1 != p + n) return fail(EINVAL, "bad URL: %s", s);
  } else {
    hend = memchr(host, ':', n);
    if (hend) port = hend + 1;
    else hend = p + n;
  }
  if (hend == host || (size_t)(hend - host) >= sizeof(u->host))
    return fail(EINVAL, "bad host in URL: %s", s);
  memcpy(u->host, host, hend - host);
  if (port && port < p + n) {
    size_t pl = p + n - port;
    if (!pl || pl >= sizeof(u->port) || strspn(port, "0123456789") < pl)
      return fail(EINVAL, "bad port in URL: %s", s);
    memcpy(u->port, port, pl);
  } else strcpy(u->port, u->scheme[4] ? "443" : "80");
  p += n;
  n = strcspn(p, "#");
  if (n + 2 > sizeof(u->path)) return fail(ENAMETOOLONG, "URL too long");
  if (*p != '/') u->path[0] = '/';
  memcpy(u->path + strlen(u->path), p, n);
  return 0;
}

// Remove "." and ".." segments (RFC 3986 5.2.4) from a path in place.
static void remove_dots(char *path)
{
  char *q = strchr(path, '?'), query[4096] = "", *out = path, *in = path;

  if (q) snprintf(query, sizeof(query), "%s", q), *q = 0;
  while (*in) {
    char *seg = in + 1, *end = strchrnul(seg, '/');
    size_t len = end - seg;
    if (len == 1 && seg[0] == '.') ;
    else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
      while (out > path && *--out != '/');
    } else {
      memmove(out, in, end - in);
      out += end - in;
    }
    if (!*end && (len == 1 || len == 2) && seg[0] == '.' && (len == 1 || seg[1] == '.')) *out++ = '/';
    in = end;
  }
  if (out == path) *out++ = '/';
  *out = 0;
  strcat(path, query);
}

int url_resolve(const struct url *base, const char *ref, struct url *out)
{
  if (strstr(ref, "://")) return url_parse(ref, out);
  *out = *base;
  if (ref[0] == '/' && ref[1] == '/') {
    char *s = xmprintf("%s:%s", base->scheme, ref);
    int rc = url_parse(s, out);
    free(s);
    return rc;
  }
  size_t n = strcspn(ref, "#");
  if (ref[0] == '/') snprintf(out->path, sizeof(out->path), "%.*s", (int)n, ref);
  else if (ref[0] == '?') {
    out->path[strcspn(out->path, "?")] = 0;
    snprintf(out->path + strlen(out->path), sizeof(out->path) - strlen(out->path), "%.*s", (int)n, ref);
  } else if (n) {
    char *slash;
    out->path[strcspn(out->path, "?")] = 0;
    slash = strrchr(out->path, '/');
    slash[1] = 0;
    snprintf(slash + 1, sizeof(out->path) - (slash + 1 - out->path), "%.*s", (int)n, ref);
  }
  remove_dots(out->path);
  return 0;
}

void url_format(const struct url *u, struct buf *out)
{
  int v6 = !!strchr(u->host, ':');
  int def = !strcmp(u->port, u->scheme[4] ? "443" : "80");

  buf_printf(out, "%s://%s%s%s", u->scheme, v6 ? "[" : "", u->host, v6 ? "]" : "");
  if (!def) buf_printf(out, ":%s", u->port);
  buf_adds(out, u->path);
}

int url_same_host(const struct url *a, const struct url *b)
{
  return !strcasecmp(a->host, b->host) && !strcmp(a->port, b->port) &&
         !strcmp(a->scheme, b->scheme);
}
