// layer.c: unpack one layer tar into an overlayfs lower directory as
// SPECS.md §5 says (moby's UnpackLayer with its overlay whiteout
// converter). libarchive only parses the tar; every entry is created here
// relative to the staging directory, never through a symlink.
#include "ocibox.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
// linux/openat2.h, which musl's headers lack.
struct resolve_how {
  uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_IN_ROOT 0x10

#define WH ".wh."
#define WH_META ".wh..wh."
#define WH_OPQ ".wh..wh..opq"
#define OPAQUE_XATTR "trusted.overlay.opaque"

struct dirtime {
  char *path;
  struct timespec t;
};

struct unpack {
  struct archive *a;
  struct reader src;
  struct layer_stats *st;
  const struct unpack_opts *o;  // docker cp's archive, or NULL: a layer
  int root;              // the staging directory
  int no_openat2;        // the kernel (or a seccomp filter) refuses it
  int src_failed;        // src.read failed: applet.why says why
  int fresh_owner;       // a new file is ours (euid, egid), no setgid dir above
  uid_t euid;
  gid_t egid;
  mode_t umask;
  uint64_t total;        // tar bytes read
  int cachefd;           // O_PATH fd of the directory `cached`, or -1
  char cached[PATH_MAX]; // "" when nothing is cached
  struct dirtime *dirs;  // directory mtimes, set after the whole layer
  size_t ndirs, cap;
  unsigned char buf[64 << 10];
};

// Clean a tar name like Go's filepath.Clean(strings.TrimLeft(name, "/")):
// no "", "." or ".." components and no trailing "/"; "" is the root.
// -1 when ".." climbs out of the root, -2 when too long.
static int clean_name(const char *name, char out[PATH_MAX])
{
  size_t len = 0;

  while (*name) {
    const char *end = strchrnul(name, '/');
    size_t n = end - name;
    if (n == 2 && name[0] == '.' && name[1] == '.') {
      if (!len) return -1;
      while (len && out[len - 1] != '/') len--;
      if (len) len--;
    } else if (n && !(n == 1 && *name == '.')) {
      if (len + 1 + n >= PATH_MAX) return -2;
      if (len) out[len++] = '/';
      memcpy(out + len, name, n);
      len += n;
    }
    name = *end ? end + 1 : end;
  }
  out[len] = 0;
  return 0;
}

static int bad_name(const char *entry, int why)
{
  return fail(why == -2 ? ENAMETOOLONG : EINVAL, "layer: %s: %s", entry,
              why == -2 ? "name too long" : "path escapes the layer root");
}

// The directory `path` one component at a time, with O_NOFOLLOW: a
// symlink anywhere in it is an error, missing directories are made
// (0755, whatever the umask, like Docker's implied directories) when
// `make`. Returns a new O_PATH fd.
static int walk(struct unpack *u, const char *path, int make, const char *entry)
{
  int dir = u->root, next;
  const char *p = path;

  while (*p) {
    const char *end = strchrnul(p, '/');
    char comp[NAME_MAX + 1];
    struct stat sb;

    if (end - p > NAME_MAX) {
      fail(ENAMETOOLONG, "layer: %s: name too long", entry);
      goto err;
    }
    memcpy(comp, p, end - p);
    comp[end - p] = 0;
    int nofollow = u->o && u->o->follow ? 0 : O_NOFOLLOW;
    next = openat(dir, comp, O_PATH | O_DIRECTORY | nofollow | O_CLOEXEC);
    if (next < 0 && errno == ENOENT && make) {
      if (mkdirat(dir, comp, 0755) || fchmodat(dir, comp, 0755, 0)) {
        fail(errno, "layer: %s: mkdir %.*s: %s", entry, (int)(end - path), path, strerror(errno));
        goto err;
      }
      next = openat(dir, comp, O_PATH | O_DIRECTORY | nofollow | O_CLOEXEC);
    }
    if (next < 0) {
      int e = errno;
      if ((e == ELOOP || e == ENOTDIR) && !fstatat(dir, comp, &sb, AT_SYMLINK_NOFOLLOW))
        fail(e, "layer: %s: %.*s is %s", entry, (int)(end - path), path,
             S_ISLNK(sb.st_mode) ? "a symlink" : "not a directory");
      else
        fail(e, "layer: %s: %.*s: %s", entry, (int)(end - path), path, strerror(e));
      goto err;
    }
    if (dir != u->root) close(dir);
    dir = next;
    p = *end ? end + 1 : end;
  }
  return dir;  // path is never "": a new fd
err:
  if (dir != u->root) close(dir);
  return -1;
}

// The parent directory `path` of an entry, as an fd the cache owns (valid
// until the next call). openat2 does it in one call when nothing is
// missing; walk() makes what is and explains refusals.
static int parent_fd(struct unpack *u, const char *path, int make, const char *entry)
{
  int fd = -1;

  if (!*path) return u->root;
  if (u->cachefd >= 0 && !strcmp(u->cached, path)) return u->cachefd;
  if (!u->no_openat2) {
    // No symlinks at all, rather than symlinks resolved in the root:
    // entries are never written through a symlink the archive planted.
    struct resolve_how how = {O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                              RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS};
    fd = syscall(SYS_openat2, u->root, path, &how, sizeof(how));
    if (fd < 0 && (errno == ENOSYS || errno == EPERM)) u->no_openat2 = 1;
  }
  if (fd < 0 && (fd = walk(u, path, make, entry)) < 0) return -1;
  if (u->cachefd >= 0) close(u->cachefd);
  u->cachefd = fd;
  strcpy(u->cached, path);
  return fd;
}

// Remove dir/name and everything below it, following no symlink.
static int remove_tree(int dir, const char *name)
{
  if (!unlinkat(dir, name, 0) || errno == ENOENT) return 0;
  if (errno != EISDIR) return -1;
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), r = 0;
  DIR *d = fd < 0 ? 0 : fdopendir(fd);
  struct dirent *de;

