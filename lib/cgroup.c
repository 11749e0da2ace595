// cgroup.c: a container's cgroup on v1, v2 and hybrid hosts: memory,
// swap, cpu quota and shares, pids limit; the freezer for pause; the OOM
// kill count. v1 controllers (also on hybrid hosts, whose cgroup2 mount
// holds what no one limits with) use <controller>/ocibox/<id>; v2 uses
// /sys/fs/cgroup/ocibox/<id> with the controllers enabled there.
#include "ocibox.h"

static const char *const v1_ctrls[] = {"memory", "pids", "cpu", "freezer"};

// The caller's path in a v1 hierarchy ("" for v2's), from /proc/self/cgroup.
static char *self_path(const char *ctrl)
{
  char *text, *line, *save, *out = 0;

  if (readfile_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &text, 0) < 0) return xstrdup("");
  for (line = strtok_r(text, "\n", &save); line && !out; line = strtok_r(0, "\n", &save)) {
    char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : 0;
    if (!p) continue;
    *p = 0;
    // "4:memory:/x" or "1:cpu,cpuacct:/x"; "0::/x" for v2
    for (char *tok = c + 1, *s2; ctrl && (tok = strtok_r(tok, ",", &s2)); tok = 0)
      if (!strcmp(tok, ctrl)) out = xstrdup(p + 1);
    if (!ctrl && c[1] == 0) out = xstrdup(p + 1);
  }
  free(text);
  return out ? out : xstrdup("");
}

// Docker's cgroupfs layout: <hierarchy>/ocibox/<id>, the same for every
// process that asks (pause, rm and the supervisor must agree). Where the
// root of a v1 hierarchy is not ours to write (inside another container)
// the caller's own cgroup is the parent. With create, NULL if neither
// could be made. ctrl NULL: the v2 hierarchy.
static char *dir_of(const char *ctrl, const char *id, int create)
{
  if (!ctrl) return xmprintf("/sys/fs/cgroup/ocibox/%s", id);  // v2
  char *d = xmprintf("/sys/fs/cgroup/%s/ocibox/%s", ctrl, id), root[64];
  // All there but the leaf, mostly: one mkdir (exec joins an existing one).
  if (create ? !mkdir(d, 0755) || errno == EEXIST : !access(d, F_OK)) return d;
  if (create) {
    // Not mounted: a mkdir would only make a plain directory in the tmpfs.
    snprintf(root, sizeof(root), "/sys/fs/cgroup/%s", ctrl);
    if (access(root, F_OK)) {
      free(d);
      return 0;
    }
    if (!mkdir_p(d, 0755)) return d;
  }
  free(d);
  char *self = self_path(ctrl);
  d = xmprintf("/sys/fs/cgroup/%s%s/ocibox/%s", ctrl, strcmp(self, "/") ? self : "", id);
  free(self);
  if (create && mkdir_p(d, 0755) < 0) {
    free(d);
    return 0;
  }
  return d;
}

static int put(const char *dir, const char *file, const char *fmt, ...) PRINTF(3, 4);
static int put(const char *dir, const char *file, const char *fmt, ...)
{
  char *path = xmprintf("%s/%s", dir, file), val[64];
  va_list ap;
  int fd, rc = 0;

  va_start(ap, fmt);
  int n = vsnprintf(val, sizeof(val), fmt, ap);
  va_end(ap);
  if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, val, n) != n)
    rc = fail(errno, "cgroup %s: %s", path, strerror(errno));
  if (fd >= 0) close(fd);
  free(path);
  return rc;
}

