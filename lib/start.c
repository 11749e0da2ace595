// start.c: start a created or stopped container from its config.json,
// supervised either by us (attached: stdio or the terminal relayed, its
// exit status returned) or by a forked supervisor in its own session
// (detached: output to containers/<id>/container.log). The supervisor
// records the state, and removes the container after it when AutoRemove.
#include "ocibox.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int child_pid;
static struct logger logger;  // the supervisor's json-file logger (CONFIG_LOGGER)

static void forward_signal(int sig)
{
  if (child_pid > 0) kill(child_pid, sig);
}

void sig_proxy(int pid)
{
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  if (pid > 0) child_pid = pid;
  for (size_t k = 0; k < ARRAY_LEN(sigs); k++) signal(sigs[k], pid < 0 ? SIG_DFL : forward_signal);
}

// A NULL-terminated vector over a JSON string array (first prepended).
static char **strv(const struct json *a, const char *first)
{
  size_t n = a && a->type == JSON_ARRAY ? a->len : 0, k = 0;
  char **v = xzalloc((n + 2) * sizeof(*v));

  if (first) v[k++] = (char *)first;
  for (struct json *e = a && a->type == JSON_ARRAY ? a->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) v[k++] = e->str;
  return v;
}

static int is_true(const struct json *j)
{
  return j && j->type == JSON_TRUE;
}

void cg_limits_of(const struct json *host, struct cg_limits *lim)
{
  long long v;
  memset(lim, 0, sizeof(*lim));
  if (!json_int(json_get(host, "Memory"), &v)) lim->memory = v;
  if (!json_int(json_get(host, "MemorySwap"), &v)) lim->memory_swap = v;
  if (!json_int(json_get(host, "PidsLimit"), &v)) lim->pids = v;
  if (!json_int(json_get(host, "NanoCpus"), &v)) lim->cpu_quota = v / 10000;
  if (!json_int(json_get(host, "CpuShares"), &v)) lim->cpu_shares = v;
}

static int64_t now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static void now_into(char out[40])
{
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  fmt_rfc3339nano(out, &t);
}

// Serve the published ports from a child in the container's network
// namespace; the listening sockets are its alone from then on.
static int start_proxy(int pid, struct port_binding *pb, size_t npb)
{
  char path[40];
  snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC), proxy = ns < 0 ? -1 : fork();
  if (!proxy) proxy_run(ns, pb, npb);
  if (ns >= 0) close(ns);
  ports_close(pb, npb);
  return proxy;
}

// Wait for the container, relaying its terminal if it has one; the state
// is recorded before and after. Returns its exit status.
static int supervise(struct store *st, const struct container *c, struct run_spec *rs,
                     const struct cg_limits *lim, int console, int relay_stdin, int ready_fd,
                     int detached, struct container_state *cs)
{
  const char *id = c->id;
  struct spawn sp;
  struct port_binding *pb = 0;
  size_t npb = 0;
  struct buf ports = {0}, net = {0};
  int status = 0, code, proxy = -1;
  const char *mode = json_get_str(json_get(c->config, "HostConfig"), "NetworkMode");
  int bridged = CFG_BRIDGE && mode && !strcmp(mode, "bridge");

  rs->net = 0;
  if (bridged && net_lease(st, id, c->config, &rs->addr) == 0) rs->net = &rs->addr;
  if ((bridged && !rs->net) || container_spawn(rs, &sp) < 0) {
    if (CFG_BRIDGE && rs->net) net_release(st, id);
    if (ready_fd >= 0) dprintf(ready_fd, "125 %s", applet.why);
    return -125;
  }
  if (rs->console_sock >= 0) close(rs->console_sock);
  child_pid = sp.pid;
  // Into its cgroups before it may run a single instruction of its own;
  // the host's ports taken before it runs too, so a clash stops it here.
  if ((CFG_CGROUPS ? cgroup_setup(id, lim, sp.pid) < 0
                   : (lim->memory || lim->pids > 0 || lim->cpu_quota || lim->cpu_shares) &&
                     fail(ENOTSUP, "resource limits need a build with CONFIG_CGROUPS") < 0) ||
      (CFG_PUBLISH && !rs->net_host && ports_bind(c->config, c->name, id, &pb, &npb, &ports) < 0) ||
      (CFG_BRIDGE && rs->net && net_attach(id, sp.pid, rs->net) < 0)) {
    kill(sp.pid, SIGKILL);
    waitpid(sp.pid, 0, 0);
    if (CFG_CGROUPS) cgroup_remove(id);
    if (CFG_PUBLISH) ports_close(pb, npb);
    if (CFG_BRIDGE && rs->net) net_release(st, id);
    if (ready_fd >= 0) dprintf(ready_fd, "125 %s", applet.why);
    cs->status = "exited", cs->exit_code = 125, cs->error = applet.why;
    return -125;
  }
  cs->pid = sp.pid;
  cs->status = "running";
  cs->ports = ports.s;
  if (CFG_BRIDGE && rs->net) net_state(rs->net, &net);
  cs->network = net.s;
  cs->since_ms = now_ms();
  now_into(cs->started_at);
  *cs->finished_at = 0;
  container_save_state(st, id, cs);
  if ((code = container_go(&sp))) {
    if (CFG_PUBLISH) ports_close(pb, npb);
    if (ready_fd >= 0) dprintf(ready_fd, "%d %s", code, applet.why);
    waitpid(sp.pid, 0, 0);
    cs->error = applet.why;
    code = -code;
  } else {
    // (the proxy must not hold the ready pipe: run -d waits for its end)
    if (ready_fd >= 0) close(ready_fd);
    if (CFG_PUBLISH && npb) proxy = start_proxy(sp.pid, pb, npb);
    if (console >= 0) {
      int master = pty_receive(console);
      if (master >= 0 && detached) pty_serve(master, id, detached == 2);
      else if (master >= 0) pty_relay(master, master, relay_stdin, 0, 0);
    }
    // (detached: a supervisor waits there for hours, with little mapped)
    if (CFG_LOGGER && logger.on) status = logger_wait(&logger, sp.pid, detached);
    else
      while ((detached ? idle_syscall(SYS_wait4, sp.pid, (long)&status, 0, 0, 0) : waitpid(sp.pid, &status, 0)) < 0 &&
             errno == EINTR);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  if (proxy > 0) {
    kill(proxy, SIGKILL);
    waitpid(proxy, 0, 0);
  }
  buf_free(&ports);
  buf_free(&net);
  cs->ports = cs->network = 0;
  if (CFG_BRIDGE && rs->net) net_release(st, id);
  cs->status = "exited";
  cs->pid = 0;  // (the supervisor lives on: restarts are its to make)
  cs->exit_code = code < 0 ? -code : code;
  cs->oom_killed = CFG_CGROUPS && code == 137 && cgroup_oom_killed(id);
  if (CFG_CGROUPS) cgroup_remove(id);
  now_into(cs->finished_at);
  return code;
}


// A supervisor of its own: a session of its own, stdin from /dev/null,
// the container's output into containers/<id>/container.log.
static void detach_stdio(struct store *st, const char *id)
{
  setsid();
  int null = open("/dev/null", O_RDWR | O_CLOEXEC), logfd = -1;
  char *log = container_path(st, id, "container.log");
  if (null < 0 || (CFG_LOGGER ? logger_start(st, id, 0, &logger)
                              : (logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640))) < 0)
    _exit(125);
  dup2(null, 0);
  if (!CFG_LOGGER) dup2(logfd, 1), dup2(logfd, 2);
  free(log);
}

