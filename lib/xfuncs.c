// xfuncs.c: x-prefixed helpers that report "ocibox: APPLET: what: why" and
// exit, plus the few I/O primitives the store's atomicity rests on.
#include "ocibox.h"
#include <dirent.h>
#include <elf.h>
#include <link.h>
#include <poll.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>

// Like toybox: a reported error makes the exit status non-zero.
static void verror(int err, const char *fmt, va_list ap)
{
  if (!applet.exitval) applet.exitval = 1;
  fflush(stdout);
  fputs("ocibox: ", stderr);
  if (applet.which) fprintf(stderr, "%s: ", applet.which->name);
  vfprintf(stderr, fmt, ap);
  if (err) fprintf(stderr, ": %s", strerror(err));
  fputc('\n', stderr);
}

void error_msg(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  verror(0, fmt, ap);
  va_end(ap);
}

void perror_msg(const char *fmt, ...)
{
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  verror(err, fmt, ap);
  va_end(ap);
}

void xexit(void)
{
  if (fflush(stdout) || ferror(stdout)) {
    if (!applet.exitval) applet.exitval = 1;
  }
  _exit(applet.exitval);
}

static int failure_code(void)
{
  if (applet.which && (applet.which->bits & APPLET_ERR125)) return 125;
  return 1;
}

void error_exit(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  verror(0, fmt, ap);
  va_end(ap);
  applet.exitval = failure_code();
  xexit();
}

void perror_exit(const char *fmt, ...)
{
  int err = errno;
  va_list ap;
  va_start(ap, fmt);
  verror(err, fmt, ap);
  va_end(ap);
  applet.exitval = failure_code();
  xexit();
}

// A usage error: the message, then where to look, like Docker's CLI.
void help_exit(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  verror(0, fmt, ap);
  va_end(ap);
  if (applet.which)
    fprintf(stderr, "See '%s %s --help'.\n", applet.docker ? "docker" : "ocibox",
            applet.which->name);
  applet.exitval = applet.docker ? 125 : failure_code();
  xexit();
}

int fail(int err, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(applet.why, sizeof(applet.why), fmt, ap);
  va_end(ap);
  return err > 0 ? -err : (err ? err : -1);
}

void *xmalloc(size_t n)
{
  void *p = malloc(n ? n : 1);
  if (!p) error_exit("out of memory (%zu bytes)", n);
  return p;
}

void *xzalloc(size_t n)
{
  void *p = xmalloc(n);
  memset(p, 0, n);
  return p;
}

void *xrealloc(void *p, size_t n)
{
  p = realloc(p, n ? n : 1);
  if (!p) error_exit("out of memory (%zu bytes)", n);
  return p;
}

char *xstrndup(const char *s, size_t n)
{
  size_t len = strnlen(s, n);
  char *p = xmalloc(len + 1);
  memcpy(p, s, len);
  p[len] = 0;
  return p;
}

char *xstrdup(const char *s)
{
  return xstrndup(s, SIZE_MAX);
}

char *xmprintf(const char *fmt, ...)
{
  struct buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  return buf_steal(&b);
}

int xopenat(int dirfd, const char *path, int flags, ...)
{
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, int);
    va_end(ap);
  }
  int fd = openat(dirfd, path, flags | O_CLOEXEC, mode);
  if (fd < 0) perror_exit("%s", path);
  return fd;
}

int xopen(const char *path, int flags, ...)
{
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, int);
    va_end(ap);
  }
  return xopenat(AT_FDCWD, path, flags, mode);
}

void xclose(int fd)
{
  if (close(fd) && errno != EINTR) perror_exit("close");
}

ssize_t readall(int fd, void *buf, size_t len)
{
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, (char *)buf + got, len - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (!n) break;
    got += n;
  }
  return got;
}

ssize_t writeall(int fd, const void *buf, size_t len)
{
  size_t done = 0;
  while (done < len) {
    ssize_t n = write(fd, (const char *)buf + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    done += n;
  }
  return done;
}

void xwriteall(int fd, const void *buf, size_t len)
{
  if (writeall(fd, buf, len) < 0) perror_exit("write");
}

int readfile_at(int dirfd, const char *path, size_t max, char **out, size_t *len)
{
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "%s: %s", path, strerror(errno));
  struct buf b = {0};
  char chunk[4096];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      buf_free(&b);
      return fail(err, "%s: %s", path, strerror(err));
    }
    if (!n) break;
    if (b.len + n > max) {
      close(fd);
      buf_free(&b);
      return fail(EFBIG, "%s: larger than %zu bytes", path, max);
    }
    buf_add(&b, chunk, n);
  }
  close(fd);
  if (len) *len = b.len;
  *out = buf_steal(&b);
  return 0;
}

