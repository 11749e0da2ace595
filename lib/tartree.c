// tartree.c: a directory tree as a tar stream (libarchive, pax), names
// sorted for reproducible output, hard links kept. For a container's
// upper dir (commit) overlay's whiteouts become Docker's: a 0/0 char
// device → an empty ".wh.NAME", an opaque dir → ".wh..wh..opq" inside it.
#include "ocibox.h"
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

struct walk {
  struct archive *a;
  int whiteouts;
  struct link { dev_t dev; ino_t ino; char *path; } *links;
  size_t nlinks;
};

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int put(struct walk *w, struct archive_entry *e)
{
  if (archive_write_header(w->a, e) < ARCHIVE_WARN)
    return fail(EIO, "tar: %s", archive_error_string(w->a));
  return 0;
}

// An empty regular file entry: Docker's whiteout markers.
static int put_marker(struct walk *w, const char *path, time_t mtime)
{
  struct archive_entry *e = archive_entry_new();
  int rc;

  archive_entry_set_pathname(e, path);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, 0);
  archive_entry_set_mtime(e, mtime, 0);
  rc = put(w, e);
  archive_entry_free(e);
  return rc;
}

static int put_file(struct walk *w, int dirfd, const char *name, const char *path,
                    const struct stat *st)
{
  struct archive_entry *e = archive_entry_new();
  int rc = 0, fd = -1;

  archive_entry_set_pathname(e, path);
  archive_entry_copy_stat(e, st);
  // mtime only: atime/ctime would make every commit's layer differ
  archive_entry_unset_atime(e);
  archive_entry_unset_ctime(e);
  archive_entry_unset_birthtime(e);
  if (S_ISLNK(st->st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (n < 0) rc = fail(errno, "readlink %s: %s", path, strerror(errno));
    else target[n] = 0, archive_entry_set_symlink(e, target);
  } else if (S_ISREG(st->st_mode) && st->st_nlink > 1) {
    for (size_t i = 0; i < w->nlinks; i++)
      if (w->links[i].dev == st->st_dev && w->links[i].ino == st->st_ino) {
        archive_entry_set_hardlink(e, w->links[i].path);
        archive_entry_set_size(e, 0);
        rc = put(w, e);
        archive_entry_free(e);
        return rc;
      }
    w->links = xrealloc(w->links, (w->nlinks + 1) * sizeof(*w->links));
    w->links[w->nlinks++] = (struct link){st->st_dev, st->st_ino, xstrdup(path)};
  }
  if (!rc && S_ISREG(st->st_mode) && (fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    rc = fail(errno, "%s: %s", path, strerror(errno));
  if (!rc) rc = put(w, e);
  if (!rc && fd >= 0) {
    char buf[65536];
    ssize_t n = 0;
    off_t left = st->st_size;  // what the header says: a file growing now is cut
    while (left && (n = read(fd, buf, left < (off_t)sizeof(buf) ? left : (off_t)sizeof(buf))) > 0) {
      left -= n;
      if (archive_write_data(w->a, buf, n) != n) {
        rc = fail(EIO, "tar: %s", archive_error_string(w->a));
        break;
      }
    }
    if (n < 0) rc = fail(errno, "%s: %s", path, strerror(errno));
  }
  if (fd >= 0) close(fd);
  archive_entry_free(e);
  return rc;
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix);

// The entry dirfd/name as `path` in the archive, a directory with all below.
static int add(struct walk *w, int dirfd, const char *name, const char *path)
{
  struct stat st;
  int rc = 0;

  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
    rc = fail(errno, "%s: %s", path, strerror(errno));
  } else if (w->whiteouts && S_ISCHR(st.st_mode) && !st.st_rdev) {
    // a deletion: Docker's empty ".wh.NAME" file
    char *wh = xmprintf("%.*s.wh.%s", (int)(strlen(path) - strlen(name)), path, name);
    rc = put_marker(w, wh, st.st_mtime);
    free(wh);
  } else if (S_ISDIR(st.st_mode)) {
    char *dpath = xmprintf("%s/", path), v[4];
    rc = put_file(w, dirfd, name, dpath, &st);
    int sub = rc ? -1 : openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (!rc && sub < 0) rc = fail(errno, "%s: %s", path, strerror(errno));
    if (!rc && w->whiteouts) {
      // an opaque dir hides everything below it: Docker's marker first
      char *proc = xmprintf("/proc/self/fd/%d", sub);
      ssize_t l = getxattr(proc, "trusted.overlay.opaque", v, sizeof(v));
      free(proc);
      if (l == 1 && v[0] == 'y') {
        char *opq = xmprintf("%s.wh..wh..opq", dpath);
        rc = put_marker(w, opq, st.st_mtime);
        free(opq);
      }
    }
    if (!rc) rc = walk_dir(w, sub, dpath);
    free(dpath);
  } else if (!S_ISSOCK(st.st_mode)) {
    // (Docker skips sockets: a tar cannot hold them)
    rc = put_file(w, dirfd, name, path, &st);
  }
  return rc;
}

static int walk_dir(struct walk *w, int dirfd, const char *prefix)
{
  DIR *d = fdopendir(dirfd);
  struct dirent *de;
  char **names = 0;
  size_t n = 0;
  int rc = 0;

  if (!d) return close(dirfd), fail(errno, "%s: %s", prefix, strerror(errno));
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
      names = xrealloc(names, (n + 1) * sizeof(*names));
      names[n++] = xstrdup(de->d_name);
    }
  qsort(names, n, sizeof(*names), cmp_names);
  for (size_t i = 0; i < n && !rc; i++) {
    char *path = xmprintf("%s%s", prefix, names[i]);
    rc = add(w, dirfd, names[i], path);
    free(path);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  closedir(d);
  return rc;
}

// The archive around walk_dir(dirfd) (name NULL) or add(dirfd, name, as).
static int tar_to(int dirfd, const char *name, const char *as, int out_fd, int docker_whiteouts)
{
  struct walk w = {.whiteouts = docker_whiteouts};
  int rc, fd = name ? -1 : dup(dirfd);

  if (!name && fd < 0) return fail(errno, "dup: %s", strerror(errno));
  w.a = archive_write_new();
  if (!w.a || archive_write_set_format_pax_restricted(w.a) ||
      archive_write_set_bytes_in_last_block(w.a, 1) || archive_write_open_fd(w.a, out_fd)) {
    if (fd >= 0) close(fd);
    rc = fail(EIO, "tar: %s", w.a ? archive_error_string(w.a) : "out of memory");
  } else {
    rc = name ? add(&w, dirfd, name, as) : walk_dir(&w, fd, "");
    if (archive_write_close(w.a) && !rc) rc = fail(EIO, "tar: %s", archive_error_string(w.a));
  }
  archive_write_free(w.a);
  for (size_t i = 0; i < w.nlinks; i++) free(w.links[i].path);
  free(w.links);
  return rc;
}

int tar_tree(int dirfd, int out_fd, int docker_whiteouts)
{
  return tar_to(dirfd, 0, 0, out_fd, docker_whiteouts);
}

int tar_path(int dirfd, const char *name, const char *as, int out_fd)
{
  return tar_to(dirfd, name, as, out_fd, 0);
}
