// digest.c: "sha256:<hex>" digests (OCI image-spec descriptors) through
// BearSSL's sha256, which is small and needs no allocation; whole blocks go
// through the CPU's SHA instructions where there are some (SHA_NI), about
// four times as fast: pull and load hash every layer twice.
#include "ocibox.h"
#include <bearssl_hash.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

_Static_assert(sizeof(((struct digest *)0)->state) >= sizeof(br_sha256_context),
               "struct digest too small");

#if defined(__x86_64__)
// FIPS 180-4's round constants.
static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// Whole 64-byte blocks into the state a..h, four rounds per step: the
// instructions keep the state as (a,b,e,f) and (c,d,g,h) and the message
// schedule as four vectors of four words.
__attribute__((target("sha,sse4.1"))) static void blocks_ni(uint32_t v[8], const unsigned char *p,
                                                            size_t n)
{
  const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((void *)v), 0xb1);       // b a d c
  __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((void *)(v + 4)), 0x1b); // h g f e
  __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                  // f e b a
  s1 = _mm_blend_epi16(s1, t, 0xf0);                                       // h g d c

  for (; n--; p += 64) {
    __m128i a = s0, c = s1, m[4];
    for (int i = 0; i < 16; i++) {
      __m128i *w = m + (i & 3);
      if (i < 4) *w = _mm_shuffle_epi8(_mm_loadu_si128((void *)(p + 16 * i)), bswap);
      else {
        // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], four at once
        __m128i x = _mm_sha256msg1_epu32(*w, m[(i + 1) & 3]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(m[(i + 3) & 3], m[(i + 2) & 3], 4));
        *w = _mm_sha256msg2_epu32(x, m[(i + 3) & 3]);
      }
      __m128i k = _mm_add_epi32(*w, _mm_loadu_si128((void *)(K + 4 * i)));
      s1 = _mm_sha256rnds2_epu32(s1, s0, k);
      s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0e));
    }
    s0 = _mm_add_epi32(s0, a);
    s1 = _mm_add_epi32(s1, c);
  }
  t = _mm_shuffle_epi32(s0, 0x1b);                      // b a f e
  s1 = _mm_shuffle_epi32(s1, 0xb1);                     // g h c d
  _mm_storeu_si128((void *)v, _mm_blend_epi16(t, s1, 0xf0));        // d c b a
  _mm_storeu_si128((void *)(v + 4), _mm_alignr_epi8(s1, t, 8));     // h g f e
}
#endif

void digest_init(struct digest *d)
{
  br_sha256_init((br_sha256_context *)d);
  d->fast = 0;
#if defined(__x86_64__)
  unsigned a, b, c, x;
  if (CFG_SHA_NI && __get_cpuid_count(7, 0, &a, &b, &c, &x)) d->fast = b >> 29 & 1;
#endif
}

void digest_update(struct digest *d, const void *p, size_t n)
{
  br_sha256_context *c = (br_sha256_context *)d;

#if defined(__x86_64__)
  if (CFG_SHA_NI && d->fast) {
    // Top up BearSSL's buffer, then whole blocks straight into its state
    // (native words a..h; BearSSL is pinned by scripts/deps.sha256).
    size_t k = -c->count & 63;
    if (k > n) k = n;
    br_sha256_update(c, p, k);
    p = (const char *)p + k;
    n -= k;
    blocks_ni(c->val, p, n / 64);
    c->count += n & ~(size_t)63;
    p = (const char *)p + (n & ~(size_t)63);
    n &= 63;
  }
#endif
  br_sha256_update(c, p, n);
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
