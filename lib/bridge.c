// bridge.c: the bridge network. A Linux bridge (daemon.json "bridge",
// default ocibox0) holding the gateway address ("bip", default
// 10.66.0.1/16, clear of Docker's 172.17/16 and podman's 10.88/16); an
// address per container leased in <root>/network/leases under a lock, so
// concurrent starts never share one; a veth pair whose inner end is the
// container's eth0, with Docker's MAC (02:42 and the address). The inner
// end is configured by the container's init (net_configure).
#include "ocibox.h"
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <net/route.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

// The bridge's name, gateway and prefix from daemon.json.
static int bridge_config(char name[IFNAMSIZ], struct in_addr *gw, int *prefix)
{
  struct ocibox_config *c = config_load();
  const char *n = json_get_str(c->tree, "bridge"), *bip = json_get_str(c->tree, "bip");
  char addr[32];

  snprintf(name, IFNAMSIZ, "%s", n && *n ? n : "ocibox0");
  snprintf(addr, sizeof(addr), "%s", bip ? bip : "10.66.0.1/16");
  char *slash = strchr(addr, '/');
  *prefix = slash ? atoi(slash + 1) : 16;
  if (slash) *slash = 0;
  if (inet_pton(AF_INET, addr, gw) != 1 || *prefix < 8 || *prefix > 30)
    return fail(EINVAL, "config: \"bip\": invalid address %s", bip);
  return 0;
}

static uint32_t mask_of(int prefix)
{
  return prefix ? ~0u << (32 - prefix) : 0;
}

// Leases: one "ADDRESS ID PID" line each, PID the supervisor holding it.
// Those whose supervisor is gone (killed, or before a reboot) are dropped
// as we go; id's own old one too; with want, a new one is taken.
static int leases_update(struct store *st, const char *id, int want, struct in_addr gw, int prefix,
                         struct in_addr *out)
{
  char *text = 0;
  struct buf keep = {0};
  uint32_t mask = mask_of(prefix), base = ntohl(gw.s_addr) & mask, pick = 0;
  unsigned char *used = xzalloc(1024);  // the first 8192 addresses are enough
  int rc = 0;

  mkdirat(st->fd, "network", 0700);
  int lock = openat(st->fd, "network/leases.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX)) return fail(errno, "network/leases.lock: %s", strerror(errno));
  readfile_at(st->fd, "network/leases", 1 << 20, &text, 0);
  for (char *line = text, *nl; line && *line; line = nl) {
    struct in_addr a;
    nl = strchrnul(line, '\n');
    if (*nl) *nl++ = 0;
    // "ADDRESS ID PID" split by hand: sscanf would pull in musl's scanf.
    char *cid = strchr(line, ' '), *pidstr = cid ? strchr(cid + 1, ' ') : 0;
    if (!pidstr) continue;
    *cid++ = 0, *pidstr = 0;
    int pid = atoi(pidstr + 1), bad = !strcmp(cid, id) || inet_pton(AF_INET, line, &a) != 1 ||
                                      pid <= 0 || (kill(pid, 0) && errno == ESRCH);
    cid[-1] = ' ', *pidstr = ' ';  // the line is kept as it was
    if (bad) continue;
    uint32_t n = ntohl(a.s_addr) - base;
    if (n < 8192) used[n / 8] |= 1 << (n % 8);
    buf_printf(&keep, "%s\n", line);
  }
  if (want) {
    uint32_t size = ~mask + 1, gwn = ntohl(gw.s_addr) - base;
    for (uint32_t n = 1; n < size - 1 && n < 8192 && !pick; n++)
      if (n != gwn && !(used[n / 8] & (1 << (n % 8)))) pick = n;
    if (!pick) rc = fail(ENOSPC, "no free address left in the bridge network");
    else {
      out->s_addr = htonl(base + pick);
      char a[16];
      inet_ntop(AF_INET, out, a, sizeof(a));
      buf_printf(&keep, "%s %s %d\n", a, id, (int)getpid());
    }
  }
  if (!rc) rc = replace_file_at(st->fd, "network/leases", keep.s ? keep.s : "", keep.len, 0600);
  close(lock);
  free(text);
  free(used);
  buf_free(&keep);
  return rc;
}

int net_lease(struct store *st, const char *id, const struct json *config, struct net_addr *na)
{
  char name[IFNAMSIZ], ip[16], path[96];
  const char *hostname = json_get_str(json_get(config, "Config"), "Hostname");
  struct json *eh = json_get(json_get(config, "HostConfig"), "ExtraHosts");
  struct buf extra = {0};
  if (bridge_config(name, &na->gw, &na->prefix) < 0 || leases_update(st, id, 1, na->gw, na->prefix, &na->ip) < 0)
    return -1;
  // /etc/hosts names the container on its address, as Docker's does.
  inet_ntop(AF_INET, &na->ip, ip, sizeof(ip));
  for (struct json *e = eh && eh->type == JSON_ARRAY ? eh->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) buf_printf(&extra, "%s\n", e->str);
  char *hosts = hosts_text(hostname ? hostname : "", ip, extra.s);
  buf_free(&extra);
  snprintf(path, sizeof(path), "containers/%s/hosts", id);
  int rc = replace_file_at(st->fd, path, hosts, strlen(hosts), 0644);  // (made at every start)
  free(hosts);
  return rc;
}

void net_release(struct store *st, const char *id)
{
  char name[IFNAMSIZ];
  struct net_addr na;
  if (!bridge_config(name, &na.gw, &na.prefix)) leases_update(st, id, 0, na.gw, na.prefix, 0);
}

static int ifreq_addr(int fd, unsigned long req, const char *dev, uint32_t addr)
{
  struct ifreq ifr = {0};
  struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = addr;
  return ioctl(fd, req, &ifr);
}

static int if_up(int fd, const char *dev)
{
  struct ifreq ifr = {0};
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr)) return -1;
  ifr.ifr_flags |= IFF_UP;
  return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