  if (!d) {
    if (fd >= 0) close(fd);
    return -1;
  }
  while (!r && (de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      r = remove_tree(fd, de->d_name);
  closedir(d);
  return r ? r : unlinkat(dir, name, AT_REMOVEDIR);
}

// Make room for an entry at dir/name: whatever is there goes, unless both
// are directories, which merge. Returns 1 when a directory stays.
static int make_room(struct unpack *u, int dir, const char *name, int isdir, const char *entry)
{
  struct stat sb;

  if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW))
    return errno == ENOENT ? 0 : fail(errno, "layer: %s: %s", entry, strerror(errno));
  if (isdir && S_ISDIR(sb.st_mode)) return 1;
  if (u->o && (isdir || S_ISDIR(sb.st_mode)))  // Docker's NoOverwriteDirNonDir
    return fail(EEXIST, "cannot overwrite %sdirectory \"%s\" with %sdirectory",
                isdir ? "non-" : "", entry, isdir ? "" : "non-");
  u->cached[0] = 0;  // the cached directory may be below what goes
  if (remove_tree(dir, name)) return fail(errno, "layer: %s: cannot replace: %s", entry, strerror(errno));
  return 0;
}

// Owner, xattrs, mode and times, in the order that keeps them all (chown
// clears setuid bits and file capabilities). fd is the entry itself, or -1
// to reach it as dir/name without following it. done says what the
// create already gave the entry: SET_OWNER, SET_MODE.
#define SET_OWNER 1
#define SET_MODE 2
static int set_meta(struct unpack *u, struct archive_entry *e, int fd, int dir, const char *name,
                    const char *entry, int done)
{
  mode_t type = archive_entry_filetype(e);
  uid_t uid = archive_entry_uid(e);
  gid_t gid = archive_entry_gid(e);
  struct timespec ts[2] = {{archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  const char *key;
  const void *val;
  size_t len;
  char proc[PATH_MAX + 32];

  if (!(done & SET_OWNER) &&
      (fd >= 0 ? fchown(fd, uid, gid) : fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)))
    return fail(errno, "layer: %s: chown: %s", entry, strerror(errno));
  // Symlinks and devices have no fd to set xattrs through: their path
  // through our own fd of the parent.
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dir, name);
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &key, &val, &len) == ARCHIVE_OK) {
    // Overlay's own attributes (opaque, redirect, origin...) come only
    // from our whiteout conversion, never from the archive.
    if (!strncmp(key, "trusted.overlay.", 16) || !strncmp(key, "user.overlay.", 13)) continue;
    if (!(fd >= 0 ? fsetxattr(fd, key, val, len, 0) : lsetxattr(proc, key, val, len, 0))) continue;
    if (errno != ENOTSUP && errno != EPERM)  // best effort, like Docker
      return fail(errno, "layer: %s: xattr %s: %s", entry, key, strerror(errno));
  }
  // A setgid directory makes the group of what is created below it.
  if (type == AE_IFDIR && (archive_entry_perm(e) & S_ISGID)) u->fresh_owner = 0;
  if (type != AE_IFLNK && !(done & SET_MODE) &&
      (fd >= 0 ? fchmod(fd, archive_entry_perm(e) & 07777)
               : fchmodat(dir, name, archive_entry_perm(e) & 07777, 0)))
    return fail(errno, "layer: %s: chmod: %s", entry, strerror(errno));
  if (type == AE_IFDIR) return 0;  // after the whole layer
  ts[1] = ts[0];
  if (fd >= 0 ? futimens(fd, ts) : utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW))
    return fail(errno, "layer: %s: utimes: %s", entry, strerror(errno));
  return 0;
}

