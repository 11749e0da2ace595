// nsinit.c: the container's first moments, inside its new namespaces:
// overlay root, /proc, /sys, a minimal /dev, the hosts files, pivot_root,
// Docker's masked and read-only paths, hostname, loopback, user, working
// dir, capabilities and no_new_privs, then execve. Errors go back to the
// parent through err_fd as "CODE message" (126/127 as Docker, else 125).
#include "ocibox.h"
#include <grp.h>
#include <sched.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/capability.h>

NORETURN void process_init(const struct run_spec *rs);

static NORETURN void die(const struct run_spec *rs, int code, const char *fmt, ...)
{
  struct buf b = {0};
  va_list ap;

  buf_printf(&b, "%d ", code);
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  writeall(rs->err_fd, b.s, b.len);
  _exit(code);
}

#define XMOUNT(rs, src, dst, type, flags, data)                                   \
  do {                                                                            \
    if (mount(src, dst, type, flags, data))                                       \
      die(rs, 125, "mount %s on %s: %s", type ? type : src, dst, strerror(errno)); \
  } while (0)

// The overlay: lower dirs are given relative to layers/ (mount(2) reads
// them from our cwd), which keeps long layer chains within one page.
static void mount_overlay(const struct run_spec *rs, const char *target)
{
  struct buf o = {0};

  if (chdir(rs->layers_dir)) die(rs, 125, "%s: %s", rs->layers_dir, strerror(errno));
  // The init layer (mount points and hosts files, like Docker's "-init"
  // layer; the store's one, container_init_layer) sits above the image,
  // so diff and commit never see them.
  buf_printf(&o, "lowerdir=../init");
  for (size_t i = 0; i < rs->nlowers; i++) buf_printf(&o, ":%s/diff", rs->lowers[i]);
  buf_printf(&o, ",upperdir=%s/upper,workdir=%s/work", rs->dir, rs->dir);
  if (o.len >= 4096) die(rs, 125, "too many layers for one overlay mount (%zu)", rs->nlowers);
  // A --rm container's writes go with it: "volatile" (Linux 5.10) spares
  // its end a sync of the whole upper filesystem, as podman does for --rm.
  size_t len = o.len;
  if (rs->scratch) buf_adds(&o, ",volatile");
  int rc = mount("overlay", target, "overlay", 0, o.s);
  if (rc && rs->scratch && errno == EINVAL) {  // a kernel without it
    o.s[o.len = len] = 0;
    rc = mount("overlay", target, "overlay", 0, o.s);
  }
  if (rc) die(rs, 125, "mount overlay on %s: %s", target, strerror(errno));
  buf_free(&o);
}

// Make sure a mount point exists in the new root: a dir, or a file.
static void ensure(const struct run_spec *rs, const char *path, int dir)
{
  struct stat st;

  if (!lstat(path, &st)) return;
  if (dir) {
    if (mkdir_p(path, 0755) < 0) die(rs, 125, "mkdir %s: %s", path, applet.why);
  } else {
    char *slash = strrchr(path, '/');
    *slash = 0;
    mkdir_p(path, 0755);
    *slash = '/';
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) die(rs, 125, "create %s: %s", path, strerror(errno));
    close(fd);
  }
}