// An eth0 with its address and the gateway as the default route; in the
// container's network namespace (its init calls this).
int net_configure(const struct net_addr *na)
{
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct rtentry rt = {0};

  if (fd < 0 || ifreq_addr(fd, SIOCSIFADDR, "eth0", na->ip.s_addr) ||
      ifreq_addr(fd, SIOCSIFNETMASK, "eth0", htonl(mask_of(na->prefix))) || if_up(fd, "eth0"))
    return fail(errno, "eth0: %s", strerror(errno));
  ((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
  ((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
  struct sockaddr_in *g = (struct sockaddr_in *)&rt.rt_gateway;
  g->sin_family = AF_INET;
  g->sin_addr = na->gw;
  rt.rt_flags = RTF_UP | RTF_GATEWAY;
  if (ioctl(fd, SIOCADDRT, &rt)) return fail(errno, "default route: %s", strerror(errno));
  close(fd);
  return 0;
}

// Netlink attributes, appended to a request.
struct nlreq {
  struct nlmsghdr n;
  struct ifinfomsg i;
  char buf[512];
};

static struct rtattr *attr(struct nlreq *r, int type, const void *data, size_t len)
{
  struct rtattr *a = (struct rtattr *)((char *)&r->n + NLMSG_ALIGN(r->n.nlmsg_len));
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  r->n.nlmsg_len = NLMSG_ALIGN(r->n.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static void nest_end(struct nlreq *r, struct rtattr *a)
{
  a->rta_len = (char *)&r->n + r->n.nlmsg_len - (char *)a;
}

// The veth pair: host end "veth" + 7 hex of the id on the bridge, the
// other end "eth0" straight into the namespace of pid.
static int veth_create(const char *host, int master, int pid, const unsigned char mac[6])
{
  struct nlreq r = {.n = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK,
                          .nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK}};
  struct ifinfomsg peer = {0};
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), rc = -1;

  attr(&r, IFLA_IFNAME, host, strlen(host) + 1);
  attr(&r, IFLA_MASTER, &master, sizeof(master));
  struct rtattr *info = attr(&r, IFLA_LINKINFO, 0, 0);
  attr(&r, IFLA_INFO_KIND, "veth", 4);
  struct rtattr *data = attr(&r, IFLA_INFO_DATA, 0, 0);
  struct rtattr *p = attr(&r, VETH_INFO_PEER, &peer, sizeof(peer));
  attr(&r, IFLA_IFNAME, "eth0", 5);
  attr(&r, IFLA_NET_NS_PID, &pid, sizeof(pid));
  attr(&r, IFLA_ADDRESS, mac, 6);
  nest_end(&r, p);
  nest_end(&r, data);
  nest_end(&r, info);
  if (fd >= 0 && send(fd, &r, r.n.nlmsg_len, 0) == (ssize_t)r.n.nlmsg_len) {
    struct {
      struct nlmsghdr n;
      struct nlmsgerr e;
    } ack;
    if (recv(fd, &ack, sizeof(ack), 0) >= (ssize_t)sizeof(ack) && ack.n.nlmsg_type == NLMSG_ERROR)
      errno = -ack.e.error, rc = ack.e.error ? -1 : 0;
  }
  if (fd >= 0) close(fd);
  return rc;
}

// iptables ARGS...: 0 when it ran and said yes.
static int iptables(char **argv)
{
  int status = -1;
  pid_t pid = fork();
  if (!pid) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1), dup2(null, 2);
    execvp("iptables", argv);
    _exit(127);
  }
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// iptables -t nat OP POSTROUTING -s SUBNET ! -o BR -j MASQUERADE
static int masquerade(const char *op, const char *br, struct in_addr gw, int prefix)
{
  char net[24], a[16];
  struct in_addr n = {htonl(ntohl(gw.s_addr) & mask_of(prefix))};

  snprintf(net, sizeof(net), "%s/%d", inet_ntop(AF_INET, &n, a, sizeof(a)), prefix);
  return iptables((char *[]){"iptables", "-w", "-t", "nat", (char *)op, "POSTROUTING", "-s", net,
                             "!", "-o", (char *)br, "-j", "MASQUERADE", 0});
}

// Outbound NAT where the host offers it, as Docker sets it up: forwarding
// on, the bridge's subnet masqueraded when it leaves by another device,
// and FORWARD letting it through (each checked first, so never twice).
// Once per bridge made: after a reboot, again. daemon.json "iptables":
// false leaves the host's firewall alone; with no iptables, nothing.
static void nat_setup(const char *br, struct in_addr gw, int prefix)
{
  struct json *opt = json_get(config_load()->tree, "iptables");
  char *out[] = {"iptables", "-w", "-C", "FORWARD", "-i", (char *)br, "-j", "ACCEPT", 0};
  char *in[] = {"iptables", "-w", "-C", "FORWARD", "-o", (char *)br, "-m", "conntrack", "--ctstate",
                "RELATED,ESTABLISHED", "-j", "ACCEPT", 0};

  if (opt && opt->type == JSON_FALSE) return;
  int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) writeall(fd, "1", 1), close(fd);
  // (1: checked and not there; anything else: there, or no iptables)
  if (masquerade("-C", br, gw, prefix) == 1) masquerade("-A", br, gw, prefix);
  char **fwd[] = {out, in};
  for (size_t i = 0; i < ARRAY_LEN(fwd); i++)
    if (iptables(fwd[i]) == 1) fwd[i][2] = "-I", iptables(fwd[i]);
}

int net_nat(void)
{
  char br[IFNAMSIZ];
  struct in_addr gw;
  int prefix;
  return !bridge_config(br, &gw, &prefix) && masquerade("-C", br, gw, prefix) == 0;
}

int net_attach(const char *id, int pid, const struct net_addr *na)
{
  char br[IFNAMSIZ], host[IFNAMSIZ];
  struct in_addr gw;
  int prefix, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;
  unsigned char mac[6] = {0x02, 0x42};

  if (bridge_config(br, &gw, &prefix) < 0) return -1;
  // The bridge, made on first use (an existing one is kept as it is).
  int made = fd >= 0 && !ioctl(fd, SIOCBRADDBR, br);
  if (fd < 0 || (!made && errno != EEXIST))
    rc = fail(errno, "bridge %s: %s", br, strerror(errno));
  else if (ifreq_addr(fd, SIOCSIFADDR, br, gw.s_addr) ||
           ifreq_addr(fd, SIOCSIFNETMASK, br, htonl(mask_of(prefix))) || if_up(fd, br))
    rc = fail(errno, "bridge %s: %s", br, strerror(errno));
  else if (made) nat_setup(br, gw, prefix);
  memcpy(mac + 2, &na->ip, 4);
  snprintf(host, sizeof(host), "veth%.7s", id);
  // The pair of this container's last run may still be going away with
  // its old namespace (the kernel cleans those up asynchronously).
  for (int tries = 0; !rc && veth_create(host, if_nametoindex(br), pid, mac); tries++)
    if (errno != EEXIST || tries == 100) rc = fail(errno, "veth %s: %s", host, strerror(errno));
    else usleep(20000);
  if (!rc && if_up(fd, host)) rc = fail(errno, "%s up: %s", host, strerror(errno));
  if (fd >= 0) close(fd);
  return rc;
}

// NetworkSettings' address fields, for state.json.
void net_state(const struct net_addr *na, struct buf *out)
{
  char ip[16], gw[16], mac[18];
  const unsigned char *b = (const unsigned char *)&na->ip;
  struct jw w;

  inet_ntop(AF_INET, &na->ip, ip, sizeof(ip));
  inet_ntop(AF_INET, &na->gw, gw, sizeof(gw));
  snprintf(mac, sizeof(mac), "02:42:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
  jw_init(&w, out, 0);
  jw_obj(&w, 0);
  jw_str(&w, "IPAddress", ip);
  jw_int(&w, "IPPrefixLen", na->prefix);
  jw_str(&w, "Gateway", gw);
  jw_str(&w, "MacAddress", mac);
  jw_end(&w);
}
