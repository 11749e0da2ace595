// exec.c: docker exec: run a command in a running container, joining its
// namespaces with setns, with the container's environment, user and caps.
//
//applet:exec "^<2 d(detach) i(interactive) t(tty) e(env)* w(workdir): u(user): (privileged)"
//config:config EXEC
//config:	bool "exec: run a command in a running container"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: exec [OPTIONS] CONTAINER COMMAND [ARG...]
//config:
//config:	  Run a command in a running container. Options go before CONTAINER.
//config:
//config:	  -d, --detach         Run the command in the background
//config:	  -i, --interactive    Keep STDIN open
//config:	  -t, --tty            Allocate a pseudo-TTY
//config:	  -e, --env K[=V]      Set an environment variable (repeatable)
//config:	  -w, --workdir DIR    Working directory inside the container
//config:	  -u, --user USER[:GROUP]  Username or UID (and group)
//config:	      --privileged     Keep every capability

#define FOR_exec
#include "ocibox.h"
#include "generated/flags.h"
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int child_pid;

static void forward_signal(int sig)
{
  if (child_pid > 0) kill(child_pid, sig);
}

static void add(char ***v, size_t *n, const char *s)
{
  size_t k = strcspn(s, "=");

  for (size_t i = 0; i < *n; i++)
    if (!strncmp((*v)[i], s, k) && (*v)[i][k] == '=') {
      (*v)[i] = xstrdup(s);
      return;
    }
  *v = xrealloc(*v, (*n + 2) * sizeof(**v));
  (*v)[(*n)++] = xstrdup(s);
  (*v)[*n] = 0;
}

void exec_main(void)
{
  struct store st;
  struct container c;
  char id[65], path[64], **env = 0;
  size_t envc = 0;
  static const char *const nss[] = {"ipc", "uts", "net", "pid"};
  int errp[2], console[2] = {-1, -1}, mnt, status;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  if (strcmp(c.status, "running")) error_exit("container %s is not running", id);

  struct json *cfg = json_get(c.config, "Config");
  for (struct json *e = json_get(cfg, "Env") ? json_get(cfg, "Env")->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) add(&env, &envc, e->str);
  if (FLAG(t)) add(&env, &envc, "TERM=xterm");
  for (struct strlist *l = OPTLIST(e); l; l = l->next) {
    if (strchr(l->s, '=')) add(&env, &envc, l->s);
    else if (getenv(l->s)) add(&env, &envc, xmprintf("%s=%s", l->s, getenv(l->s)));
  }
  struct run_spec rs = {
    .argv = applet.argv + 1, .env = env,
    .cwd = FLAG(w) ? OPTSTR(w) : json_get_str(cfg, "WorkingDir"),
    .user = FLAG(u) ? OPTSTR(u) : json_get_str(cfg, "User"),
  };
  struct json *host = json_get(c.config, "HostConfig"), *priv = json_get(host, "Privileged");
  rs.privileged = FLAG(privileged) || (priv && priv->type == JSON_TRUE);
  rs.caps = rs.privileged ? ~0ull : caps_of(host);
  rs.ulimits = json_get(host, "Ulimits");

  // Join the namespaces: these now (pid takes effect for our child), the
  // mount namespace in the child, which then sees only the container.
  for (size_t i = 0; i < ARRAY_LEN(nss); i++) {
    snprintf(path, sizeof(path), "/proc/%d/ns/%s", c.pid, nss[i]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, 0)) perror_exit("join %s", path);
    close(fd);
  }
  snprintf(path, sizeof(path), "/proc/%d/ns/mnt", c.pid);
  if ((mnt = open(path, O_RDONLY | O_CLOEXEC)) < 0) perror_exit("%s", path);
  if (pipe2(errp, O_CLOEXEC)) perror_exit("pipe");
  if (FLAG(t) && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console)) perror_exit("socketpair");
  if (FLAG(t)) pty_size(&rs.rows, &rs.cols);
  fflush(0);
  // vfork: no page tables copied, no page faulted in twice. The child
  // never returns from here: it execs or _exits, and we wait till then.
  pid_t pid = vfork();
  if (pid < 0) perror_exit("vfork");
  if (!pid) {
    close(errp[0]);
    rs.err_fd = errp[1];
    // Its cgroups (limits, the freezer, the pids count), then its view.
    if (CFG_CGROUPS && cgroup_setup(c.id, &(struct cg_limits){0}, 0) < 0) {
      dprintf(errp[1], "125 %s", applet.why);
      _exit(125);
    }
    snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", c.pid);
    int cgns = open(path, O_RDONLY | O_CLOEXEC);
    if (cgns >= 0) setns(cgns, CLONE_NEWCGROUP);
    if (setns(mnt, CLONE_NEWNS) || chdir("/")) {
      dprintf(errp[1], "125 join the mount namespace: %s", strerror(errno));
      _exit(125);
    }
    signal(SIGPIPE, SIG_DFL);
    if (FLAG(t)) {
      int tty = pty_child(console[1], rs.rows, rs.cols);
      if (tty < 0) {
        dprintf(errp[1], "125 %s", applet.why);
        _exit(125);
      }
      setsid();
      ioctl(tty, TIOCSCTTY, 0);
      for (int i = 0; i < 3; i++) dup2(tty, i);
      if (tty > 2) close(tty);
    } else if (!FLAG(i) || FLAG(d)) {
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) dup2(null, 0);
      if (FLAG(d) && null >= 0) dup2(null, 1), dup2(null, 2);
    }
    process_init(&rs);
  }
  close(errp[1]);
  if (console[1] >= 0) close(console[1]);
  child_pid = pid;
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < ARRAY_LEN(sigs); i++) signal(sigs[i], forward_signal);

  char msg[1024];
  ssize_t n = readall(errp[0], msg, sizeof(msg) - 1);
  if (n > 0) {
    msg[n] = 0;
    waitpid(pid, 0, 0);
    applet.exitval = atoi(msg) ? atoi(msg) : 125;
    error_msg("%s", strchrnul(msg, ' ') + 1);
    xexit();
  }
  if (FLAG(d)) return;  // it runs on, reparented to the container's init
  if (FLAG(t)) {
    int master = pty_receive(console[0]);
    if (master >= 0) pty_relay(master, master, FLAG(i), 0, 0);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR);
  applet.exitval = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  xexit();
}
