// ports.c: published ports. Docker's -p grammar into
// HostConfig.PortBindings, the host sockets a supervisor binds for them
// (and for every exposed port with -P), and the bound result kept as
// NetworkSettings.Ports in state.json, shown by ps, port and inspect.
#include "ocibox.h"
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>

// "N" or "N-M" into lo..hi (1..65535; allow0: "" is 0, any port).
static int port_range(const char *s, size_t len, int allow0, int *lo, int *hi)
{
  char tmp[16];
  char *end;

  if (!len && allow0) return *lo = *hi = 0;
  if (len >= sizeof(tmp)) return -1;
  memcpy(tmp, s, len);
  tmp[len] = 0;
  if (!isdigit(*tmp)) return -1;
  *lo = *hi = strtol(tmp, &end, 10);
  if (*end == '-' && isdigit(end[1])) *hi = strtol(end + 1, &end, 10);
  return *end || *lo < 1 || *hi > 65535 || *hi < *lo ? -1 : 0;
}

int ports_parse(const char *spec, struct port_binding **v, size_t *n)
{
  const char *proto = strchr(spec, '/'), *end = proto ? proto : spec + strlen(spec);
  const char *cport = end, *hport = 0, *ip = spec;
  size_t iplen = 0;
  int clo, chi, hlo = 0, hhi = 0;

  if (proto && strcmp(++proto, "tcp") && strcmp(proto, "udp"))
    return fail(EINVAL, "Invalid proto: %s", proto);
  while (cport > spec && cport[-1] != ':') cport--;
  if (cport > spec) {
    hport = cport - 1;
    while (hport > spec && hport[-1] != ':') hport--;
    if (hport > spec) iplen = hport - 1 - spec;
  }
  if (cport == end) return fail(EINVAL, "No port specified: %s<empty>", spec);
  if (port_range(cport, end - cport, 0, &clo, &chi)) return fail(EINVAL, "Invalid containerPort: %.*s", (int)(end - cport), cport);
  if (hport && port_range(hport, cport - 1 - hport, 1, &hlo, &hhi))
    return fail(EINVAL, "Invalid hostPort: %.*s", (int)(cport - 1 - hport), hport);
  if (hlo && hhi - hlo != chi - clo)
    return fail(EINVAL, "Invalid ranges specified for container and host Ports: %.*s and %.*s",
                (int)(end - cport), cport, (int)(cport - 1 - hport), hport);
  if (iplen && *ip == '[' && ip[iplen - 1] == ']') ip++, iplen -= 2;
  char addr[48];
  unsigned char raw[16];
  snprintf(addr, sizeof(addr), "%.*s", (int)iplen, ip);
  if (iplen && (iplen >= sizeof(addr) || inet_pton(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, raw) != 1))
    return fail(EINVAL, "Invalid ip address: %s", addr);
  for (int p = clo; p <= chi; p++) {
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    struct port_binding *b = *v + (*n)++;
    memset(b, 0, sizeof(*b));
    strcpy(b->ip, addr);
    b->ctr = p;
    b->host = hlo ? hlo + (p - clo) : 0;
    b->udp = proto && !strcmp(proto, "udp");
  }
  return 0;
}

// "80/tcp" into port and udp; -1 for anything else.
static int port_key(const char *key, int *port, int *udp)
{
  char *end;
  long p = strtol(key, &end, 10);
  *udp = !strcmp(end, "/udp");
  if (p < 1 || p > 65535 || (strcmp(end, "/tcp") && !*udp && *end)) return -1;
  *port = p;
  return 0;
}