static int tar_fail(struct unpack *u, const char *entry)
{
  const char *why = archive_error_string(u->a);

  if (u->src_failed) return -1;  // applet.why has the reader's reason
  if (!why) why = "truncated or malformed tar";  // short reads often say nothing
  return entry ? fail(EINVAL, "layer: %s: %s", entry, why) : fail(EINVAL, "layer: %s", why);
}

static int put_file(struct unpack *u, struct archive_entry *e, int dir, const char *name,
                    const char *entry)
{
  // Creation costs most per file: what the create can set (mode bits the
  // umask leaves, the owner a new file gets anyway) needs no call after.
  mode_t perm = archive_entry_perm(e) & 07777;
  int done = (perm & (07000 | u->umask)) ? 0 : SET_MODE, fd, r;
  const void *p;
  size_t n;
  la_int64_t off, end = 0;

  if (u->fresh_owner && archive_entry_uid(e) == u->euid && archive_entry_gid(e) == u->egid)
    done |= SET_OWNER;
  // Most entries are new: no probe before, O_EXCL tells when one is due.
  fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, done ? perm : 0600);
  if (fd < 0 && errno == EEXIST) {
    if ((r = make_room(u, dir, name, 0, entry))) return r;
    fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, done ? perm : 0600);
  }
  if (fd < 0) return fail(errno, "layer: %s: %s", entry, strerror(errno));
  // Sparse files come as blocks at offsets: the gaps stay holes.
  while ((r = archive_read_data_block(u->a, &p, &n, &off)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    while (n) {
      ssize_t w = pwrite(fd, p, n, off);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        r = fail(errno, "layer: %s: write: %s", entry, strerror(errno));
        goto out;
      }
      p = (const char *)p + w;
      n -= w;
      off += w;
    }
    if (off > end) end = off;
  }
  if (r != ARCHIVE_EOF) {
    r = tar_fail(u, entry);
    goto out;
  }
  // (a hole at the end has no block to write: the size sets it)
  if (end != archive_entry_size(e) && ftruncate(fd, archive_entry_size(e))) {
    r = fail(errno, "layer: %s: truncate: %s", entry, strerror(errno));
    goto out;
  }
  u->st->bytes += archive_entry_size(e);
  r = set_meta(u, e, fd, dir, name, entry, done);