// Names packed as "a\0b\0c\0\0" (the index is a number: a capability's,
// an rlimit's): the index of s's first len bytes, -1 if none; icase:
// letters' case aside.
int strtab_index(const char *tab, const char *s, size_t len, int icase)
{
  for (int n = 0; *tab; tab += strlen(tab) + 1, n++)
    if (strlen(tab) == len && !(icase ? strncasecmp(tab, s, len) : memcmp(tab, s, len))) return n;
  return -1;
}

const char *strtab_at(const char *tab, int n)
{
  while (n-- > 0 && *tab) tab += strlen(tab) + 1;
  return tab;
}

// A small file in one read: a regular file (a short read is its end) or
// a proc or cgroup file of a few lines (handed over whole). Its length, or
// -1; size itself means it may be longer: read it with readfile_at.
ssize_t read_small_at(int dirfd, const char *path, char *buf, size_t size)
{
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  ssize_t n;

  if (fd < 0) return -1;
  while ((n = read(fd, buf, size)) < 0 && errno == EINTR);
  close(fd);
  return n;
}

char *xreadfile(const char *path, size_t max, size_t *len)
{
  char *s;
  if (readfile_at(AT_FDCWD, path, max, &s, len) < 0) error_exit("%s", applet.why);
  return s;
}

int fsync_dir_at(int dirfd, const char *path)
{
  int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(errno, "%s: %s", path, strerror(errno));
  int rc = fsync(fd) ? fail(errno, "fsync %s: %s", path, strerror(errno)) : 0;
  close(fd);
  return rc;
}

// The new content is complete on disk before its name appears, and the
// name is durable before we return: a crash leaves the old or the new file.
// name replaced by buf at once: readers see the old or the new, whole.
// durable: on disk too before the call returns (file and directory
// fsync'd); without, a crash may leave the old one or (on filesystems that
// do not flush a rename-over) a torn one, so it is for files that are
// remade or only hold what a reboot ends (leases, a container's state).
static int replace_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode, int durable)
{
  char tmp[PATH_MAX];
  const char *slash = strrchr(name, '/');
  int dirlen = slash ? (int)(slash - name) : 0;
  snprintf(tmp, sizeof(tmp), "%.*s%s.tmp-%d-%s", dirlen, name, slash ? "/" : "",
           (int)getpid(), slash ? slash + 1 : name);
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(errno, "%s: %s", tmp, strerror(errno));
  int err = 0;
  if (writeall(fd, buf, len) < 0 || fchmod(fd, mode) || (durable && fsync(fd))) err = errno;
  if (close(fd) && !err) err = errno;
  if (!err && renameat(dirfd, tmp, dirfd, name)) err = errno;
  if (err) {
    unlinkat(dirfd, tmp, 0);
    return fail(err, "%s: %s", name, strerror(err));
  }
  if (!durable) return 0;
  char dir[PATH_MAX];
  snprintf(dir, sizeof(dir), "%.*s", slash ? dirlen ? dirlen : 1 : 1, slash ? name : ".");
  return fsync_dir_at(dirfd, dir);
}

int atomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
  return replace_at(dirfd, name, buf, len, mode, 1);
}

int replace_file_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
  return replace_at(dirfd, name, buf, len, mode, 0);
}

void xatomic_write_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
  if (atomic_write_at(dirfd, name, buf, len, mode) < 0) error_exit("%s", applet.why);
}

int mkdir_p(const char *path, mode_t mode)
{
  char tmp[PATH_MAX];
  // Mostly all there, or all but the last: one call, not one a component.
  if (!mkdir(path, mode) || errno == EEXIST) return 0;
  if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
    return fail(ENAMETOOLONG, "%s: path too long", path);
  for (char *p = tmp + 1;; p++) {
    if (*p == '/' || !*p) {
      char c = *p;
      *p = 0;
      if (mkdir(tmp, mode) && errno != EEXIST)
        return fail(errno, "mkdir %s: %s", tmp, strerror(errno));
      if (!(*p = c)) break;
    }
  }
  return 0;
}

void strlist_add(struct strlist **head, char *s)
{
  while (*head) head = &(*head)->next;
  *head = xzalloc(sizeof(**head));
  (*head)->s = s;
}

void strlist_free(struct strlist *l)
{
  while (l) {
    struct strlist *n = l->next;
    free(l->s);
    free(l);
    l = n;
  }
}

