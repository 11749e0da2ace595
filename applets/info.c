// info.c: the data root, the config file in use, registry settings and
// what the running kernel offers, laid out like `docker info` so that
// `docker info | grep -A 3 'Registry Mirrors'` works as people type it.
//
//applet:info ">0"
//config:config INFO
//config:	bool "info: show the data root, config and kernel features"
//config:	default y
//config:	help
//config:	  usage: info
//config:
//config:	  Show ocibox's data root and config file, the registry mirrors
//config:	  and insecure registries configured, and what the running
//config:	  kernel offers: overlayfs, cgroups (v1, v2 or hybrid), user
//config:	  namespaces and seccomp.

#define FOR_info
#include "ocibox.h"
#include "generated/flags.h"
#include <sys/sysinfo.h>
#include <sys/utsname.h>

// /etc/os-release's PRETTY_NAME, unquoted.
static char *os_name(void)
{
  char *text;
  if (readfile_at(AT_FDCWD, "/etc/os-release", 1 << 16, &text, 0) < 0) return "unknown";
  for (char *line = strtok(text, "\n"); line; line = strtok(0, "\n")) {
    if (strncmp(line, "PRETTY_NAME=", 12)) continue;
    char *v = line + 12;
    if (*v == '"') {
      v++;
      v[strcspn(v, "\"")] = 0;
    }
    return v;
  }
  return "unknown";
}

// Docker prints memory with units.BytesSize: binary units, 4 digits.
static void print_mem(uint64_t bytes)
{
  const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  uint64_t scaled = bytes * 100;
  while (scaled >= 1024 * 100 && u < 4) scaled /= 1024, u++;
  uint64_t whole = scaled / 100, frac = scaled % 100;
  if (frac) printf("%" PRIu64 ".%02" PRIu64 "%s\n", whole, frac, unit[u]);
  else printf("%" PRIu64 "%s\n", whole, unit[u]);
}

static void print_list(const char *title, struct strlist *l, const char *always)
{
  printf(" %s:\n", title);
  if (always) printf("  %s\n", always);
  for (; l; l = l->next) printf("  %s\n", l->s);
}

void info_main(void)
{
  struct ocibox_config *c = config_load();
  const char *root = data_root();
  struct utsname u;
  struct sysinfo si;
  struct cgroup_layout cg;
  uname(&u);
  sysinfo(&si);
  sysinfo_cgroups(&cg);
  int overlay = sysinfo_overlay(), seccomp = sysinfo_seccomp();
  char host[256] = "";
  gethostname(host, sizeof(host) - 1);

  printf("Client:\n"
         " Version:    %s\n"
         " Context:    default\n"
         " Debug Mode: false\n\n"
         "Server:\n"
         " Server Version: ocibox %s (no daemon)\n"
         " Storage Driver: %s\n",
         OCIBOX_VERSION, OCIBOX_VERSION, overlay ? "overlay2" : "vfs");
  printf("  Overlay Supported: %s\n", overlay ? "true" : "false (copies layers instead)");
  printf(" Cgroup Driver: cgroupfs\n Cgroup Version: %s\n",
         cg.mode == CGROUP_V2 ? "2" : cg.mode == CGROUP_HYBRID ? "1 (hybrid)" : "1");
  if (cg.v1.len) printf("  v1 Controllers: %s\n", buf_str(&cg.v1));
  if (cg.v2_mount)
    printf("  v2 Mount: %s\n  v2 Controllers: %s\n", cg.v2_mount,
           cg.v2.len ? buf_str(&cg.v2) : "(none)");
  const char *br = json_get_str(c->tree, "bridge"), *bip = json_get_str(c->tree, "bip");
  printf(" Plugins:\n  Network: %shost null\n", CFG_BRIDGE ? "bridge " : "");
  if (CFG_BRIDGE)
    printf(" Default Bridge: %s %s (outbound NAT: %s)\n", br ? br : "ocibox0", bip ? bip : "10.66.0.1/16",
           net_nat() ? "iptables MASQUERADE" : "none, the host's firewall decides");
  printf(" Security Options:\n");
  if (seccomp) printf("  seccomp\n   Kernel: %s\n", seccomp == 2 ? "filters" : "strict mode only");
  printf("  userns\n   Kernel: %s\n", sysinfo_userns() ? "available" : "unavailable");
  printf(" Kernel Version: %s\n"
         " Operating System: %s\n"
         " OSType: linux\n"
         " Architecture: %s\n"
         " CPUs: %ld\n"
         " Total Memory: ",
         u.release, os_name(), u.machine, sysconf(_SC_NPROCESSORS_ONLN));
  print_mem((uint64_t)si.totalram * si.mem_unit);
  printf(" Name: %s\n"
         " Docker Root Dir: %s\n"
         " Config File: %s%s\n"
         " Debug Mode: false\n"
         " Experimental: false\n",
         host, root, applet.config_path, c->tree ? "" : " (not present: defaults)");
  print_list("Insecure Registries", c->insecure_registries, "127.0.0.0/8\n  ::1/128");
  if (c->registry_mirrors) print_list("Registry Mirrors", c->registry_mirrors, 0);
  printf(" Live Restore Enabled: false\n");
}
