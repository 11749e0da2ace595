// ref.c: Docker's image reference grammar and normalisation (moby's
// vendored distribution/reference: ParseNormalizedNamed, TagNameOnly,
// FamiliarName), with its error messages. See SPECS.md §1.
#include "ocibox.h"
#include <ctype.h>

static int alnum_lc(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static int word(char c) { return isalnum((unsigned char)c) || c == '_'; }

int is_image_id(const char *s)
{
  if (!strncmp(s, "sha256:", 7)) s += 7;
  for (int i = 0; i < 64; i++)
    if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return 0;
  return !s[64];
}

// host = DNS labels joined by "." or [IPv6]; then optional :port.
static int valid_domain(const char *s, size_t n)
{
  const char *p = s, *end = s + n;

  if (p < end && *p == '[') {
    for (p++; p < end && (isxdigit((unsigned char)*p) || *p == ':'); p++);
    if (p == s + 1 || p >= end || *p != ']') return 0;
    p++;
  } else {
    for (;;) {
      const char *label = p;
      while (p < end && (isalnum((unsigned char)*p) || *p == '-')) p++;
      if (p == label || *label == '-' || p[-1] == '-') return 0;
      if (p < end && *p == '.') {
        p++;
        continue;
      }
      break;
    }
  }
  if (p < end && *p == ':') {
    const char *port = ++p;
    while (p < end && isdigit((unsigned char)*p)) p++;
    if (p == port) return 0;
  }
  return p == end;
}

// Path components [a-z0-9]+ joined by [._], __ or -+; components by "/".
// Returns the length of the path at s, or 0.
static size_t path_len(const char *s)
{
  const char *p = s;

  for (;;) {
    if (!alnum_lc(*p)) return 0;
    while (alnum_lc(*p)) p++;
    while (*p == '.' || *p == '_' || *p == '-') {
      if (*p == '-') while (*p == '-') p++;
      else if (p[0] == '_' && p[1] == '_') p += 2;
      else p++;
      if (!alnum_lc(*p)) return 0;
      while (alnum_lc(*p)) p++;
    }
    if (*p != '/') return p - s;
    p++;
  }
}

// digest: algorithm ":" hex{32,}, then go-digest's Validate for sha256.
static int parse_digest(const char *s, struct ref *r)
{
  const char *p = s, *colon;
  size_t hex = 0;

  for (;;) {
    if (!isalpha((unsigned char)*p)) return fail(EINVAL, "invalid reference format");
    while (isalnum((unsigned char)*p)) p++;
    if (*p == '-' || *p == '_' || *p == '+' || *p == '.') {
      p++;
      continue;
    }
    break;
  }
  if (*p != ':') return fail(EINVAL, "invalid reference format");
  colon = p++;
  while (isxdigit((unsigned char)p[hex])) hex++;
  if (p[hex] || hex < 32) return fail(EINVAL, "invalid reference format");
  if (colon - s != 6 || memcmp(s, "sha256", 6))
    return fail(EINVAL, "unsupported digest algorithm");
  if (hex != 64) return fail(EINVAL, "invalid checksum digest length");
  for (size_t i = 0; i < hex; i++)
    if (isupper((unsigned char)p[i])) return fail(EINVAL, "invalid checksum digest format");
  snprintf(r->digest, sizeof(r->digest), "%s", s);
  return 0;
}

int ref_parse(const char *s, struct ref *r)
{
  const char *slash = strchr(s, '/'), *rest, *p;
  size_t dlen, plen, n;

  memset(r, 0, sizeof(*r));
  if (is_image_id(s) && strncmp(s, "sha256:", 7))
    return fail(EINVAL, "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);

  // splitDockerDomain: the first component is a host only when it looks
  // like one: localhost, a "." or ":", or upper case.
  if (slash) {
    int host = !strncmp(s, "localhost/", 10);
    for (p = s; p < slash; p++)
      if (*p == '.' || *p == ':' || isupper((unsigned char)*p)) host = 1;
    if (host) {
      dlen = slash - s;
      if (dlen >= sizeof(r->domain) || !valid_domain(s, dlen))
        return fail(EINVAL, "invalid reference format");
      memcpy(r->domain, s, dlen);
      rest = slash + 1;
      if (!strcmp(r->domain, "index.docker.io")) strcpy(r->domain, "docker.io");
    } else {
      strcpy(r->domain, "docker.io");
      rest = s;
    }
  } else {
    strcpy(r->domain, "docker.io");
    rest = s;
  }

  // The repository must be lower case: Docker says so before anything else.
  n = strcspn(rest, ":");
  for (size_t i = 0; i < n; i++)
    if (isupper((unsigned char)rest[i]))
      return fail(EINVAL, "invalid reference format: repository name (%s%.*s) must be lowercase",
                  !strcmp(r->domain, "docker.io") && !memchr(rest, '/', n) ? "library/" : "",
                  (int)n, rest);

  if (!(plen = path_len(rest))) return fail(EINVAL, "invalid reference format");
  p = rest + plen;
  if (!strcmp(r->domain, "docker.io") && !memchr(rest, '/', plen))
    n = snprintf(r->path, sizeof(r->path), "library/%.*s", (int)plen, rest);
  else
    n = snprintf(r->path, sizeof(r->path), "%.*s", (int)plen, rest);
  if (strlen(r->domain) + 1 + n > 255)
    return fail(EINVAL, "repository name must not be more than 255 characters");

  if (*p == ':') {
    const char *tag = ++p;
    if (!word(*p)) return fail(EINVAL, "invalid reference format");
    while (word(*p) || *p == '.' || *p == '-') p++;
    if (p - tag > 128) return fail(EINVAL, "invalid reference format");
    memcpy(r->tag, tag, p - tag);
  }
  if (*p == '@') {
    if (parse_digest(p + 1, r)) return -1;
  } else if (*p) return fail(EINVAL, "invalid reference format");
  if (!*r->tag && !*r->digest) strcpy(r->tag, "latest");
  return 0;
}

static void add_tail(const struct ref *r, struct buf *b)
{
  if (*r->tag) buf_printf(b, ":%s", r->tag);
  if (*r->digest) buf_printf(b, "@%s", r->digest);
}

void ref_full(const struct ref *r, struct buf *b)
{
  buf_printf(b, "%s/%s", r->domain, r->path);
  add_tail(r, b);
}

void ref_familiar_name(const struct ref *r, struct buf *b)
{
  if (strcmp(r->domain, "docker.io")) buf_printf(b, "%s/%s", r->domain, r->path);
  else if (!strncmp(r->path, "library/", 8) && !strchr(r->path + 8, '/'))
    buf_adds(b, r->path + 8);
  else buf_adds(b, r->path);
}

void ref_familiar(const struct ref *r, struct buf *b)
{
  ref_familiar_name(r, b);
  add_tail(r, b);
}