// unlinkat, or for a directory its contents first; never follows a
// symlink (musl's nftw cost three times these bytes).
static int rm_at(int dirfd, const char *name)
{
  if (!unlinkat(dirfd, name, 0) || errno == ENOENT) return 0;
  if (errno != EISDIR) return -1;
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc = 0;
  DIR *d = fd < 0 ? 0 : fdopendir(fd);
  if (!d) {
    if (fd >= 0) close(fd);
    return -1;
  }
  for (struct dirent *e; (e = readdir(d));)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && rm_at(fd, e->d_name)) rc = -1;
  closedir(d);
  return unlinkat(dirfd, name, AT_REMOVEDIR) && errno != ENOENT ? -1 : rc;
}

int exists_at(int dirfd, const char *path)
{
  struct stat st;
  return !fstatat(dirfd, path, &st, 0);
}

// Bytes of regular files under dirfd, which it takes over (closes).
int64_t du_at(int dirfd)
{
  DIR *d = fdopendir(dirfd);
  struct dirent *de;
  int64_t total = 0;
  struct stat st;

  if (!d) {
    close(dirfd);
    return 0;
  }
  while ((de = readdir(d))) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW)) continue;
    if (S_ISREG(st.st_mode)) total += st.st_size;
    else if (S_ISDIR(st.st_mode)) {
      int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub >= 0) total += du_at(sub);
    }
  }
  closedir(d);
  return total;
}

// Remove a tree without following symlinks; a missing path is fine.
int rm_rf(const char *path)
{
  if (rm_at(AT_FDCWD, path)) return fail(errno, "remove %s: %s", path, strerror(errno));
  return 0;
}

// Docker's prune prompt: the warning, then "Are you sure...? [y/N] ".
int confirm(const char *warning)
{
  char line[16];
  printf("%s\nAre you sure you want to continue? [y/N] ", warning);
  fflush(stdout);
  return fgets(line, sizeof(line), stdin) && (*line == 'y' || *line == 'Y');
}

// A system call without libc: libc's wrapper is code on another page.
static inline long raw_syscall(long nr, long a, long b, long c, long d, long e)
{
#if defined(__x86_64__)
  register long r10 __asm__("r10") = d, r8 __asm__("r8") = e;
  __asm__ volatile("syscall"
                   : "+a"(nr)
                   : "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return nr;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
#else
  long r = syscall(nr, a, b, c, d, e);
  return r < 0 ? -errno : r;
#endif
}

// A process that will mostly wait (a supervisor, its logger, its port
// proxy) blocks here: first it gives back the pages of code it was forked
// with (the binary's, shared, read again on demand: kept, they are all
// that run touched, some 350 KiB counted in each waiting process) and the
// stack below it, then it makes the blocking call from this one page of
// code, so that only its 64 KiB window (the kernel's fault-around) is
// mapped back while it waits.
long idle_syscall(long nr, long a, long b, long c, long d, long e)
{
  extern const char __executable_start[];
  static size_t text;
  char *sp = (char *)((uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)4095) - 4096;
  long r;

  if (!text) {
    const ElfW(Phdr) *ph = (const void *)getauxval(AT_PHDR);
    for (size_t i = 0, n = getauxval(AT_PHNUM); ph && i < n; i++)
      if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && !ph[i].p_offset)
        text = (ph[i].p_memsz + 4095) & ~(size_t)4095;
  }
  // The stack below this frame is dead (a signal's handler faults in what
  // it needs), if this is the main stack: its top holds AT_RANDOM's bytes.
  uintptr_t top = getauxval(AT_RANDOM);
  int main_stack = top > (uintptr_t)sp && top - (uintptr_t)sp < (64 << 20);
  raw_syscall(SYS_madvise, (long)__executable_start, text, MADV_DONTNEED, 0, 0);
  if (main_stack) raw_syscall(SYS_madvise, (long)(sp - (256 << 10)), 256 << 10, MADV_DONTNEED, 0, 0);
  r = raw_syscall(nr, a, b, c, d, e);
  if (r < 0 && r > -4096) {
    errno = -r;
    return -1;
  }
  return r;
}

// poll() with no timeout in a process that mostly waits: after a second
// with nothing to do, the wait goes on through idle_syscall.
int idle_poll(struct pollfd *p, nfds_t n)
{
  int r = poll(p, n, 1000);
  return r ? r : (int)idle_syscall(SYS_ppoll, (long)p, n, 0, 0, 0);
}