// The supervisor's part after the first run: restart while the policy
// says so (status "restarting" during the back-off), then the end.
static NORETURN void supervise_on(struct store *st, const struct container *c, struct run_spec *rs,
                                  const struct cg_limits *lim, int code, int tty, int auto_remove,
                                  struct container_state *cs)
{
  int delay = 0;

  while (CFG_RESTART_POLICIES && code >= 0 && policy_should_restart(st, c->id, cs->exit_code, cs->restart_count)) {
    int console[2] = {-1, -1};
    int64_t ran = now_ms() - cs->since_ms;
    cs->status = "restarting";
    cs->restart_count++;
    container_save_state(st, c->id, cs);
    if (!policy_backoff(st, c->id, &delay, ran)) break;
    if (tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console)) break;
    rs->console_sock = console[1];
    code = supervise(st, c, rs, lim, console[0], 0, -1, 1, cs);
    if (console[0] >= 0) close(console[0]);
  }
  cs->status = "exited";
  cs->shim_pid = 0;
  if (CFG_LOGGER) logger_stop(&logger);  // all of it logged before the state says so
  if (auto_remove) {
    if (CFG_VOLUMES) volumes_drop_anonymous(st, c->config);
    rm_rf(rs->dir);
  }
  else container_save_state(st, c->id, cs);
  _exit(0);
}

