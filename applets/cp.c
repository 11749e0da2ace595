// cp.c: docker cp: files and directories between a container and the host
// (or a tar stream), with Docker's path rules. The container's side runs
// in a child chrooted into the container's root, so every path and
// symlink there resolves inside it: /proc/PID/root for a running
// container, else its overlay mounted (as nsinit.c does) in a mount
// namespace of our own, gone with us.
//
//applet:cp "<2 >2 a(archive) L(follow-link) q(quiet)"
//config:config CP
//config:	bool "cp: copy files between a container and the host"
//config:	default y
//config:	depends on ARCHIVE && RUN
//config:	help
//config:	  usage: cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
//config:	         cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH
//config:
//config:	  Copy files/folders between a container, running or not, and the
//config:	  local filesystem. "-" is a tar archive on stdin, extracted into a
//config:	  directory, or of the source on stdout. SRC_PATH ending in "/."
//config:	  copies a directory's contents. Files copied in keep their owners
//config:	  (as Docker's do); -a gives them the container's user, if it has one.
//config:
//config:	  -a, --archive       Archive mode (copy all uid/gid information)
//config:	  -L, --follow-link   Always follow symlinks in SRC_PATH
//config:	  -q, --quiet         No "Successfully copied" line on a terminal

#define FOR_cp
#include "ocibox.h"
#include "generated/flags.h"
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

// Absolute and cleaned as Go's filepath.Clean does, keeping a trailing "/"
// or "/." as Docker does (both ask for a directory). A relative p starts at.
static char *clean(const char *at, const char *p)
{
  char *s = *p == '/' ? xstrdup(p) : xmprintf("%s/%s", at, p), *o = s + 1, *in = s;
  size_t n = strlen(s);
  int slash = s[n - 1] == '/', dot;

  while (n > 1 && s[n - 1] == '/') n--;
  dot = n > 1 && s[n - 1] == '.' && s[n - 2] == '/';
  while (*in) {
    size_t k = strcspn(in, "/");
    if (k == 2 && in[0] == '.' && in[1] == '.') {
      while (o > s + 1 && *--o != '/');
    } else if (k && !(k == 1 && *in == '.')) {
      if (o > s + 1) *o++ = '/';
      memmove(o, in, k);
      o += k;
    }
    in += k;
    in += strspn(in, "/");
  }
  if ((dot || slash) && o > s + 1) *o++ = '/';
  if (dot) *o++ = '.';
  *o = 0;
  return s;
}

// The last component ("." for "dir/.", "" for the root), its directory.
static char *split(const char *p, char **dir)
{
  size_t n = strlen(p);
  const char *b;

  if (n > 1 && p[n - 1] == '/') n--;
  b = (char *)memrchr(p, '/', n) + 1;
  if (dir) *dir = xstrndup(p, b - p > 1 ? b - p - 1 : 1);
  return xstrndup(b, p + n - b);
}

static int wants_dir(const char *p)
{
  size_t n = strlen(p);

  return p[n - 1] == '/' || (p[n - 1] == '.' && p[n - 2] == '/');
}

// Symlinks in the last component followed.
static char *follow(char *p)
{
  char t[PATH_MAX], *dir;
  struct stat sb;
  ssize_t n;

  for (int i = 0; i < 40 && !lstat(p, &sb) && S_ISLNK(sb.st_mode); i++) {
    if ((n = readlink(p, t, sizeof(t) - 1)) < 0) break;
    t[n] = 0;
    free(split(p, &dir));
    p = clean(dir, t);
  }
  return p;
}

// Docker's PrepareArchiveCopy: the directory the archive of a source (a
// directory or not) is unpacked in for DEST d (symlinks followed), and
// the name its top entry takes there (*to NULL: its own).
static char *where(int srcdir, char *d, int exists, int isdir, char **to)
{
  char *dir = d;

  *to = 0;
  if (exists && isdir) return d;
  if (exists && srcdir) error_exit("cannot copy directory");
  if (!exists && !srcdir && wants_dir(d)) error_exit("no such directory");
  *to = split(d, &dir);
  return dir;
}