static void make_dev(const struct run_spec *rs)
{
  static const struct { const char *name; int major, minor; } nodes[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
    {"urandom", 1, 9}, {"tty", 5, 0},
  };
  static const char *const links[][2] = {
    {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
    {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}, {"/proc/kcore", "core"},
  };

  ensure(rs, "dev", 1);
  XMOUNT(rs, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
    char p[32];
    snprintf(p, sizeof(p), "dev/%s", nodes[i].name);
    if (mknod(p, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) || chmod(p, 0666))
      die(rs, 125, "mknod %s: %s", p, strerror(errno));
  }
  for (size_t i = 0; i < ARRAY_LEN(links); i++) {
    char p[32];
    snprintf(p, sizeof(p), "dev/%s", links[i][1]);
    if (symlink(links[i][0], p)) die(rs, 125, "symlink %s: %s", p, strerror(errno));
  }
  mkdir("dev/pts", 0755);
  XMOUNT(rs, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
         "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir("dev/shm", 01777);
  XMOUNT(rs, "shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  mkdir("dev/mqueue", 0755);
  if (mount("mqueue", "dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0) && errno != ENODEV)
    die(rs, 125, "mount mqueue: %s", strerror(errno));
}

// Docker's defaults (moby oci/defaults.go): hide these, make those read-only.
static void mask_paths(const struct run_spec *rs)
{
  static const char *const masked[] = {
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap",
  };
  static const char *const readonly[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  };
  struct stat st;

  for (size_t i = 0; i < ARRAY_LEN(masked); i++) {
    if (stat(masked[i], &st)) continue;
    if (S_ISDIR(st.st_mode)) XMOUNT(rs, "tmpfs", masked[i], "tmpfs", MS_RDONLY, 0);
    else XMOUNT(rs, "/dev/null", masked[i], 0, MS_BIND, 0);
  }
  for (size_t i = 0; i < ARRAY_LEN(readonly); i++) {
    if (stat(readonly[i], &st)) continue;
    XMOUNT(rs, readonly[i], readonly[i], 0, MS_BIND | MS_REC, 0);
    XMOUNT(rs, 0, readonly[i], 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, 0);
  }
}

static void loopback_up(const struct run_spec *rs)
{
  struct ifreq ifr = {0};
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  strcpy(ifr.ifr_name, "lo");
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr)) die(rs, 125, "loopback: %s", strerror(errno));
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr)) die(rs, 125, "loopback up: %s", strerror(errno));
  close(fd);
}

// The next line of text at *cur, NUL-terminated in place; NULL at the end.
static char *next_line(char **cur)
{
  char *l = *cur, *nl;
  if (!l || !*l) return 0;
  nl = strchrnul(l, '\n');
  *cur = *nl ? nl + 1 : nl;
  *nl = 0;
  return l;
}

// Split "a:b:c" into at most n fields (the rest NULL); how many.
static int fields(char *line, char **f, int n)
{
  int k = 0;
  memset(f, 0, n * sizeof(*f));
  for (char *p = line; p && k < n; k++) {
    f[k] = p;
    if ((p = strchr(p, ':'))) *p++ = 0;
  }
  return k;
}

// One "name:x:id:..." line's fields (into *text, free it); NULL when the
// name (or with by_id the id) is not there.
static char **find_entry(const char *file, const char *key, int by_id, char **text)
{
  static char *f[8];
  char *cur, *line;

  if (readfile_at(AT_FDCWD, file, 1 << 20, text, 0) < 0) return *text = 0, (char **)0;
  for (cur = *text; (line = next_line(&cur));)
    if (fields(line, f, 8) >= 4 && !strcmp(f[by_id ? 2 : 0], key)) return f;
  return 0;
}

// -u / User: "name", "uid", "name:group", "uid:gid", resolved in the image.
static void switch_user(const struct run_spec *rs, uid_t *uid_out)
{
  char user[256], uname[256] = "", *group, **f, *end, *text = 0, *gtext = 0, *cur, *line;
  uid_t uid = 0;
  gid_t gid = 0, groups[64];
  int ngroups = 0, numeric;

  snprintf(user, sizeof(user), "%s", rs->user && *rs->user ? rs->user : "0");
  if ((group = strchr(user, ':'))) *group++ = 0;
  uid = strtoul(user, &end, 10);
  numeric = *user && !*end;
  if ((f = find_entry("/etc/passwd", user, numeric, &text))) {
    uid = strtoul(f[2], 0, 10);
    gid = strtoul(f[3], 0, 10);
    snprintf(uname, sizeof(uname), "%s", f[0]);
  } else if (!numeric)
    die(rs, 125, "unable to find user %s: no matching entries in passwd file", user);
  free(text);
  // Supplementary groups: those listing the user by name.
  if (*uname && readfile_at(AT_FDCWD, "/etc/group", 1 << 20, &gtext, 0) == 0) {
    for (cur = gtext; (line = next_line(&cur)) && ngroups < 64;) {
      char *g[4];
      if (fields(line, g, 4) < 4) continue;
      for (char *m = strtok(g[3], ","); m; m = strtok(0, ","))
        if (!strcmp(m, uname)) groups[ngroups++] = strtoul(g[2], 0, 10);
    }
    free(gtext);
  }
  if (group) {
    gid = strtoul(group, &end, 10);
    if (!*group || *end) {
      if (!(f = find_entry("/etc/group", group, 0, &text)))
        die(rs, 125, "unable to find group %s: no matching entries in group file", group);
      gid = strtoul(f[2], 0, 10);
      free(text);
    }
  }
  if (setgroups(ngroups, groups) || setgid(gid) || setuid(uid))
    die(rs, 125, "switching to user %s: %s", rs->user ? rs->user : "root", strerror(errno));
  *uid_out = uid;
}

static void bound_caps(const struct run_spec *rs)
{
  uint64_t keep = rs->caps;

  // (numbered without gaps: the first the kernel does not know ends it)
  for (int c = 0; c < 64; c++)
    if (!(keep & (1ull << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0)) {
      if (errno == EINVAL) break;
      die(rs, 125, "dropping capability %d: %s", c, strerror(errno));
    }
}

static void set_caps(const struct run_spec *rs, uid_t uid)
{
  uint64_t keep = rs->caps;
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2] = {{0}};

  if (uid || keep == ~0ull) return;  // privileged: root keeps all it has
  // Of what we have (ALL names bits this kernel lacks); none inheritable,
  // as in Docker since 20.10.14.
  syscall(SYS_capget, &h, d);
  for (int i = 0; i < 2; i++, keep >>= 32)
    d[i].effective = d[i].permitted &= (uint32_t)keep, d[i].inheritable = 0;
  if (syscall(SYS_capset, &h, d)) die(rs, 125, "capset: %s", strerror(errno));
}

static const char *env_get(char **env, const char *name)
{
  size_t n = strlen(name);

  for (; env && *env; env++)
    if (!strncmp(*env, name, n) && (*env)[n] == '=') return *env + n + 1;
  return 0;
}

// execvp with the container's PATH; Docker's 126/127 on failure.
static NORETURN void exec_command(const struct run_spec *rs)
{
  const char *cmd = rs->argv[0], *path = env_get(rs->env, "PATH");
  int err = ENOENT;

  if (!cmd || !*cmd) die(rs, 125, "no command specified");
  if (CFG_DOCKER_INIT && rs->init) {
    // --init: pid 1 is docker-init, which is ourselves (static, from the
    // host: nothing in the image needed), running the command.
    size_t n = 0;
    while (rs->argv[n]) n++;
    char **v = xzalloc((n + 3) * sizeof(*v));
    v[0] = "/sbin/docker-init", v[1] = "--";
    memcpy(v + 2, rs->argv, n * sizeof(*v));
    execve("/proc/self/exe", v, rs->env);
    die(rs, 126, "exec docker-init: %s", strerror(errno));
  }
  if (strchr(cmd, '/')) {
    execve(cmd, rs->argv, rs->env);
    err = errno;
  } else {
    if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const char *p = path; *p || p == path;) {
      size_t n = strcspn(p, ":");
      char *full = xmprintf("%.*s/%s", (int)n, n ? p : ".", cmd);
      execve(full, rs->argv, rs->env);
      if (errno != ENOENT && errno != ENOTDIR) err = errno;
      free(full);
      p += n;
      if (!*p) break;
      p++;
    }
    if (err == ENOENT)
      die(rs, 127, "exec: \"%s\": executable file not found in $PATH", cmd);
  }
  if (err == ENOENT) die(rs, 127, "exec: \"%s\": stat %s: no such file or directory", cmd, cmd);
  die(rs, err == EACCES ? 126 : 127, "exec: \"%s\": %s", cmd, strerror(err));
}

