// digest.c: "sha256:<hex>" digests (OCI image-spec descriptors) through
// BearSSL's sha256, which is small and needs no allocation.
#include "ocibox.h"
#include <bearssl_hash.h>

_Static_assert(sizeof(struct digest) >= sizeof(br_sha256_context), "struct digest too small");

void digest_init(struct digest *d)
{
  br_sha256_init((br_sha256_context *)d);
}

void digest_update(struct digest *d, const void *p, size_t n)
{
  br_sha256_update((br_sha256_context *)d, p, n);
}

void digest_final(struct digest *d, char out[72])
{
  unsigned char sum[32];
  br_sha256_out((br_sha256_context *)d, sum);
  memcpy(out, "sha256:", 7);
  for (int i = 0; i < 32; i++) {
    out[7 + 2 * i] = "0123456789abcdef"[sum[i] >> 4];
    out[8 + 2 * i] = "0123456789abcdef"[sum[i] & 15];
  }
  out[71] = 0;
}

void digest_buf(const void *p, size_t n, char out[72])
{
  struct digest d;
  digest_init(&d);
  digest_update(&d, p, n);
  digest_final(&d, out);
}

int digest_valid(const char *s)
{
  if (strncmp(s, "sha256:", 7)) return 0;
  for (int i = 7; i < 71; i++)
    if (!s[i] || !strchr("0123456789abcdef", s[i])) return 0;
  return !s[71];
}