int cgroup_setup(const char *id, const struct cg_limits *l, int pid)
{
  int rc = 0;

  if (access("/sys/fs/cgroup", F_OK)) {
    if (l->memory || l->pids || l->cpu_quota || l->cpu_shares)
      return fail(ENOTSUP, "this kernel has no cgroups: limits cannot be applied");
    return 0;
  }
  if (sysinfo_cgroup_v2()) {
    char *d = dir_of(0, id, 0);
    mkdir("/sys/fs/cgroup/ocibox", 0755);
    put("/sys/fs/cgroup", "cgroup.subtree_control", "+memory +pids +cpu");
    put("/sys/fs/cgroup/ocibox", "cgroup.subtree_control", "+memory +pids +cpu");
    if (mkdir(d, 0755) && errno != EEXIST) rc = fail(errno, "cgroup %s: %s", d, strerror(errno));
    if (!rc && l->memory) rc = put(d, "memory.max", "%lld", (long long)l->memory);
    if (!rc && l->memory_swap > 0)
      rc = put(d, "memory.swap.max", "%lld", (long long)(l->memory_swap - l->memory));
    if (!rc && l->pids > 0) rc = put(d, "pids.max", "%lld", (long long)l->pids);
    if (!rc && l->cpu_quota) rc = put(d, "cpu.max", "%lld 100000", (long long)l->cpu_quota);
    if (!rc && l->cpu_shares) rc = put(d, "cpu.weight", "%lld", (long long)(1 + (l->cpu_shares - 2) * 9999 / 262142));
    if (!rc) rc = put(d, "cgroup.procs", "%d", pid);
    free(d);
    return rc;
  }
  for (size_t i = 0; i < ARRAY_LEN(v1_ctrls) && !rc; i++) {
    char *d = dir_of(v1_ctrls[i], id, 1);
    if (!d) {
      // A controller the host lacks only matters when it was asked for.
      if ((i == 0 && l->memory) || (i == 1 && l->pids > 0) || (i == 2 && (l->cpu_quota || l->cpu_shares)))
        return -1;
      continue;
    }
    if (i == 0 && l->memory) {
      rc = put(d, "memory.limit_in_bytes", "%lld", (long long)l->memory);
      // Docker: no --memory-swap means as much swap again as memory
      int64_t sw = l->memory_swap ? l->memory_swap : 2 * l->memory;
      char *f = xmprintf("%s/memory.memsw.limit_in_bytes", d);
      if (!rc && !access(f, F_OK) && sw > 0) rc = put(d, "memory.memsw.limit_in_bytes", "%lld", (long long)sw);
      free(f);
    }
    if (i == 1 && l->pids > 0) rc = put(d, "pids.max", "%lld", (long long)l->pids);
    if (i == 2 && l->cpu_quota) {
      rc = put(d, "cpu.cfs_period_us", "100000");
      if (!rc) rc = put(d, "cpu.cfs_quota_us", "%lld", (long long)l->cpu_quota);
    }
    if (i == 2 && !rc && l->cpu_shares) rc = put(d, "cpu.shares", "%lld", (long long)l->cpu_shares);
    if (!rc) rc = put(d, "cgroup.procs", "%d", pid);
    free(d);
  }
  return rc;
}

void cgroup_remove(const char *id)
{
  int v2 = sysinfo_cgroup_v2();

  for (size_t i = 0; i < (v2 ? 1 : ARRAY_LEN(v1_ctrls)); i++) {
    char *d = dir_of(v2 ? 0 : v1_ctrls[i], id, 0);
    rmdir(d);
    free(d);
  }
}

int cgroup_freeze(const char *id, int freeze)
{
  int v2 = sysinfo_cgroup_v2(), rc;
  char *d = dir_of(v2 ? 0 : "freezer", id, 0);

  if (v2) rc = put(d, "cgroup.freeze", "%d", !!freeze);
  else rc = put(d, "freezer.state", freeze ? "FROZEN" : "THAWED");
  free(d);
  return rc;
}

// Frozen now? (v1 freezer.state; v2 cgroup.events "frozen 1")
int cgroup_frozen(const char *id)
{
  int v2 = sysinfo_cgroup_v2();
  char text[64], path[128];
  ssize_t n;

  // Where it mostly is, read at once (ps asks for every container).
  snprintf(path, sizeof(path), v2 ? "/sys/fs/cgroup/ocibox/%s/cgroup.events" : "/sys/fs/cgroup/freezer/ocibox/%s/freezer.state", id);
  if ((n = read_small_at(AT_FDCWD, path, text, sizeof(text) - 1)) < 0) {
    char *d = dir_of(v2 ? 0 : "freezer", id, 0);
    snprintf(path, sizeof(path), "%s/%s", d, v2 ? "cgroup.events" : "freezer.state");
    free(d);
    n = read_small_at(AT_FDCWD, path, text, sizeof(text) - 1);
  }
  if (n < 0) return 0;
  text[n] = 0;
  return v2 ? !!strstr(text, "frozen 1") : !strncmp(text, "FROZEN", 6);
}

int cgroup_oom_killed(const char *id)
{
  int v2 = sysinfo_cgroup_v2(), killed = 0;
  char *d = dir_of(v2 ? 0 : "memory", id, 0), *text, *p;
  char *path = xmprintf("%s/%s", d, v2 ? "memory.events" : "memory.oom_control");
  if (readfile_at(AT_FDCWD, path, 4096, &text, 0) == 0) {
    if ((p = strstr(text, "oom_kill "))) killed = atoi(p + 9) > 0;
    free(text);
  }
  free(path);
  free(d);
  return killed;
}

void containers_freeze(int freeze)
{
  struct store st;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    if (strcmp(c.status, "running")) error_msg("Container %s is not running", id);
    else if (c.paused == freeze) error_msg(freeze ? "Container %s is already paused" : "Container %s is not paused", id);
    else if (cgroup_freeze(id, freeze) < 0) error_msg("%s", applet.why);
    else puts(applet.argv[i]);
    container_free(&c);
  }
  store_close(&st);
}