NORETURN void container_init(const struct run_spec *rs)
{
  char rootfs[PATH_MAX], sync;

  // Wait until the parent has done its part (ids, cgroups, network).
  if (read(rs->sync_fd, &sync, 1) != 1) _exit(125);
  close(rs->sync_fd);
  // Now in its own cgroups: a cgroup namespace rooted there, so that
  // /proc/self/cgroup says "/" (kernels without them just skip it).
  unshare(CLONE_NEWCGROUP);
  if (mount(0, "/", 0, MS_REC | MS_PRIVATE, 0)) die(rs, 125, "make / private: %s", strerror(errno));
  snprintf(rootfs, sizeof(rootfs), "%s/rootfs", rs->dir);
  mount_overlay(rs, rootfs);
  if (chdir(rootfs)) die(rs, 125, "%s: %s", rootfs, strerror(errno));
  ensure(rs, "proc", 1);
  XMOUNT(rs, "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0);
  ensure(rs, "sys", 1);
  if (mount("sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, 0)) {
    // Without a network namespace of our own sysfs may refuse: bind it.
    XMOUNT(rs, "/sys", "sys", 0, MS_BIND | MS_REC, 0);
    XMOUNT(rs, 0, "sys", 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, 0);
  }
  make_dev(rs);
  if (rs->console_sock >= 0) {
    int tty = pty_child(rs->console_sock, rs->rows, rs->cols);
    if (tty < 0) die(rs, 125, "%s", applet.why);
    if (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0)) die(rs, 125, "controlling tty: %s", strerror(errno));
    for (int i = 0; i < 3; i++) dup2(tty, i);
    if (tty > 2) close(tty);
  }
  static const char *const files[] = {"hosts", "hostname", "resolv.conf"};
  for (size_t i = 0; i < ARRAY_LEN(files); i++) {
    char src[PATH_MAX], dst[64];
    snprintf(src, sizeof(src), "%s/%s", rs->dir, files[i]);
    snprintf(dst, sizeof(dst), "etc/%s", files[i]);
    struct stat st;
    if (!lstat(dst, &st) && S_ISLNK(st.st_mode)) unlink(dst);  // never follow out
    ensure(rs, dst, 0);
    XMOUNT(rs, src, dst, 0, MS_BIND, 0);
  }
  // Volumes: a detached copy of each host side taken now (open_tree),
  // attached once the container's root is / so that no symlink in it can
  // lead a target out. Kernels before 5.2 lack it: bind now, refusing a
  // target path through a symlink.
  int vfd[64];
  size_t nvols = CFG_VOLUMES ? rs->nvols : 0;
  if (nvols > ARRAY_LEN(vfd)) die(rs, 125, "too many volumes");
  for (size_t i = 0; i < nvols; i++) {
    const struct volume *v = rs->vols + i;
    vfd[i] = syscall(SYS_open_tree, AT_FDCWD, v->src, 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC | 0x8000 /* AT_RECURSIVE */);
    if (vfd[i] >= 0) continue;
    if (errno != ENOSYS) die(rs, 125, "volume %s: %s", v->src, strerror(errno));
    char dst[PATH_MAX];
    struct stat st;
    snprintf(dst, sizeof(dst), ".%s", v->dst);
    for (char *p = dst + 2;; p++)
      if (!*p || *p == '/') {
        char c = *p;
        *p = 0;
        if (!lstat(dst, &st) && S_ISLNK(st.st_mode)) die(rs, 125, "volume target %s: a symlink", v->dst);
        if (!(*p = c)) break;
      }
    if (stat(v->src, &st)) die(rs, 125, "volume %s: %s", v->src, strerror(errno));
    ensure(rs, dst, S_ISDIR(st.st_mode));
    XMOUNT(rs, v->src, dst, 0, MS_BIND | MS_REC, 0);
    if (v->ro) XMOUNT(rs, 0, dst, 0, MS_BIND | MS_REMOUNT | MS_RDONLY, 0);
  }
  if (syscall(SYS_pivot_root, ".", ".")) die(rs, 125, "pivot_root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) || chdir("/")) die(rs, 125, "detach the old root: %s", strerror(errno));
  for (size_t i = 0; i < nvols; i++) {
    struct stat st;
    char *dst = rs->vols[i].dst;
    if (vfd[i] < 0) continue;
    if (fstat(vfd[i], &st)) die(rs, 125, "volume %s: %s", rs->vols[i].src, strerror(errno));
    ensure(rs, dst, S_ISDIR(st.st_mode));
    if (syscall(SYS_move_mount, vfd[i], "", AT_FDCWD, dst, 4 /* MOVE_MOUNT_F_EMPTY_PATH */))
      die(rs, 125, "mount %s on %s: %s", rs->vols[i].src, dst, strerror(errno));
    if (rs->vols[i].ro) XMOUNT(rs, 0, dst, 0, MS_BIND | MS_REMOUNT | MS_RDONLY, 0);
    close(vfd[i]);
  }
  if (rs->read_only) XMOUNT(rs, 0, "/", 0, MS_BIND | MS_REMOUNT | MS_RDONLY, 0);
  mask_paths(rs);
  if (sethostname(rs->hostname, strlen(rs->hostname))) die(rs, 125, "sethostname: %s", strerror(errno));
  if (!rs->net_host) loopback_up(rs);
  if (CFG_BRIDGE && rs->net && net_configure(rs->net) < 0) die(rs, 125, "%s", applet.why);

  process_init(rs);
}

// The process itself, for run and exec alike: working dir, privileges, exec.
NORETURN void process_init(const struct run_spec *rs)
{
  uid_t uid = 0;

  // Docker creates a missing WorkingDir, as root, before switching user.
  const char *cwd = rs->cwd && *rs->cwd ? rs->cwd : "/";
  struct stat st;
  if (stat(cwd, &st) && mkdir_p(cwd, 0755))
    die(rs, 125, "mkdir %s: %s", cwd, applet.why);
  if (CFG_ULIMITS && ulimits_apply(rs->ulimits) < 0) die(rs, 125, "%s", applet.why);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die(rs, 125, "no_new_privs: %s", strerror(errno));
  bound_caps(rs);
  switch_user(rs, &uid);
  set_caps(rs, uid);
  if (chdir(cwd)) die(rs, 125, "chdir to cwd (\"%s\"): %s", cwd, strerror(errno));
  // Last: the filter then covers everything the command does.
  if (CFG_SECCOMP && !rs->privileged && seccomp_apply() < 0) die(rs, 125, "%s", applet.why);
  exec_command(rs);
}
