// run.c: docker run: create a container from an image and run its command,
// in the foreground (stdio passed through, its exit status ours) or
// detached (-d: a supervisor keeps it and its log; the id is printed).
//
//applet:run "^<1 d(detach) i(interactive) t(tty) (rm) (name): e(env)* (env-file)* w(workdir): u(user): h(hostname): (entrypoint): (network): (read-only) (privileged)" err125
//config:config RUN
//config:	bool "run: run a command in a new container"
//config:	default y
//config:	help
//config:	  usage: run [OPTIONS] IMAGE [COMMAND] [ARG...]
//config:
//config:	  Create and run a new container from an image; pulls the image
//config:	  when it is not in the store. Options go before IMAGE.
//config:
//config:	  -d, --detach           Run in the background and print the container ID
//config:	  -i, --interactive      Keep STDIN open
//config:	  -t, --tty              Allocate a pseudo-TTY (from the container's devpts)
//config:	      --rm               Remove the container when it exits
//config:	      --name NAME        Assign a name to the container
//config:	  -e, --env K[=V]        Set an environment variable (repeatable)
//config:	      --env-file FILE    Read environment variables from a file
//config:	  -w, --workdir DIR      Working directory inside the container
//config:	  -u, --user USER[:GROUP]  Username or UID (and group)
//config:	  -h, --hostname NAME    Container host name
//config:	      --entrypoint CMD   Overwrite the image's ENTRYPOINT
//config:	      --network MODE     none or host (default: own namespace, loopback only)
//config:	      --read-only        Mount the container's root read-only
//config:	      --privileged       Keep every capability

#define FOR_run
#include "ocibox.h"
#include "generated/flags.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int child_pid;

static void forward_signal(int sig)
{
  if (child_pid > 0) kill(child_pid, sig);
}

// The image by name (normalised) or by image ID (prefix); pulls a missing
// name like Docker does.
static void find_image(struct store *st, const char *arg, struct image *im)
{
  struct index ix;
  struct ref r;
  struct buf full = {0};
  const char *digest = 0;
  size_t n = strlen(arg);

  if (index_load(st, &ix) < 0) error_exit("%s", applet.why);
  if (!ref_parse(arg, &r)) {
    ref_full(&r, &full);
    struct index_entry *e = index_find(&ix, full.s);
    if (e) digest = e->digest;
  }
  if (!digest && n >= 4 && is_image_id(arg) + (strspn(arg, "0123456789abcdef") == n)) {
    for (size_t i = 0; i < ix.n && !digest; i++) {
      struct image cand;
      if (image_load(st, ix.e[i].digest, &cand) < 0) continue;
      if (!strncmp(cand.config_digest + 7, arg + (strncmp(arg, "sha256:", 7) ? 0 : 7), n)) digest = ix.e[i].digest;
      image_free(&cand);
    }
  }
  if (!digest) {
    char d[72];
    struct pull_opts o = {.out = stderr};
    if (!CFG_PULL) error_exit("Unable to find image '%s' locally", arg);
    if (ref_parse(arg, &r) < 0) error_exit("%s", applet.why);
    buf_free(&full);
    ref_familiar(&r, &full);
    fprintf(stderr, "Unable to find image '%s' locally\n", full.s);
    if (image_pull(full.s, &o, d) < 0) error_exit("%s", applet.why);
    index_free(&ix);
    buf_free(&full);
    if (image_load(st, d, im) < 0) error_exit("%s", applet.why);
    return;
  }
  if (image_load(st, digest, im) < 0) error_exit("%s", applet.why);
  index_free(&ix);
  buf_free(&full);
}

static void strv_add(char ***v, size_t *n, const char *s)
{
  *v = xrealloc(*v, (*n + 2) * sizeof(**v));
  (*v)[(*n)++] = xstrdup(s);
  (*v)[*n] = 0;
}

// Set NAME=VALUE in env, replacing an earlier NAME.
static void env_set(char ***env, size_t *n, const char *kv)
{
  size_t k = strcspn(kv, "=");

  for (size_t i = 0; i < *n; i++)
    if (!strncmp((*env)[i], kv, k) && (*env)[i][k] == '=') {
      free((*env)[i]);
      (*env)[i] = xstrdup(kv);
      return;
    }
  strv_add(env, n, kv);
}

// -e NAME=VALUE, or -e NAME to pass the caller's value (dropped if unset).
static void env_arg(char ***env, size_t *n, const char *arg)
{
  if (strchr(arg, '=')) env_set(env, n, arg);
  else if (getenv(arg)) {
    char *kv = xmprintf("%s=%s", arg, getenv(arg));
    env_set(env, n, kv);
    free(kv);
  }
}

