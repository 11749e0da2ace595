// sysinfo.c: what the running kernel offers, detected at run time for
// `info` and for choosing mechanisms: overlayfs, the cgroup layout (v1, v2,
// or hybrid: v1 controllers plus a cgroup2 mount), user namespaces, seccomp.
#include "ocibox.h"
#include <sys/statfs.h>
#include <sys/utsname.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

// Is a line exactly "word" (after a tab) in /proc/filesystems?
static int have_fs(const char *name)
{
  char *text;
  if (readfile_at(AT_FDCWD, "/proc/filesystems", 1 << 16, &text, 0) < 0) return 0;
  int found = 0;
  for (char *line = strtok(text, "\n"); line && !found; line = strtok(0, "\n")) {
    char *t = strrchr(line, '\t');
    found = !strcmp(t ? t + 1 : line, name);
  }
  free(text);
  return found;
}

static int is_cgroup2(const char *path)
{
  struct statfs st;
  return !statfs(path, &st) && st.f_type == CGROUP2_SUPER_MAGIC;
}

// The v2 controllers available at a cgroup2 mount, space separated.
static void v2_controllers(const char *mnt, struct buf *out)
{
  char *path = xmprintf("%s/cgroup.controllers", mnt), *text;
  if (!readfile_at(AT_FDCWD, path, 4096, &text, 0)) {
    text[strcspn(text, "\n")] = 0;
    buf_adds(out, text);
    free(text);
  }
  free(path);
}

// Enabled v1 controllers with a hierarchy, from /proc/cgroups.
static void v1_controllers(struct buf *out)
{
  char *text;
  if (readfile_at(AT_FDCWD, "/proc/cgroups", 1 << 16, &text, 0) < 0) return;
  char *lsave;
  for (char *line = strtok_r(text, "\n", &lsave); line; line = strtok_r(0, "\n", &lsave)) {
    // "name hierarchy num_cgroups enabled", tab separated (no sscanf:
    // it would pull musl's whole scanf and float parser into the binary)
    char *f[4], *save;
    int n = 0;
    if (*line == '#') continue;
    for (char *t = strtok_r(line, " \t", &save); t && n < 4; t = strtok_r(0, " \t", &save))
      f[n++] = t;
    if (n == 4 && strcmp(f[1], "0") && !strcmp(f[3], "1"))
      buf_printf(out, "%s%s", out->len ? " " : "", f[0]);
  }
  free(text);
}

int sysinfo_cgroup_v2(void)
{
  static int v2 = -1;  // once a process: ps asks for every container
  if (v2 < 0) v2 = is_cgroup2("/sys/fs/cgroup");
  return v2;
}

void sysinfo_cgroups(struct cgroup_layout *cg)
{
  memset(cg, 0, sizeof(*cg));
  if (is_cgroup2("/sys/fs/cgroup")) {
    cg->mode = CGROUP_V2;
    cg->v2_mount = "/sys/fs/cgroup";
  } else {
    cg->mode = CGROUP_V1;
    if (is_cgroup2("/sys/fs/cgroup/unified")) {
      cg->mode = CGROUP_HYBRID;
      cg->v2_mount = "/sys/fs/cgroup/unified";
    }
    v1_controllers(&cg->v1);
  }
  if (cg->v2_mount) v2_controllers(cg->v2_mount, &cg->v2);
}

int sysinfo_overlay(void)
{
  return have_fs("overlay");
}

int sysinfo_userns(void)
{
  char *text;
  if (access("/proc/self/ns/user", F_OK)) return 0;
  if (readfile_at(AT_FDCWD, "/proc/sys/user/max_user_namespaces", 64, &text, 0) < 0) return 1;
  int n = atoi(text);
  free(text);
  return n > 0;
}

// 0: none; 1: strict mode only; 2: BPF filters.
int sysinfo_seccomp(void)
{
  if (!access("/proc/sys/kernel/seccomp/actions_avail", F_OK)) return 2;
  char *text;
  if (readfile_at(AT_FDCWD, "/proc/self/status", 1 << 16, &text, 0) < 0) return 0;
  int has = !!strstr(text, "\nSeccomp:");
  free(text);
  return has;
}