out:
  close(fd);
  return r;
}

static int put_dir(struct unpack *u, struct archive_entry *e, int dir, const char *parent,
                   const char *name, const char *entry)
{
  int r = make_room(u, dir, name, 1, entry), fd;

  if (r < 0) return r;
  if (!r && mkdirat(dir, name, 0700))
    return fail(errno, "layer: %s: mkdir: %s", entry, strerror(errno));
  if ((fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return fail(errno, "layer: %s: %s", entry, strerror(errno));
  r = set_meta(u, e, fd, dir, name, entry, 0);
  close(fd);
  if (r) return r;
  if (u->ndirs == u->cap) u->dirs = xrealloc(u->dirs, (u->cap = 2 * u->cap + 16) * sizeof(*u->dirs));
  u->dirs[u->ndirs].path = xmprintf("%s%s%s", parent, *parent ? "/" : "", name);
  u->dirs[u->ndirs++].t = (struct timespec){archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
  return 0;
}

// clean_name, then docker cp's renaming of the top entry.
static int clean(struct unpack *u, const char *name, char out[PATH_MAX])
{
  int r = clean_name(name, out);
  const char *from = u->o ? u->o->from : 0;
  size_t n = from ? strlen(from) : 0;
  char tmp[PATH_MAX];

  if (r || !from || !u->o->to || strncmp(out, from, n) || (n && out[n] && out[n] != '/')) return r;
  if (snprintf(tmp, sizeof(tmp), "%s%s%s", u->o->to, !n && *out ? "/" : "", out + n) >= PATH_MAX)
    return -2;
  strcpy(out, tmp);
  return 0;
}

// A hard link to an entry this layer already made, inside the root. The
// link is made to what the target is, even a symlink: never through it.
static int put_link(struct unpack *u, struct archive_entry *e, int dir, const char *name,
                    const char *entry)
{
  char target[PATH_MAX], *slash, *base = target;
  const char *tparent = "";
  int r = clean(u, archive_entry_hardlink(e), target), tdir;
  struct stat sb;

  if (r || !*target)
    return fail(EINVAL, "layer: %s: link target %s %s", entry, archive_entry_hardlink(e),
                r == -2 ? "too long" : "escapes the layer root");
  if ((slash = strrchr(target, '/'))) {
    *slash = 0;
    tparent = target;
    base = slash + 1;
  }
  // Keep our own fd of the target's directory: parent_fd's may change.
  if ((tdir = parent_fd(u, tparent, 0, entry)) < 0) return -1;
  if ((tdir = fcntl(tdir, F_DUPFD_CLOEXEC, 0)) < 0) return fail(errno, "layer: dup: %s", strerror(errno));
  if (fstatat(tdir, base, &sb, AT_SYMLINK_NOFOLLOW)) {
    r = fail(errno, "layer: %s: link target %s: %s", entry, archive_entry_hardlink(e),
             errno == ENOENT ? "not in this layer" : strerror(errno));
  } else if (S_ISDIR(sb.st_mode)) {
    r = fail(EISDIR, "layer: %s: link target %s is a directory", entry, archive_entry_hardlink(e));
  } else if (!(r = make_room(u, dir, name, 0, entry)) && linkat(tdir, base, dir, name, 0))
    r = fail(errno, "layer: %s: link to %s: %s", entry, archive_entry_hardlink(e), strerror(errno));
  close(tdir);
  return r;
}

static int put_special(struct unpack *u, struct archive_entry *e, mode_t type, int dir, const char *name,
                       const char *entry)
{
  dev_t dev = 0;

  if (type == AE_IFCHR || type == AE_IFBLK) {
    uint64_t maj = archive_entry_rdevmajor(e), min = archive_entry_rdevminor(e);
    if (maj > UINT32_MAX || min > UINT32_MAX)
      return fail(EINVAL, "layer: %s: device number too large", entry);
    dev = makedev(maj, min);
  }
  if (mknodat(dir, name, type | 0600, dev)) return fail(errno, "layer: %s: mknod: %s", entry, strerror(errno));
  return set_meta(u, e, -1, dir, name, entry, 0);
}

// dir/.wh.NAME hides NAME of the lower layers: overlayfs's whiteout is a
// 0/0 character device. A same-layer NAME already made stays (whiteouts
// never hide their own layer's entries).
static int whiteout(struct archive_entry *e, int dir, const char *name, const char *entry)
{
  if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
    return fail(EINVAL, "layer: %s: invalid whiteout", entry);
  if (mknodat(dir, name, S_IFCHR, makedev(0, 0)))
    return errno == EEXIST ? 0 : fail(errno, "layer: %s: whiteout: %s", entry, strerror(errno));
  if (fchownat(dir, name, archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW))
    return fail(errno, "layer: %s: chown: %s", entry, strerror(errno));
  return 0;
}

// dir/.wh..wh..opq hides all of dir's lower-layer children.
static int opaque(int dir, const char *entry)
{
  int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0;

  if (fd < 0 || fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0))
    r = fail(errno, "layer: %s: " OPAQUE_XATTR ": %s", entry, strerror(errno));
  if (fd >= 0) close(fd);
  return r;
}

static int put_entry(struct unpack *u, struct archive_entry *e)
{
  const char *entry = archive_entry_pathname(e), *parent = "", *base;
  char path[PATH_MAX], *slash;
  mode_t type = archive_entry_filetype(e);
  int r, dir;

  if (!entry) return fail(EINVAL, "layer: an entry without a name");
  if ((r = clean(u, entry, path))) return bad_name(entry, r);
  if (!*path) return 0;  // the root itself stays the caller's
  if (u->o && u->o->uid >= 0) archive_entry_set_uid(e, u->o->uid), archive_entry_set_gid(e, u->o->gid);
  if (archive_entry_uid(e) < 0 || archive_entry_uid(e) >= UINT32_MAX ||
      archive_entry_gid(e) < 0 || archive_entry_gid(e) >= UINT32_MAX)
    return fail(EINVAL, "layer: %s: invalid uid or gid", entry);
  // aufs's top-level meta directories (.wh..wh.plnk/...) are skipped.
  if (!u->o && !strncmp(path, WH_META, 8) && strcmp(path, WH_OPQ)) return 0;
  base = (slash = strrchr(path, '/')) ? slash + 1 : path;
  if (!u->o && strcmp(base, WH_OPQ) && !strncmp(base, WH_META, 8)) return 0;
  if (slash) *slash = 0, parent = path;
  if ((dir = parent_fd(u, parent, 1, entry)) < 0) return -1;
  if (!u->o && !strncmp(base, WH, 4))
    return strcmp(base, WH_OPQ) ? whiteout(e, dir, base + 4, entry) : opaque(dir, entry);
  if (type == AE_IFDIR) return put_dir(u, e, dir, parent, base, entry);
  if (archive_entry_hardlink(e)) return put_link(u, e, dir, base, entry);
  if (type != AE_IFREG && type != AE_IFLNK && type != AE_IFCHR && type != AE_IFBLK && type != AE_IFIFO)
    return fail(EINVAL, "layer: %s: unsupported entry type 0%o", entry, (unsigned)type);
  if (type == AE_IFREG) return put_file(u, e, dir, base, entry);
  if ((r = make_room(u, dir, base, 0, entry))) return r;
  if (type != AE_IFLNK) return put_special(u, e, type, dir, base, entry);
  // Symlink targets are stored verbatim: absolute ones are legal, and
  // nothing is ever created through them.
  if (symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", dir, base))
    return fail(errno, "layer: %s: symlink: %s", entry, strerror(errno));
  return set_meta(u, e, -1, dir, base, entry, 0);
}

// Directory times last: creating entries inside changes them.
static int set_dir_times(struct unpack *u)
{
  for (size_t i = 0; i < u->ndirs; i++) {
    char *path = u->dirs[i].path, *slash = strrchr(path, '/'), *base = path;
    struct timespec ts[2] = {u->dirs[i].t, u->dirs[i].t};
    struct stat sb;
    int dir;

    if (slash) *slash = 0, base = slash + 1;
    // Gone or replaced since (a later entry took its place): skip it.
    if ((dir = parent_fd(u, slash ? path : "", 0, base)) < 0) continue;
    if (fstatat(dir, base, &sb, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(sb.st_mode)) continue;
    if (utimensat(dir, base, ts, AT_SYMLINK_NOFOLLOW))
      return fail(errno, "layer: %s: utimes: %s", base, strerror(errno));
  }
  return 0;
}

static la_ssize_t tar_read(struct archive *a, void *ctx, const void **p)
{
  struct unpack *u = ctx;
  ssize_t n = u->src.read(u->src.ctx, u->buf, sizeof(u->buf));

  if (n < 0) {
    u->src_failed = 1;
    archive_set_error(a, EIO, "read error");
    return -1;
  }
  u->total += n;
  *p = u->buf;
  return n;
}

static int unpack(struct unpack *u)
{
  struct archive_entry *e;
  ssize_t n;
  int r;

  if (archive_read_open(u->a, u, 0, tar_read, 0) != ARCHIVE_OK)
    return u->total ? tar_fail(u, 0) : u->src_failed ? -1 : 0;
  // Warnings are names that do not convert to the locale's charset:
  // libarchive then keeps the raw bytes, which is what we want.
  while ((r = archive_read_next_header(u->a, &e)) != ARCHIVE_EOF) {
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      // An empty stream is an empty layer, as for Go's archive/tar.
      if (!u->total && !u->src_failed) return 0;
      return tar_fail(u, 0);
    }
    u->st->entries++;
    if (put_entry(u, e)) return -1;
  }
  if (set_dir_times(u)) return -1;
  // The rest of the stream (zero blocks, padding) for the callers' digests.
  while ((n = u->src.read(u->src.ctx, u->buf, sizeof(u->buf))) > 0);
  return n < 0 ? -1 : 0;
}

int layer_unpack(struct reader src, int dirfd, struct layer_stats *st)
{
  return tar_unpack(src, dirfd, st, 0);
}

int tar_unpack(struct reader src, int dirfd, struct layer_stats *st, const struct unpack_opts *o)
{
  struct unpack *u = xzalloc(sizeof(*u));
  struct stat sb;
  int r;

  *st = (struct layer_stats){0};
  u->src = src;
  u->st = st;
  u->o = o;
  u->no_openat2 = o && o->follow;  // symlinks resolved by the kernel, in a chroot
  u->root = dirfd;
  u->cachefd = -1;
  umask(u->umask = umask(0));
  u->euid = geteuid();
  u->egid = getegid();
  // Only a layer's staging directory is known to be new all through.
  u->fresh_owner = !o && !fstat(dirfd, &sb) && !(sb.st_mode & S_ISGID);
  if (!(u->a = archive_read_new()) || archive_read_support_format_tar(u->a))
    error_exit("libarchive: out of memory");
  r = unpack(u);
  st->tar = u->total;
  archive_read_free(u->a);
  if (u->cachefd >= 0) close(u->cachefd);
  for (size_t i = 0; i < u->ndirs; i++) free(u->dirs[i].path);
  free(u->dirs);
  free(u);
  return r;
}
