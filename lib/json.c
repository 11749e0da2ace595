// json.c: a strict JSON reader (RFC 8259: UTF-8 checked, depth and size
// limited, every error with its position) and a writer that produces Go's
// encoding/json output, compact or indented like MarshalIndent.
#include "ocibox.h"

#define JSON_MAX_SIZE (256u << 20)

struct jp {
  const char *s, *end, *p;
  const char *msg;
  int depth;
};

static struct json *jerr(struct jp *j, const char *at, const char *msg)
{
  if (!j->msg) {
    j->msg = msg;
    j->p = at;
  }
  return NULL;
}

static void skip_ws(struct jp *j)
{
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

// Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid.
static int utf8_len(const unsigned char *p, const unsigned char *end)
{
  unsigned c = *p, cp, n, i;

  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f;
  else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f;
  else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07;
  else return 0;
  if (end - p < (ptrdiff_t)n) return 0;
  for (i = 1; i < n; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (p[i] & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

static void put_utf8(struct buf *b, unsigned cp)
{
  char t[4];
  int n;

  if (cp < 0x80) t[0] = cp, n = 1;
  else if (cp < 0x800) t[0] = 0xc0 | cp >> 6, t[1] = 0x80 | (cp & 0x3f), n = 2;
  else if (cp < 0x10000)
    t[0] = 0xe0 | cp >> 12, t[1] = 0x80 | (cp >> 6 & 0x3f), t[2] = 0x80 | (cp & 0x3f), n = 3;
  else
    t[0] = 0xf0 | cp >> 18, t[1] = 0x80 | (cp >> 12 & 0x3f),
    t[2] = 0x80 | (cp >> 6 & 0x3f), t[3] = 0x80 | (cp & 0x3f), n = 4;
  buf_add(b, t, n);
}

static int hex4(const char *p, unsigned *out)
{
  unsigned v = 0;
  int i;

  for (i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  *out = v;
  return 0;
}

// Parse a string at j->p (on its '"') into a fresh buffer.
static char *parse_string(struct jp *j, size_t *len)
{
  struct buf b = {0};
  const char *p = j->p + 1, *q = p;

  // Most strings are plain ASCII without escapes: one copy of the run.
  while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x80) q++;
  if (q < j->end && *q == '"') {
    char *s = xmalloc(q - p + 1);
    memcpy(s, p, q - p);
    s[q - p] = 0;
    *len = q - p;
    j->p = q + 1;
    return s;
  }
  buf_add(&b, p, q - p);
  p = q;
  for (;;) {
    if (p >= j->end) { jerr(j, p, "unterminated string"); goto bad; }
    unsigned char c = *p;
    if (c == '"') break;
    if (c < 0x20) { jerr(j, p, "control character in string"); goto bad; }
    if (c == '\\') {
      if (p + 1 >= j->end) { jerr(j, p, "unterminated string"); goto bad; }
      char e = p[1];
      const char *map = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", e);
      if (e && map && (map - "\"\"\\\\//b\bf\fn\nr\rt\t") % 2 == 0) {
        buf_addc(&b, map[1]);
        p += 2;
        continue;
      }
      if (e != 'u') { jerr(j, p, "invalid escape in string"); goto bad; }
      unsigned cp, lo;
      if (j->end - p < 6 || hex4(p + 2, &cp)) { jerr(j, p, "invalid \\u escape"); goto bad; }
      p += 6;
      if (cp >= 0xd800 && cp <= 0xdbff && j->end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
          !hex4(p + 2, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        p += 6;
      } else if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;  // as Go does
      put_utf8(&b, cp);
      continue;
    }
    int n = utf8_len((const unsigned char *)p, (const unsigned char *)j->end);
    if (!n) { jerr(j, p, "invalid UTF-8 in string"); goto bad; }
    buf_add(&b, p, n);
    p += n;
  }
  j->p = p + 1;
  *len = b.len;
  return b.s ? buf_steal(&b) : xzalloc(1);
bad:
  buf_free(&b);
  return NULL;
}

static struct json *parse_value(struct jp *j);

static struct json *parse_number(struct jp *j)
{
  const char *p = j->p, *start = p;
  struct json *v;

  if (p < j->end && *p == '-') p++;
  if (p >= j->end || *p < '0' || *p > '9') return jerr(j, p, "invalid number");
  if (*p == '0') p++;
  else while (p < j->end && *p >= '0' && *p <= '9') p++;
  if (p < j->end && *p == '.') {
    if (++p >= j->end || *p < '0' || *p > '9') return jerr(j, p, "invalid number");
    while (p < j->end && *p >= '0' && *p <= '9') p++;
  }
  if (p < j->end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < j->end && (*p == '+' || *p == '-')) p++;
    if (p >= j->end || *p < '0' || *p > '9') return jerr(j, p, "invalid number");
    while (p < j->end && *p >= '0' && *p <= '9') p++;
  }
  v = xzalloc(sizeof(*v));
  v->type = JSON_NUMBER;
  v->str = xstrndup(start, p - start);
  v->len = p - start;
  j->p = p;
  return v;
}

static struct json *parse_container(struct jp *j, int object)
{
  struct json *v = xzalloc(sizeof(*v)), **tail = &v->child;
  char close = object ? '}' : ']';

  v->type = object ? JSON_OBJECT : JSON_ARRAY;
  if (++j->depth > JSON_MAX_DEPTH) {
    jerr(j, j->p, "nesting too deep");
    goto bad;
  }
  j->p++;
  skip_ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    j->depth--;
    return v;
  }
  for (;;) {
    char *key = NULL;
    size_t klen;
    struct json *e;

    skip_ws(j);
    if (object) {
      if (j->p >= j->end || *j->p != '"') {
        jerr(j, j->p, "expected a string key");
        goto bad;
      }
      if (!(key = parse_string(j, &klen))) goto bad;
      skip_ws(j);
      if (j->p >= j->end || *j->p != ':') {
        free(key);
        jerr(j, j->p, "expected ':' after key");
        goto bad;
      }
      j->p++;
      skip_ws(j);
    }
    if (!(e = parse_value(j))) {
      free(key);
      goto bad;
    }
    e->key = key;
    *tail = e;
    tail = &e->next;
    v->len++;
    skip_ws(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (j->p < j->end && *j->p == close) break;
    jerr(j, j->p, object ? "expected ',' or '}'" : "expected ',' or ']'");
    goto bad;
  }
  j->p++;
  j->depth--;
  return v;
bad:
  json_free(v);
  return NULL;
}

static struct json *literal(struct jp *j, const char *word, enum json_type t)
{
  size_t n = strlen(word);
  struct json *v;

  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
    return jerr(j, j->p, "invalid literal");
  j->p += n;
  v = xzalloc(sizeof(*v));
  v->type = t;
  return v;
}

static struct json *parse_value(struct jp *j)
{
  struct json *v;

  skip_ws(j);
  if (j->p >= j->end) return jerr(j, j->p, "unexpected end of input");
  switch (*j->p) {
  case '{': return parse_container(j, 1);
  case '[': return parse_container(j, 0);
  case '"':
    v = xzalloc(sizeof(*v));
    v->type = JSON_STRING;
    if (!(v->str = parse_string(j, &v->len))) {
      free(v);
      return NULL;
    }
    return v;
  case 't': return literal(j, "true", JSON_TRUE);
  case 'f': return literal(j, "false", JSON_FALSE);
  case 'n': return literal(j, "null", JSON_NULL);
  default:
    if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) return parse_number(j);
    return jerr(j, j->p, "unexpected character");
  }
}

struct json *json_parse(const char *s, size_t len, struct json_err *err)
{
  struct jp j = {s, s + len, s, NULL, 0};
  struct json *v = NULL;
  const char *q;

  if (len > JSON_MAX_SIZE) jerr(&j, s, "document too large");
  else if ((v = parse_value(&j))) {
    skip_ws(&j);
    if (j.p != j.end) {
      json_free(v);
      v = jerr(&j, j.p, "trailing data after the value");
    }
  }
  if (!v && err) {
    err->off = j.p - s;
    err->line = 1;
    err->col = 1;
    for (q = s; q < j.p; q++) {
      if (*q == '\n') err->line++, err->col = 1;
      else err->col++;
    }
    err->msg = j.msg;
  }
  return v;
}

void json_free(struct json *j)
{
  while (j) {
    struct json *next = j->next;
    json_free(j->child);
    free(j->key);
    free(j->str);
    free(j);
    j = next;
  }
}

struct json *json_get(const struct json *obj, const char *key)
{
  struct json *e, *found = NULL;

  if (!obj || obj->type != JSON_OBJECT) return NULL;
  for (e = obj->child; e; e = e->next)
    if (!strcmp(e->key, key)) found = e;
  return found;
}

struct json *json_at(const struct json *arr, size_t i)
{
  struct json *e;

  if (!arr || arr->type != JSON_ARRAY) return NULL;
  for (e = arr->child; e && i; e = e->next) i--;
  return e;
}

const char *json_get_str(const struct json *obj, const char *key)
{
  struct json *v = json_get(obj, key);

  return v && v->type == JSON_STRING ? v->str : NULL;
}

int json_int(const struct json *j, long long *out)
{
  const char *p;
  unsigned long long v = 0, lim;
  int neg;

  if (!j || j->type != JSON_NUMBER) return -1;
  p = j->str;
  neg = *p == '-';
  p += neg;
  lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
  for (; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    if (v > (lim - (*p - '0')) / 10) return -1;
    v = v * 10 + (*p - '0');
  }
  *out = neg ? (long long)(0 - v) : (long long)v;
  return 0;
}

// ---- the writer ----------------------------------------------------------

// Go's encoding: \" \\ \n \r \t, other controls and U+2028/9 as \u00XX,
// invalid UTF-8 as \ufffd; no HTML escaping (SetEscapeHTML(false)).
void json_quote(struct buf *b, const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s, *end = p + n;

  buf_addc(b, '"');
  while (p < end) {
    unsigned c = *p;
    if (c == '"' || c == '\\') {
      buf_addc(b, '\\');
      buf_addc(b, c);
      p++;
    } else if (c < 0x20) {
      if (c == '\n') buf_adds(b, "\\n");
      else if (c == '\r') buf_adds(b, "\\r");
      else if (c == '\t') buf_adds(b, "\\t");
      else buf_printf(b, "\\u%04x", c);
      p++;
    } else if (c < 0x80) {
      buf_addc(b, c);
      p++;
    } else {
      int l = utf8_len(p, end);
      if (!l) {
        buf_adds(b, "\\ufffd");
        p++;
      } else if (l == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
        buf_printf(b, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
        p += 3;
      } else {
        buf_add(b, p, l);
        p += l;
      }
    }
  }
  buf_addc(b, '"');
}

void jw_init(struct jw *w, struct buf *b, int indent)
{
  memset(w, 0, sizeof(*w));
  w->b = b;
  w->indent = indent;
}

#define BIT_GET(a, d) ((a)[(d) / 64] >> ((d) % 64) & 1)
#define BIT_SET(a, d, v) ((a)[(d) / 64] = ((a)[(d) / 64] & ~(1ull << ((d) % 64))) | (uint64_t)(v) << ((d) % 64))

static void newline(struct jw *w, int depth)
{
  buf_addc(w->b, '\n');
  if (w->indent < 0) for (int i = 0; i < depth; i++) buf_addc(w->b, '\t');
  else for (int i = 0; i < depth * w->indent; i++) buf_addc(w->b, ' ');
}

// Separator, indentation and key before a value.
static void jw_pre(struct jw *w, const char *key)
{
  if (w->depth) {
    int d = w->depth - 1;
    if (BIT_GET(w->nonempty, d)) buf_addc(w->b, ',');
    BIT_SET(w->nonempty, d, 1);
    if (w->indent) newline(w, w->depth);
    if (BIT_GET(w->is_object, d)) {
      json_quote(w->b, key ? key : "", key ? strlen(key) : 0);
      buf_adds(w->b, w->indent ? ": " : ":");
    }
  }
}

static void jw_open(struct jw *w, const char *key, int object)
{
  jw_pre(w, key);
  buf_addc(w->b, object ? '{' : '[');
  if (w->depth >= JSON_MAX_DEPTH) error_exit("json writer: nesting too deep");
  BIT_SET(w->nonempty, w->depth, 0);
  BIT_SET(w->is_object, w->depth, object);
  w->depth++;
}

void jw_obj(struct jw *w, const char *key) { jw_open(w, key, 1); }
void jw_arr(struct jw *w, const char *key) { jw_open(w, key, 0); }

void jw_end(struct jw *w)
{
  int d = --w->depth;

  if (w->indent && BIT_GET(w->nonempty, d)) newline(w, d);
  buf_addc(w->b, BIT_GET(w->is_object, d) ? '}' : ']');
}

void jw_strn(struct jw *w, const char *key, const char *val, size_t n)
{
  jw_pre(w, key);
  if (val) json_quote(w->b, val, n);
  else buf_adds(w->b, "null");
}

void jw_str(struct jw *w, const char *key, const char *val)
{
  jw_strn(w, key, val, val ? strlen(val) : 0);
}

void jw_int(struct jw *w, const char *key, long long n)
{
  jw_pre(w, key);
  buf_printf(w->b, "%lld", n);
}

void jw_bool(struct jw *w, const char *key, int v)
{
  jw_pre(w, key);
  buf_adds(w->b, v ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
  jw_pre(w, key);
  buf_adds(w->b, "null");
}

void jw_raw(struct jw *w, const char *key, const char *json)
{
  jw_pre(w, key);
  buf_adds(w->b, json);
}

void jw_value(struct jw *w, const char *key, const struct json *v)
{
  const struct json *e;

  switch (v->type) {
  case JSON_NULL: jw_null(w, key); break;
  case JSON_TRUE: jw_bool(w, key, 1); break;
  case JSON_FALSE: jw_bool(w, key, 0); break;
  case JSON_NUMBER: jw_raw(w, key, v->str); break;
  case JSON_STRING: jw_strn(w, key, v->str, v->len); break;
  case JSON_ARRAY:
  case JSON_OBJECT:
    jw_open(w, key, v->type == JSON_OBJECT);
    for (e = v->child; e; e = e->next) jw_value(w, e->key, e);
    jw_end(w);
    break;
  }
}
