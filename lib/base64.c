// base64.c: RFC 4648 base64 with padding (Basic auth, config.json "auth").
#include "ocibox.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const void *p, size_t n, struct buf *out)
{
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
    char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                 i + 2 < n ? b64[v & 63] : '='};
    buf_add(out, q, 4);
  }
}

int base64_decode(const char *s, struct buf *out)
{
  unsigned v = 0;
  int bits = 0, pad = 0;
  for (; *s; s++) {
    const char *c = strchr(b64, *s);
    if (*s == '=') {
      pad++;
      continue;
    }
    if (!c || !*s || pad) return -1;
    v = v << 6 | (unsigned)(c - b64);
    if ((bits += 6) >= 8) {
      bits -= 8;
      buf_addc(out, (char)(v >> bits));
    }
  }
  return pad > 2 ? -1 : 0;
}