int container_start(struct store *st, const char *id, int detach, int interactive, int *status_fd)
{
  struct container c;
  struct container_state cs = {.status = "created", .error = ""};
  int console[2] = {-1, -1}, code;

  // Its config.json is in containers/, so its Layers keep its layers from
  // GC: neither we nor the supervisor need gc.lock, and holding it while
  // the container runs would keep rmi from removing anything (store_gc).
  if (st->gc_lock >= 0) close(st->gc_lock), st->gc_lock = -1;
  if (container_load(st, id, &c) < 0 || container_init_layer(st) < 0) return -1;
  // A start by hand lifts a stop by hand: the policy applies again.
  if (CFG_RESTART_POLICIES) policy_mark_stopped(st, id, 0);
  if (!strcmp(c.status, "running") || !strcmp(c.status, "restarting")) {
    container_free(&c);
    return 0;  // Docker: starting a running container is fine
  }
  struct json *cfg = json_get(c.config, "Config"), *host = json_get(c.config, "HostConfig");
  struct json *layers = json_get(c.config, "Layers");
  const char *net = json_get_str(host, "NetworkMode");
  int tty = is_true(json_get(cfg, "Tty"));
  char *dir = container_path(st, id, 0);
  struct run_spec rs = {
    .dir = dir, .env = strv(json_get(cfg, "Env"), 0),
    .argv = strv(json_get(c.config, "Args"), json_get_str(c.config, "Path")),
    .cwd = json_get_str(cfg, "WorkingDir"), .user = json_get_str(cfg, "User"),
    .hostname = json_get_str(cfg, "Hostname"),
    .net_host = net && !strcmp(net, "host"),
    .read_only = is_true(json_get(host, "ReadonlyRootfs")),
    .privileged = is_true(json_get(host, "Privileged")), .caps = caps_of(host),
    .ulimits = json_get(host, "Ulimits"), .init = is_true(json_get(host, "Init")),
    .console_sock = -1, .stdin_null = !interactive && !tty,
  };
  rs.layers_dir = xmprintf("%s/layers", st->root);
  rs.nlowers = layers && layers->type == JSON_ARRAY ? layers->len : 0;
  rs.lowers = xzalloc((rs.nlowers + 1) * sizeof(char *));
  size_t i = 0;
  for (struct json *l = rs.nlowers ? layers->child : 0; l; l = l->next)
    if (l->type == JSON_STRING && digest_valid(l->str)) rs.lowers[i++] = l->str + 7;
  rs.nlowers = i;
  // Volumes: the host side made now when missing, as Docker does.
  struct json *binds = CFG_VOLUMES ? json_get(host, "Binds") : 0;
  for (struct json *b = binds && binds->type == JSON_ARRAY ? binds->child : 0; b; b = b->next) {
    struct volume v;
    char *src;
    if (b->type != JSON_STRING || volume_parse(b->str, &v) < 0 || !(src = volume_source(st, &v))) {
      code = -125;
      goto out;
    }
    free(v.src);
    v.src = src;
    rs.vols = xrealloc(rs.vols, (rs.nvols + 1) * sizeof(v));
    rs.vols[rs.nvols++] = v;
  }
  if (tty) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console)) perror_exit("socketpair");
    rs.console_sock = console[1];
    if (!detach || status_fd) pty_size(&rs.rows, &rs.cols);
  }
  int auto_remove = is_true(json_get(host, "AutoRemove"));
  rs.scratch = auto_remove;
  struct cg_limits lim;
  cg_limits_of(host, &lim);

  if (detach) {
    int ready[2], status[2] = {-1, -1};
    if (pipe2(ready, O_CLOEXEC) || (status_fd && pipe2(status, O_CLOEXEC))) perror_exit("pipe");
    fflush(0);
    pid_t shim = fork();
    if (shim < 0) perror_exit("fork");
    if (!shim) {
      close(ready[0]);
      if (status_fd) close(status[0]);
      detach_stdio(st, id);
      cs.shim_pid = getpid();
      code = supervise(st, &c, &rs, &lim, console[0], 0, ready[1], status_fd ? 2 : 1, &cs);
      if (status_fd) {
        signal(SIGPIPE, SIG_IGN);  // (the client may have detached)
        dprintf(status[1], "%d", code < 0 ? -code : code);
        close(status[1]);
      }
      supervise_on(st, &c, &rs, &lim, code, tty, auto_remove, &cs);
    }
    close(ready[1]);
    if (status_fd) close(status[1]), *status_fd = status[0];
    if (console[1] >= 0) close(console[1]);
    char msg[1024];
    ssize_t n = readall(ready[0], msg, sizeof(msg) - 1);
    close(ready[0]);
    code = 0;
    if (n > 0) {
      msg[n] = 0;
      code = -(atoi(msg) ? atoi(msg) : 125);
      fail(EIO, "%s", strchrnul(msg, ' ') + !!*strchrnul(msg, ' '));
    }
  } else {
    sig_proxy(0);  // (supervise names the container's pid)
    cs.shim_pid = getpid();
    // Docker logs attached containers too (not what goes through a terminal)
    if (CFG_LOGGER && !tty) logger_start(st, id, 1, &logger);
    code = supervise(st, &c, &rs, &lim, console[0], interactive, -1, 0, &cs);
    if (CFG_LOGGER) logger_stop(&logger);
    // Docker's client returns here; the restarts go on in the background.
    if (CFG_RESTART_POLICIES && code >= 0 && policy_should_restart(st, id, cs.exit_code, 0)) {
      fflush(0);
      if (!fork()) {
        detach_stdio(st, id);
        sig_proxy(-1);
        cs.shim_pid = getpid();
        supervise_on(st, &c, &rs, &lim, code, tty, 0, &cs);
      }
    } else if (auto_remove) {
      if (CFG_VOLUMES) volumes_drop_anonymous(st, c.config);
      rm_rf(dir);
    }
    else {
      cs.shim_pid = 0;
      container_save_state(st, id, &cs);
    }
  }
out:
  for (size_t k = 0; CFG_VOLUMES && k < rs.nvols; k++) volume_free(rs.vols + k);
  free(rs.vols);
  free(dir);
  free(rs.env);
  free(rs.argv);
  free(rs.lowers);
  free((char *)rs.layers_dir);
  container_free(&c);
  return code;
}
