// malloc.c: ocibox's allocator, in place of musl's. An applet is one short
// process, or a supervisor that allocates a little and then waits. What
// costs there is memory handed back to the kernel only to be mapped and
// faulted in again: musl's allocator unmaps what frees up, and on virtual
// machines without hardware paging each page fault and each unmap's TLB
// shootdown is dear (ps spent a third of its time so). So: blocks in size
// classes with a free list each, carved from chunks that are never given
// back; a block above 64 KiB is a mapping of its own.
//
// No threads anywhere in ocibox: no locks. A pull's workers are processes.
#define _GNU_SOURCE  // mremap
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define HDR 16                 // keeps every block 16-byte aligned
#define SMALL_MAX (64 << 10)   // the largest class
#define CHUNK (256 << 10)
#define NCLASS 24

// A block: its usable size in the 16 bytes before it; on a free list,
// the next free block of its class in its first 8.
struct free_block {
  struct free_block *next;
};

static struct free_block *free_list[NCLASS];
static char *cur, *end;  // the unused rest of the current chunk

// Classes 16, 32, 48, 64, 96, 128, 192, ... 64 KiB: two per doubling.
static int class_of(size_t n, size_t *size)
{
  if (n <= 32) {
    *size = n <= 16 ? 16 : 32;
    return n > 16;
  }
  int k = 63 - __builtin_clzl(n - 1);  // 2^k < n <= 2^(k+1)
  size_t half = (size_t)3 << (k - 1);
  if (n <= half) {
    *size = half;
    return 2 * k - 8;
  }
  *size = (size_t)2 << k;
  return 2 * k - 7;
}

static void *big_alloc(size_t n)
{
  size_t len = (n + HDR + 4095) & ~(size_t)4095;
  char *p;

  if (len < n) return errno = ENOMEM, (void *)0;
  p = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return errno = ENOMEM, (void *)0;
  *(size_t *)p = len - HDR;
  return p + HDR;
}

void *malloc(size_t n)
{
  size_t size;
  int c;
  char *p;

  if (n > SMALL_MAX) return big_alloc(n);
  c = class_of(n ? n : 1, &size);
  if (free_list[c]) {
    p = (char *)free_list[c];
    free_list[c] = free_list[c]->next;
    return p;
  }
  if ((size_t)(end - cur) < size + HDR) {
    p = mmap(0, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return errno = ENOMEM, (void *)0;
    cur = p, end = p + CHUNK;
  }
  p = cur;
  cur += size + HDR;
  *(size_t *)p = size;
  return p + HDR;
}

static size_t size_of(void *p)
{
  return *(size_t *)((char *)p - HDR);
}

void free(void *p)
{
  size_t size;

  if (!p) return;
  size = size_of(p);
  if (size > SMALL_MAX) {
    munmap((char *)p - HDR, size + HDR);
    return;
  }
  int c = class_of(size, &size);
  ((struct free_block *)p)->next = free_list[c];
  free_list[c] = p;
}

void *calloc(size_t m, size_t n)
{
  size_t len;
  void *p;

  if (__builtin_mul_overflow(m, n, &len)) return errno = ENOMEM, (void *)0;
  // (a mapping of its own comes zeroed: its pages stay untouched)
  if ((p = malloc(len)) && len <= SMALL_MAX) memset(p, 0, len);
  return p;
}

void *realloc(void *p, size_t n)
{
  size_t old;
  void *q;

  if (!p) return malloc(n);
  old = size_of(p);
  if (n <= old && (old <= SMALL_MAX || n > SMALL_MAX)) return p;
  if (old > SMALL_MAX && n > SMALL_MAX) {
    size_t len = (n + HDR + 4095) & ~(size_t)4095;
    char *m = len < n ? MAP_FAILED : mremap((char *)p - HDR, old + HDR, len, MREMAP_MAYMOVE);
    if (m == MAP_FAILED) return errno = ENOMEM, (void *)0;
    *(size_t *)m = len - HDR;
    return m + HDR;
  }
  if (!(q = malloc(n))) return 0;
  memcpy(q, p, old < n ? old : n);
  free(p);
  return q;
}