// The source as a directory fd and a name in it ("dir/": the dir itself).
static int open_top(char *p, char **name)
{
  char *dir = p;

  *name = wants_dir(p) ? "." : split(p, &dir);
  return xopen(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// -a: the container's user, by name or uid in its own passwd (Docker reads
// the host's, moby#34142).
static void user_ids(const char *user, int64_t *uid, int64_t *gid)
{
  char line[1024], *f[4];
  FILE *fp = fopen("/etc/passwd", "re");

  while (fp && fgets(line, sizeof(line), fp)) {
    char *p = line;
    for (int i = 0; i < 4; i++) f[i] = strsep(&p, ":");
    if (f[3] && (!strcmp(f[0], user) || !strcmp(f[2], user))) {
      *uid = atoll(f[2]), *gid = atoll(f[3]);
      return;
    }
  }
  error_exit("getent unable to find entry \"%s\" in passwd database", user);
}

// CONTAINER:PATH → CONTAINER, and arg becomes PATH; NULL for a local path
// ("/x", "./a:b", "x").
static char *split_arg(char **arg)
{
  char *c = *arg, *colon = strchr(c, ':');

  if (*c == '/' || *c == '.' || !colon || colon == c) return 0;
  *colon = 0;
  *arg = colon + 1;
  return c;
}

void cp_main(void)
{
  char *src = applet.argv[0], *dst = applet.argv[1], *cwd = getcwd(0, 0), *sc, *dc;
  char *name, *cpath, *hpath, *h = 0, *hdir, *as = 0, *top_name, *root, *to_name, id[65], sz[24];
  struct store st;
  struct container c;
  struct stat sb;
  struct layer_stats ls = {0};
  int to, stream, hexists = 0, hisdir = 0, srcdir = 0, hfd = -1, top = -1, pfd[2] = {0, 1};
  int rc = 0, status;
  pid_t pid;

  if (!*src) error_exit("source can not be empty");
  if (!*dst) error_exit("destination can not be empty");
  sc = split_arg(&src), dc = split_arg(&dst);
  if (sc && dc) error_exit("copying between containers is not supported");
  if (!sc && !dc) error_exit("must specify at least one container source");
  to = !!dc, name = to ? dc : sc, cpath = to ? dst : src, hpath = to ? src : dst;
  stream = !strcmp(hpath, "-");
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  if (container_find(&st, name, id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);

  // The host's side, as Docker's CLI sees it.
  if (!stream) {
    h = clean(cwd ? cwd : "/", hpath);
    if (to) {
      as = split(h, 0);
      if (FLAG(L)) h = follow(h);
      if (lstat(h, &sb)) perror_exit("lstat %s", h);
      srcdir = S_ISDIR(sb.st_mode);
      top = open_top(h, &top_name);
    } else {
      // DEST: symlinks followed; when missing, its directory must be there
      hpath = h, h = follow(h);
      hexists = !lstat(h, &sb), hisdir = hexists && S_ISDIR(sb.st_mode);
      free(split(h, &hdir));
      if (!hexists && (stat(hdir, &sb) || !S_ISDIR(sb.st_mode)))
        error_exit("invalid output path: directory \"%s\" does not exist", hdir);
      hfd = xopen(hisdir ? h : hdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (pipe2(pfd, O_CLOEXEC)) perror_exit("pipe");
  }

  fflush(0);
  signal(SIGPIPE, SIG_IGN);
  if ((pid = fork()) < 0) perror_exit("fork");
  if (!pid) {
    // The container's side, in a mount namespace of its own: errors are
    // reported here, and end the child.
    int running = !strcmp(c.status, "running") && c.pid > 0;
    signal(SIGPIPE, SIG_DFL);
    root = xmprintf("/proc/%d/ns/mnt", c.pid);
    if (running && setns(xopen(root, O_RDONLY), CLONE_NEWNS)) perror_exit("setns %s", root);
    if (unshare(CLONE_NEWNS) || mount(0, "/", 0, MS_REC | MS_PRIVATE, 0)) perror_exit("unshare");
    if (running) {
      // Docker's view: the root and the hosts files, not the runtime's mounts
      umount2("/proc", MNT_DETACH), umount2("/sys", MNT_DETACH), umount2("/dev", MNT_DETACH);
    } else {
      // Stopped: its overlay, as nsinit.c builds it, on its idle rootfs/,
      // lower dirs relative to layers/ to fit in a page.
      struct buf o = {0};
      struct json *l = json_get(c.config, "Layers");
      if (container_init_layer(&st) < 0) error_exit("%s", applet.why);
      buf_adds(&o, "lowerdir=../init");
      for (l = l ? l->child : 0; l; l = l->next)
        if (l->type == JSON_STRING && digest_valid(l->str)) buf_printf(&o, ":%s/diff", l->str + 7);
      buf_printf(&o, ",upperdir=../containers/%s/upper,workdir=../containers/%s/work", id, id);
      root = xmprintf("../containers/%s/rootfs", id);
      // (by name: fds from before unshare() are of the old namespace)
      if (chdir(st.root) || chdir("layers") || mount("overlay", root, "overlay", 0, o.s) || chroot(root))
        perror_exit("mount %s", root);
    }
    // Nothing of the host's stays open but the archive's pipe end.
    close(st.fd), close(hfd), close(top);
    if (!stream) close(pfd[to]);
    if (chdir("/")) perror_exit("chdir");
    char *p = clean("/", cpath);
    if (to) {
      struct json *hc = json_get(c.config, "HostConfig"), *ro = json_get(hc, "ReadonlyRootfs");
      const char *user = json_get_str(json_get(c.config, "Config"), "User");
      struct unpack_opts o = {0, 0, 1, -1, -1};
      int exists, fd;

      p = follow(p);
      exists = !lstat(p, &sb);
      if (stream && !(exists && S_ISDIR(sb.st_mode)))
        error_exit("destination \"%s:%s\" must be a directory", name, cpath);
      root = stream ? p : where(srcdir, p, exists, exists && S_ISDIR(sb.st_mode), &to_name);
      if (ro && ro->type == JSON_TRUE) error_exit("container rootfs is marked read-only");
      if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT) error_exit("Could not find the file %s in container %s", root, name);
        error_exit("extraction point is not a directory");
      }
      if (as) o.from = strcmp(as, ".") ? as : "", o.to = to_name;
      if (FLAG(a) && user && *user) user_ids(user, &o.uid, &o.gid);
      if (tar_unpack(reader_fd(pfd), fd, &ls, &o)) error_exit("%s", applet.why);
      if (!FLAG(q) && isatty(1))
        fprintf(stderr, "Successfully copied %s to %s:%s\n", fmt_size(sz, ls.tar), name, p);
    } else {
      as = split(p, 0);
      if (FLAG(L)) p = follow(p);
      if (lstat(p, &sb)) {
        if (errno == ENOENT) error_exit("Could not find the file %s in container %s", cpath, name);
        perror_exit("lstat %s", p);
      }
      if (h) where(S_ISDIR(sb.st_mode), h, hexists, hisdir, &to_name);
      if (h && to_name) as = to_name;
      top = open_top(p, &top_name);
      if (tar_path(top, top_name, as, pfd[1])) error_exit("%s", applet.why);
    }
    xexit();
  }

  // The host's side: the archive out of the container unpacked, as ours,
  // or the source's archive written in.
  if (!stream) {
    struct unpack_opts o = {.uid = getuid(), .gid = getgid()};
    close(pfd[!to]);
    rc = to ? tar_path(top, top_name, as, pfd[1]) : tar_unpack(reader_fd(pfd), hfd, &ls, &o);
    close(pfd[to]);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR);
  // The child said why it failed; our own failure may only follow from it.
  if (WIFEXITED(status) && WEXITSTATUS(status)) applet.exitval = 1, xexit();
  if (rc) error_exit("%s", applet.why);
  if (status) applet.exitval = 1, xexit();
  if (!to && !stream && !FLAG(q) && isatty(1))
    fprintf(stderr, "Successfully copied %s to %s\n", fmt_size(sz, ls.tar), hpath);
}