static void env_file(char ***env, size_t *n, const char *path)
{
  size_t len;
  char *text = xreadfile(path, 1 << 20, &len), *save;

  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(0, "\n", &save)) {
    line[strcspn(line, "\r")] = 0;
    while (*line == ' ' || *line == '\t') line++;
    if (!*line || *line == '#') continue;
    env_arg(env, n, line);
  }
  free(text);
}

static void json_strv(const struct json *arr, char ***v, size_t *n)
{
  for (struct json *e = arr && arr->type == JSON_ARRAY ? arr->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) strv_add(v, n, e->str);
}

static void write_file(const char *dir, const char *name, const char *text)
{
  char *p = xmprintf("%s/%s", dir, name);
  int fd = xopen(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  xwriteall(fd, text, strlen(text));
  if (fsync(fd)) perror_exit("fsync %s", p);
  close(fd);
  free(p);
}

// The container's resolv.conf: the host's, without loopback resolvers it
// could not reach from its own network namespace.
static char *resolv_conf(int host_net)
{
  char *text;
  size_t len;
  struct buf b = {0};

  if (readfile_at(AT_FDCWD, "/etc/resolv.conf", 1 << 16, &text, &len) < 0) return xstrdup("");
  for (char *line = text, *nl; *line; line = nl) {
    nl = strchrnul(line, '\n');
    if (*nl) nl++;
    if (!host_net && !strncmp(line, "nameserver", 10) &&
        (strstr(line, " 127.") || strstr(line, " ::1")))
      continue;
    buf_add(&b, line, nl - line);
  }
  free(text);
  return b.s ? buf_steal(&b) : xstrdup("");
}

static void write_config(const char *dir, const char *id, const char *name, const struct image *im,
                         char **argv, size_t nentry, char **env, const char *created,
                         const char *image_arg, const char *hostname)
{
  struct buf b = {0};
  struct jw w;
  struct json *cfg = json_get(im->config, "config");

  jw_init(&w, &b, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Id", id);
  jw_str(&w, "Created", created);
  jw_str(&w, "Path", argv[0]);
  jw_arr(&w, "Args");
  for (char **a = argv + 1; *a; a++) jw_str(&w, 0, *a);
  jw_end(&w);
  jw_str(&w, "Image", im->config_digest);
  jw_str(&w, "ManifestDigest", im->manifest_digest);
  jw_arr(&w, "Layers");
  for (size_t i = im->nlayers; i-- > 0;) jw_str(&w, 0, im->chain_ids[i]);
  jw_end(&w);
  char *slash_name = xmprintf("/%s", name);
  jw_str(&w, "Name", slash_name);
  free(slash_name);
  jw_obj(&w, "HostConfig");
  jw_str(&w, "NetworkMode", OPTSTR(network) ? OPTSTR(network) : "none");
  jw_bool(&w, "AutoRemove", FLAG(rm));
  jw_bool(&w, "Privileged", FLAG(privileged));
  jw_bool(&w, "ReadonlyRootfs", FLAG(read_only));
  jw_end(&w);
  jw_obj(&w, "Config");
  jw_str(&w, "Hostname", hostname);
  jw_str(&w, "User", FLAG(u) ? OPTSTR(u) : json_get_str(cfg, "User") ? json_get_str(cfg, "User") : "");
  jw_bool(&w, "Tty", FLAG(t));
  jw_bool(&w, "OpenStdin", FLAG(i));
  jw_arr(&w, "Env");
  for (char **e = env; *e; e++) jw_str(&w, 0, *e);
  jw_end(&w);
  // Docker's container Config keeps the two apart (commit needs them)
  if (argv[nentry]) {
    jw_arr(&w, "Cmd");
    for (char **a = argv + nentry; *a; a++) jw_str(&w, 0, *a);
    jw_end(&w);
  } else jw_null(&w, "Cmd");
  if (nentry) {
    jw_arr(&w, "Entrypoint");
    for (size_t i = 0; i < nentry; i++) jw_str(&w, 0, argv[i]);
    jw_end(&w);
  } else jw_null(&w, "Entrypoint");
  jw_str(&w, "Image", image_arg);
  jw_str(&w, "WorkingDir", FLAG(w) ? OPTSTR(w) : json_get_str(cfg, "WorkingDir") ? json_get_str(cfg, "WorkingDir") : "");
  jw_end(&w);
  jw_end(&w);
  buf_addc(&b, '\n');
  write_file(dir, "config.json", b.s);
  buf_free(&b);
}

void run_main(void)
{
  struct store st;
  struct image im;
  char id[65], name[64], created[40], *dir, *stage, **argv = 0, **env = 0;
  size_t argc = 0, envc = 0;
  struct json *cfg;
  const char *net = OPTSTR(network);
  struct timespec now;

  if (net && strcmp(net, "none") && strcmp(net, "host"))
    error_exit("network %s not found (this build offers none and host)", net);
  if (FLAG(name)) {
    const char *n = OPTSTR(name);
    if (!*n || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(n) ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", *n))
      error_exit("Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", n);
  }
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  find_image(&st, applet.argv[0], &im);
  cfg = json_get(im.config, "config");

  // Entrypoint + Cmd with Docker's rules: --entrypoint resets the image's
  // Cmd; a command after the image replaces Cmd.
  if (FLAG(entrypoint)) {
    if (*OPTSTR(entrypoint)) strv_add(&argv, &argc, OPTSTR(entrypoint));
  } else json_strv(json_get(cfg, "Entrypoint"), &argv, &argc);
  size_t nentry = argc;
  if (applet.argc > 1)
    for (int i = 1; i < applet.argc; i++) strv_add(&argv, &argc, applet.argv[i]);
  else if (!FLAG(entrypoint)) json_strv(json_get(cfg, "Cmd"), &argv, &argc);
  if (!argc) error_exit("no command specified");

  container_new_id(id);
  char hostname[65];
  snprintf(hostname, sizeof(hostname), "%s", FLAG(h) ? OPTSTR(h) : id);
  if (!FLAG(h)) hostname[12] = 0;
  env_set(&env, &envc, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (struct json *e = json_get(cfg, "Env") ? json_get(cfg, "Env")->child : 0; e; e = e->next)
    if (e->type == JSON_STRING) env_set(&env, &envc, e->str);
  for (struct strlist *l = OPTLIST(env_file); l; l = l->next) env_file(&env, &envc, l->s);
  for (struct strlist *l = OPTLIST(e); l; l = l->next) env_arg(&env, &envc, l->s);
  if (FLAG(t)) {
    int has_term = 0;
    for (size_t i = 0; i < envc; i++) has_term |= !strncmp(env[i], "TERM=", 5);
    if (!has_term) env_set(&env, &envc, "TERM=xterm");
  }
  char *hn = xmprintf("HOSTNAME=%s", hostname);
  env_set(&env, &envc, hn);
  free(hn);
  int has_home = 0;
  for (size_t i = 0; i < envc; i++) has_home |= !strncmp(env[i], "HOME=", 5);
  if (!has_home) env_set(&env, &envc, "HOME=/root");

  // The container dir is built in tmp/ and renamed into place under the
  // names lock, so a name is never taken twice and no half dir shows.
  mkdirat(st.fd, "containers", 0700);
  stage = xmprintf("%s/tmp/%d-ctr-%s", st.root, (int)getpid(), id);
  dir = container_path(&st, id, 0);
  const char *subdirs[] = {"", "/upper", "/work", "/rootfs", "/init", "/init/dev", "/init/proc",
                           "/init/sys", "/init/etc"};
  for (size_t i = 0; i < ARRAY_LEN(subdirs); i++) {
    char *p = xmprintf("%s%s", stage, subdirs[i]);
    // upper's mode becomes the root's mode in the container
    if (mkdir(p, i ? 0755 : 0700)) perror_exit("mkdir %s", p);
    free(p);
  }
  clock_gettime(CLOCK_REALTIME, &now);
  fmt_rfc3339nano(created, &now);
  char *hosts = xmprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                         "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                         "ff02::2\tip6-allrouters\n127.0.1.1\t%s\n", hostname);
  write_file(stage, "hosts", hosts);
  free(hosts);
  char *hfile = xmprintf("%s\n", hostname);
  write_file(stage, "hostname", hfile);
  free(hfile);
  char *resolv = resolv_conf(net && !strcmp(net, "host"));
  write_file(stage, "resolv.conf", resolv);
  free(resolv);
  char *init = xmprintf("%s/init", stage);
  write_file(init, "etc/hosts", "");
  write_file(init, "etc/hostname", "");
  write_file(init, "etc/resolv.conf", "");
  free(init);

  int lock = openat(st.fd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX)) perror_exit("containers.lock");
  char other[65];
  if (FLAG(name)) {
    snprintf(name, sizeof(name), "%s", OPTSTR(name));
    if (container_name_taken(&st, name, other)) {
      rm_rf(stage);
      error_exit("Conflict. The container name \"/%s\" is already in use by container \"%s\". "
                 "You have to remove (or rename) that container to be able to reuse that name.", name, other);
    }
  } else
    do container_new_name(name);
    while (container_name_taken(&st, name, other));
  write_config(stage, id, name, &im, argv, nentry, env, created, applet.argv[0], hostname);
  struct container_state cs = {.status = "created", .error = ""};
  if (rename(stage, dir) || fsync_dir_at(st.fd, "containers")) perror_exit("rename %s", dir);
  container_save_state(&st, id, &cs);
  close(lock);

  // Start it.
  struct run_spec rs = {
    .dir = dir, .argv = argv, .env = env, .hostname = hostname,
    .cwd = FLAG(w) ? OPTSTR(w) : json_get_str(cfg, "WorkingDir"),
    .user = FLAG(u) ? OPTSTR(u) : json_get_str(cfg, "User"),
    .net_host = net && !strcmp(net, "host"), .read_only = FLAG(read_only),
    .privileged = FLAG(privileged), .console_sock = -1, .stdin_null = !FLAG(i) && !FLAG(t),
  };
  rs.layers_dir = xmprintf("%s/layers", st.root);
  rs.nlowers = im.nlayers;
  rs.lowers = xzalloc((im.nlayers + 1) * sizeof(char *));
  for (size_t i = 0; i < im.nlayers; i++) rs.lowers[i] = im.chain_ids[im.nlayers - 1 - i] + 7;

  int console[2] = {-1, -1};
  if (FLAG(t)) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console)) perror_exit("socketpair");
    rs.console_sock = console[1];
  }

  if (FLAG(d)) {
    // The supervisor: its own session, the container's output to the log.
    int ready[2];
    if (pipe2(ready, O_CLOEXEC)) perror_exit("pipe");
    fflush(0);
    pid_t shim = fork();
    if (shim < 0) perror_exit("fork");
    if (!shim) {
      close(ready[0]);
      setsid();
      int null = open("/dev/null", O_RDWR | O_CLOEXEC);
      char *log = container_path(&st, id, "container.log");
      int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
      if (null < 0 || logfd < 0) _exit(125);
      dup2(null, 0);
      dup2(logfd, 1);
      dup2(logfd, 2);
      struct spawn sp;
      cs.shim_pid = getpid();
      if (container_spawn(&rs, &sp) < 0) {
        dprintf(ready[1], "125 %s", applet.why);
        _exit(125);
      }
      cs.pid = sp.pid;
      cs.status = "running";
      clock_gettime(CLOCK_REALTIME, &now);
      fmt_rfc3339nano(cs.started_at, &now);
      container_save_state(&st, id, &cs);
      int code = container_go(&sp);
      if (code) {
        dprintf(ready[1], "%d %s", code, applet.why);
        cs.status = "exited", cs.exit_code = code, cs.pid = 0;
        cs.error = applet.why;
        waitpid(sp.pid, 0, 0);
      } else {
        close(ready[1]);
        int status;
        if (FLAG(t)) {
          // the terminal's output goes to the log
          int master = pty_receive(console[0]);
          if (master >= 0) pty_relay(master, 0);
        }
        while (waitpid(sp.pid, &status, 0) < 0 && errno == EINTR);
        cs.status = "exited";
        cs.pid = 0;
        cs.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      clock_gettime(CLOCK_REALTIME, &now);
      fmt_rfc3339nano(cs.finished_at, &now);
      cs.shim_pid = 0;
      container_save_state(&st, id, &cs);
      if (FLAG(rm)) rm_rf(dir);
      _exit(0);
    }
    close(ready[1]);
    char msg[1024];
    ssize_t n = readall(ready[0], msg, sizeof(msg) - 1);
    if (n > 0) {
      msg[n] = 0;
      applet.exitval = atoi(msg);
      error_msg("%s", strchrnul(msg, ' ') + 1);
      xexit();
    }
    puts(id);
    return;
  }

  // Foreground: we are the supervisor; stdio goes straight through.
  struct spawn sp;
  if (container_spawn(&rs, &sp) < 0) error_exit("%s", applet.why);
  if (console[1] >= 0) close(console[1]);
  child_pid = sp.pid;
  static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  for (size_t i = 0; i < ARRAY_LEN(sigs); i++) signal(sigs[i], forward_signal);
  cs.pid = sp.pid;
  cs.shim_pid = getpid();
  cs.status = "running";
  clock_gettime(CLOCK_REALTIME, &now);
  fmt_rfc3339nano(cs.started_at, &now);
  container_save_state(&st, id, &cs);
  int code = container_go(&sp), status = 0;
  if (code) {
    waitpid(sp.pid, 0, 0);
    cs.error = applet.why;
    error_msg("%s", applet.why);
  } else {
    if (FLAG(t)) {
      int master = pty_receive(console[0]);
      if (master >= 0) pty_relay(master, FLAG(i));
    }
    while (waitpid(sp.pid, &status, 0) < 0 && errno == EINTR);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  cs.status = "exited";
  cs.pid = cs.shim_pid = 0;
  cs.exit_code = code;
  clock_gettime(CLOCK_REALTIME, &now);
  fmt_rfc3339nano(cs.finished_at, &now);
  if (FLAG(rm)) rm_rf(dir);
  else container_save_state(&st, id, &cs);
  applet.exitval = code;
  xexit();
}
