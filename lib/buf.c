// buf.c: growing byte buffers, always NUL-terminated once used.
#include "ocibox.h"

static void buf_grow(struct buf *b, size_t more)
{
  if (b->len + more + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + more + 1) cap *= 2;
  b->s = xrealloc(b->s, cap);
  b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
  buf_grow(b, n);
  memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = 0;
}

void buf_adds(struct buf *b, const char *s)
{
  buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
  buf_add(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(0, 0, fmt, copy);
  va_end(copy);
  if (n < 0) return;
  buf_grow(b, n);
  vsnprintf(b->s + b->len, n + 1, fmt, ap);
  b->len += n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

const char *buf_str(struct buf *b)
{
  return b->s ? b->s : "";
}

char *buf_steal(struct buf *b)
{
  char *s = b->s ? b->s : xstrdup("");
  b->s = 0;
  b->len = b->cap = 0;
  return s;
}

void buf_free(struct buf *b)
{
  free(b->s);
  b->s = 0;
  b->len = b->cap = 0;
}
