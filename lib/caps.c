// caps.c: capability names and the set a container keeps: Docker's
// default set, --cap-add and --cap-drop applied as moby's
// TweakCapabilities does, everything with --privileged.
#include "ocibox.h"
#include <ctype.h>
#include <linux/capability.h>

// By number (linux/capability.h), without the CAP_ prefix.
static const char cap_names[] =
  "CHOWN\0DAC_OVERRIDE\0DAC_READ_SEARCH\0FOWNER\0FSETID\0KILL\0SETGID\0SETUID\0SETPCAP\0"
  "LINUX_IMMUTABLE\0NET_BIND_SERVICE\0NET_BROADCAST\0NET_ADMIN\0NET_RAW\0IPC_LOCK\0"
  "IPC_OWNER\0SYS_MODULE\0SYS_RAWIO\0SYS_CHROOT\0SYS_PTRACE\0SYS_PACCT\0SYS_ADMIN\0"
  "SYS_BOOT\0SYS_NICE\0SYS_RESOURCE\0SYS_TIME\0SYS_TTY_CONFIG\0MKNOD\0LEASE\0AUDIT_WRITE\0"
  "AUDIT_CONTROL\0SETFCAP\0MAC_OVERRIDE\0MAC_ADMIN\0SYSLOG\0WAKE_ALARM\0BLOCK_SUSPEND\0"
  "AUDIT_READ\0PERFMON\0BPF\0CHECKPOINT_RESTORE\0";

// Docker's default capability set (moby oci/caps/defaults.go).
#define CAP(x) (1ull << CAP_##x)
#define DEFAULT_CAPS                                                                          \
  (CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FSETID) | CAP(FOWNER) | CAP(MKNOD) | CAP(NET_RAW) | \
   CAP(SETGID) | CAP(SETUID) | CAP(SETFCAP) | CAP(SETPCAP) | CAP(NET_BIND_SERVICE) |        \
   CAP(SYS_CHROOT) | CAP(KILL) | CAP(AUDIT_WRITE))

// "net_admin", "CAP_NET_ADMIN" → its bit; "ALL" → every bit; 0 if unknown.
static uint64_t cap_bits(const char *name)
{
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  if (!strcasecmp(name, "ALL")) return ~0ull;
  int n = strtab_index(cap_names, name, strlen(name), 1);
  return n < 0 ? 0 : 1ull << n;
}

int caps_check(const struct strlist *l, const char *what)
{
  if (l && !CFG_CAP_FLAGS) return fail(ENOTSUP, "--cap-add and --cap-drop need a build with CONFIG_CAP_FLAGS");
  for (; l; l = l->next)
    if (!cap_bits(l->s)) {
      // Docker names it as it normalised it: upper case, CAP_ prefixed.
      char *n = xmprintf("%s%s", strncasecmp(l->s, "CAP_", 4) ? "CAP_" : "", l->s);
      for (char *c = n; *c; c++) *c = toupper(*c);
      fail(EINVAL, "invalid %s: unknown capability: \"%s\"", what, n);
      free(n);
      return -1;
    }
  return 0;
}

static uint64_t cap_list(const struct json *a)
{
  uint64_t bits = 0;
  for (const struct json *e = a && a->type == JSON_ARRAY ? a->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) bits |= cap_bits(e->str);
  return bits;
}

uint64_t caps_of(const struct json *host)
{
  const struct json *p = json_get(host, "Privileged");

  if (p && p->type == JSON_TRUE) return ~0ull;
  if (!CFG_CAP_FLAGS) return DEFAULT_CAPS;
  uint64_t add = cap_list(json_get(host, "CapAdd")), drop = cap_list(json_get(host, "CapDrop"));
  if (add == ~0ull) return drop == ~0ull ? add : ~drop;
  if (drop == ~0ull) return add;
  return (DEFAULT_CAPS & ~drop) | add;
}
