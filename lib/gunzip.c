// gunzip.c: streaming gunzip of layer blobs through zlib (RFC 1952,
// concatenated members like Go's gzip.Reader), sniffing the compression by
// its magic bytes as SPECS.md §5 says: gzip, else an uncompressed tar.
#include "ocibox.h"
#include <zlib.h>

#define GZ_IN (64 << 10)

struct gunzip {
  struct reader src;
  struct digest *raw, *out;
  z_stream z;      // next_in/avail_in: unread input, also when passing through
  int gzip;        // 0: passthrough
  int eof;         // src returned 0
  int member;      // inflate is inside a member
  int failed;      // an error was reported: later reads fail too
  unsigned char in[GZ_IN];
};

static ssize_t fd_read(void *ctx, void *buf, size_t n)
{
  ssize_t r;
  while ((r = read(*(int *)ctx, buf, n)) < 0 && errno == EINTR);
  if (r < 0) return fail(errno, "read: %s", strerror(errno)), -1;
  return r;
}

struct reader reader_fd(int *fd)
{
  return (struct reader){fd_read, fd};
}

// Move the unread input to the front and top it up from src, hashing the
// raw bytes. Returns how many came in (0 at the end of src) or -1.
static ssize_t refill(struct gunzip *g)
{
  if (g->eof) return 0;
  memmove(g->in, g->z.next_in, g->z.avail_in);
  g->z.next_in = g->in;
  ssize_t n = g->src.read(g->src.ctx, g->in + g->z.avail_in, GZ_IN - g->z.avail_in);
  if (n < 0) return g->failed = 1, -1;
  if (!n) g->eof = 1;
  if (g->raw) digest_update(g->raw, g->in + g->z.avail_in, n);
  g->z.avail_in += n;
  return n;
}

static ssize_t gz_fail(struct gunzip *g, const char *why)
{
  g->failed = 1;
  fail(EINVAL, "gzip: %s", why);
  return -1;
}

// Hand out up to n bytes: inflated, or the input as it is.
static ssize_t gz_read(void *ctx, void *buf, size_t n)
{
  struct gunzip *g = ctx;
  if (g->failed) return fail(EIO, "gzip: read after an error"), -1;
  if (n > 1u << 30) n = 1u << 30;  // zlib counts in uInt
  for (;;) {
    if (g->z.avail_in < 2 && !g->eof && refill(g) < 0) return -1;
    if (!g->gzip) {
      if (n > g->z.avail_in) n = g->z.avail_in;
      memcpy(buf, g->z.next_in, n);
      g->z.next_in += n;
      g->z.avail_in -= n;
      if (g->out) digest_update(g->out, buf, n);
      return n;
    }
    if (!g->member) {
      // Between members: the end, another member, or garbage (Go's
      // gzip.Reader refuses trailing bytes too).
      if (!g->z.avail_in) return 0;
      if (g->z.avail_in < 2 && !g->eof) continue;
      if (g->z.avail_in < 2 || g->z.next_in[0] != 0x1f || g->z.next_in[1] != 0x8b)
        return gz_fail(g, "invalid data: trailing garbage after the compressed stream");
      if (inflateReset(&g->z) != Z_OK) return gz_fail(g, "invalid data: reset failed");
      g->member = 1;
    }
    g->z.next_out = buf;
    g->z.avail_out = n;
    int zr = inflate(&g->z, Z_NO_FLUSH);
    size_t got = n - g->z.avail_out;
    if (zr == Z_STREAM_END) g->member = 0;
    else if (zr == Z_MEM_ERROR) return gz_fail(g, "out of memory");
    else if (zr != Z_OK && zr != Z_BUF_ERROR) {
      g->failed = 1;
      fail(EINVAL, "gzip: invalid data: %s", g->z.msg ? g->z.msg : "corrupt stream");
      return -1;
    } else if (!got && !g->z.avail_in && g->eof)
      return gz_fail(g, "unexpected end of data");
    if (got) {
      if (g->out) digest_update(g->out, buf, got);
      return got;
    }
  }
}

int gunzip_open(struct gunzip **gp, struct reader src, struct digest *raw,
                struct digest *out)
{
  static const struct {
    char name[6], len;
    unsigned char magic[6];
  } refuse[] = {
    {"zstd", 4, {0x28, 0xb5, 0x2f, 0xfd}},
    {"xz", 6, {0xfd, '7', 'z', 'X', 'Z', 0}},
    {"bzip2", 3, {'B', 'Z', 'h'}},
  };
  struct gunzip *g = xzalloc(sizeof(*g));
  unsigned char *p = g->in;
  ssize_t r = 0;

  *gp = 0;
  g->src = src;
  g->raw = raw;
  g->out = out;
  g->z.next_in = g->in;
  // Six bytes tell every magic apart (xz's is the longest).
  while (g->z.avail_in < 6 && (r = refill(g)) > 0);
  if (r < 0) goto err;
  for (size_t i = 0; i < ARRAY_LEN(refuse); i++)
    if (g->z.avail_in >= (unsigned)refuse[i].len && !memcmp(p, refuse[i].magic, refuse[i].len)) {
      fail(ENOTSUP, "unsupported compression: %s", refuse[i].name);
      goto err;
    }
  // zstd skippable frames: 0x184D2A50..5F, little-endian.
  if (g->z.avail_in >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18) {
    fail(ENOTSUP, "unsupported compression: zstd");
    goto err;
  }
  if (g->z.avail_in >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    g->gzip = 1;
    if (inflateInit2(&g->z, 15 + 16) != Z_OK) {
      fail(ENOMEM, "gzip: cannot start inflate");
      g->gzip = 0;
      goto err;
    }
  }
  *gp = g;
  return 0;
err:
  gunzip_close(g);
  return -1;
}

struct reader gunzip_reader(struct gunzip *g)
{
  return (struct reader){gz_read, g};
}

void gunzip_close(struct gunzip *g)
{
  if (!g) return;
  if (g->gzip) inflateEnd(&g->z);
  free(g);
}