// Bind one listening socket; the port the kernel chose goes back in b.
static int bind_one(struct port_binding *b, const char *name, const char *id)
{
  int v6 = !!strchr(b->ip, ':'), one = 1;
  union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; } a = {0};
  socklen_t len = v6 ? sizeof(a.in6) : sizeof(a.in);
  int fd = socket(v6 ? AF_INET6 : AF_INET, (b->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

  a.sa.sa_family = v6 ? AF_INET6 : AF_INET;
  if (v6) {
    a.in6.sin6_port = htons(b->host);
    inet_pton(AF_INET6, b->ip, &a.in6.sin6_addr);
  } else {
    a.in.sin_port = htons(b->host);
    inet_pton(AF_INET, *b->ip ? b->ip : "0.0.0.0", &a.in.sin_addr);
  }
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (fd < 0 || bind(fd, &a.sa, len) || (!b->udp && listen(fd, 128)) || getsockname(fd, &a.sa, &len)) {
    int err = errno;
    if (fd >= 0) close(fd);
    return fail(err, "driver failed programming external connectivity on endpoint %s (%s): "
                "Error starting userland proxy: listen %s%c %s%s%s:%d: bind: %s",
                name, id, b->udp ? "udp" : "tcp", v6 ? '6' : '4', v6 ? "[" : "",
                *b->ip ? b->ip : "0.0.0.0", v6 ? "]" : "", b->host,
                err == EADDRINUSE ? "address already in use" : strerror(err));
  }
  b->host = ntohs(v6 ? a.in6.sin6_port : a.in.sin_port);
  if (!*b->ip) strcpy(b->ip, "0.0.0.0");
  b->fd = fd;
  return 0;
}

int ports_bind(const struct json *config, const char *name, const char *id,
               struct port_binding **v, size_t *n, struct buf *state)
{
  struct json *host = json_get(config, "HostConfig");
  struct json *pb = json_get(host, "PortBindings"), *exposed = json_get(json_get(config, "Config"), "ExposedPorts");
  struct json *pall = json_get(host, "PublishAllPorts");
  int all = pall && pall->type == JSON_TRUE;
  struct jw w;

  *v = 0, *n = 0;
  jw_init(&w, state, 0);
  jw_obj(&w, 0);
  // Every exposed port is a key (null when not published); PortBindings
  // holds the published ones, exposed too (create made sure).
  for (struct json *e = exposed && exposed->type == JSON_OBJECT ? exposed->child : 0; e; e = e->next) {
    struct json *list = json_get(pb, e->key);
    int port, udp;
    if (port_key(e->key, &port, &udp)) continue;
    if (!list && !all) {
      jw_null(&w, e->key);
      continue;
    }
    jw_arr(&w, e->key);
    for (struct json *h = list ? list->child : 0;; h = h->next) {
      struct port_binding b = {.ctr = port, .udp = udp, .fd = -1};
      if (list && !h) break;
      const char *hp = json_get_str(h, "HostPort"), *ip = json_get_str(h, "HostIp");
      b.host = hp ? atoi(hp) : 0;
      snprintf(b.ip, sizeof(b.ip), "%s", ip ? ip : "");
      if (bind_one(&b, name, id) < 0) {
        ports_close(*v, *n);
        return -1;
      }
      *v = xrealloc(*v, (*n + 1) * sizeof(**v));
      (*v)[(*n)++] = b;
      char hport[8];
      snprintf(hport, sizeof(hport), "%d", b.host);
      jw_obj(&w, 0);
      jw_str(&w, "HostIp", b.ip);
      jw_str(&w, "HostPort", hport);
      jw_end(&w);
      if (!list) break;
    }
    jw_end(&w);
  }
  jw_end(&w);
  return 0;
}

void ports_close(struct port_binding *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i].fd >= 0) close(v[i].fd);
  free(v);
}

// ps's PORTS: "0.0.0.0:32768->80/tcp, 443/tcp" from NetworkSettings.Ports.
void ports_summary(const struct json *ports, struct buf *out)
{
  const char *sep = "";
  for (struct json *e = ports && ports->type == JSON_OBJECT ? ports->child : 0; e; e = e->next) {
    struct json *h = e->type == JSON_ARRAY ? e->child : 0;
    do {
      buf_adds(out, sep);
      sep = ", ";
      if (h) {
        const char *ip = json_get_str(h, "HostIp");
        buf_printf(out, strchr(ip ? ip : "", ':') ? "[%s]:%s->" : "%s:%s->", ip ? ip : "", json_get_str(h, "HostPort"));
      }
      buf_adds(out, e->key);
    } while (h && (h = h->next));
  }
}
