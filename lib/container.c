// container.c: containers on disk: containers/<id>/ holds config.json
// (what inspect shows, written once at create), state.json (rewritten
// atomically on every change), the overlay upper/work dirs, the rootfs
// mount point and the hosts files bind-mounted into the container.
#include "ocibox.h"
#include <dirent.h>
#include <signal.h>
#include <sys/random.h>

void container_new_id(char id[65])
{
  unsigned char r[32];

  if (getrandom(r, sizeof(r), 0) != sizeof(r)) perror_exit("getrandom");
  for (int i = 0; i < 32; i++) sprintf(id + 2 * i, "%02x", r[i]);
}

// Docker-style generated names: adjective_surname, of our own choosing.
static const char *const adjectives[] = {
  "admiring", "agitated", "amazing", "bold", "brave", "busy", "calm", "clever",
  "cool", "crazy", "dazzling", "eager", "elastic", "epic", "fervent", "focused",
  "friendly", "gallant", "gifted", "happy", "hungry", "jolly", "keen", "kind",
  "laughing", "loving", "lucid", "modest", "nifty", "nostalgic", "optimistic",
  "peaceful", "pensive", "quirky", "relaxed", "serene", "sharp", "silly",
  "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant", "wizardly",
  "wonderful", "youthful", "zealous", "zen",
};
static const char *const surnames[] = {
  "agnesi", "babbage", "bartik", "bohr", "boole", "cerf", "curie", "darwin",
  "dijkstra", "einstein", "euler", "fermat", "feynman", "galois", "gauss",
  "goldberg", "hamilton", "hopper", "hypatia", "johnson", "kepler", "knuth",
  "lamarr", "lamport", "liskov", "lovelace", "maxwell", "meitner", "mendel",
  "newton", "noether", "pascal", "perlman", "planck", "ritchie", "shannon",
  "sinoussi", "thompson", "torvalds", "turing", "wilson", "wozniak", "yalow",
};

void container_new_name(char out[64])
{
  unsigned r;

  if (getrandom(&r, sizeof(r), 0) != sizeof(r)) r = getpid();
  snprintf(out, 64, "%s_%s", adjectives[r % ARRAY_LEN(adjectives)],
           surnames[(r / ARRAY_LEN(adjectives)) % ARRAY_LEN(surnames)]);
}

// containers/<id>/FILE parsed; NULL (+ why) when unreadable or not JSON.
// (ps reads two for every container: most fit one read, without a copy)
static struct json *load_json(int dirfd, const char *id, const char *file, struct json_err *err)
{
  char path[96], small[8192], *text;
  size_t len;
  ssize_t n;
  struct json *j;

  snprintf(path, sizeof(path), "containers/%s/%s", id, file);
  if ((n = read_small_at(dirfd, path, small, sizeof(small))) >= 0 && n < (ssize_t)sizeof(small))
    j = json_parse(small, n, err);
  else if (readfile_at(dirfd, path, 1 << 20, &text, &len) < 0) return 0;
  else {
    j = json_parse(text, len, err);
    free(text);
  }
  if (!j) fail(EINVAL, "%s: %s", path, err->msg);
  return j;
}

// Read containers/<id>/config.json's Name (with its leading "/").
static char *name_of(int dirfd, const char *id)
{
  char *name = 0;
  struct json_err err;
  struct json *j = load_json(dirfd, id, "config.json", &err);
  const char *n = json_get_str(j, "Name");

  if (n) name = xstrdup(n + (*n == '/'));
  json_free(j);
  return name;
}

// Every container id (64 hex) in the store, in directory order.
static struct strlist *all_ids(struct store *s)
{
  struct strlist *ids = 0;
  int fd = openat(s->fd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? 0 : fdopendir(fd);
  struct dirent *de;

  if (!d) {
    if (fd >= 0) close(fd);
    return 0;
  }
  while ((de = readdir(d)))
    if (strlen(de->d_name) == 64 && strspn(de->d_name, "0123456789abcdef") == 64)
      strlist_add(&ids, xstrdup(de->d_name));
  closedir(d);
  return ids;
}

int container_name_taken(struct store *s, const char *name, char id_out[65])
{
  struct strlist *ids = all_ids(s), *l;
  int taken = 0;

  for (l = ids; l && !taken; l = l->next) {
    char *n = name_of(s->fd, l->s);
    if (n && !strcmp(n, name)) {
      taken = 1;
      if (id_out) strcpy(id_out, l->s);
    }
    free(n);
  }
  strlist_free(ids);
  return taken;
}

int container_find(struct store *s, const char *what, char id[65])
{
  struct strlist *ids = all_ids(s), *l;
  int found = 0;
  size_t n = strlen(what);

  if (*what == '/') what++, n--;
  // A full id wins, then a full name, then a unique id prefix (moby's
  // GetContainer): an id needs no config read.
  for (l = ids; l && !found; l = l->next)
    if (!strcmp(l->s, what)) strcpy(id, l->s), found = 1;
  if (!found && container_name_taken(s, what, id)) found = 1;
  if (!found && n && strspn(what, "0123456789abcdef") == n) {
    for (l = ids; l; l = l->next)
      if (!strncmp(l->s, what, n)) {
        if (found++) break;
        strcpy(id, l->s);
      }
  }
  strlist_free(ids);
  if (found == 1) return 0;
  if (found > 1) return fail(EEXIST, "multiple IDs found with provided prefix: %s", what);
  return fail(ENOENT, "No such container: %s", what);
}

char *container_path(struct store *s, const char *id, const char *file)
{
  return xmprintf("%s/containers/%s%s%s", s->root, id, file ? "/" : "", file ? file : "");
}

// This boot's id (the kernel's random boot_id), or NULL; read once (ps
// asks for every container).
static char *boot_id(char out[40])
{
  static char id[40];
  char *text;
  if (!*id) {
    if (readfile_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", 64, &text, 0) < 0) return 0;
    snprintf(id, sizeof(id), "%.36s", text);
    free(text);
  }
  return strcpy(out, id);
}

int container_arg(struct store *s, const char *arg, char id[65], struct container *c)
{
  if (container_find(s, arg, id) == 0 && container_load(s, id, c) == 0) return 0;
  error_msg("%s", applet.why);
  return -1;
}

// <root>/init: the init layer of every container (Docker makes one per
// container, but it is the same for all): the mount points and the hosts
// files' targets, a lower dir above the image's layers so that diff and
// commit never see them. Made once a store; 0, or -1 + why.
int container_init_layer(struct store *st)
{
  static const char *const dirs[] = {"", "/dev", "/proc", "/sys", "/etc"};
  static const char *const files[] = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};
  char stage[96], p[128];
  int rc = 0, fd;

  if (exists_at(st->fd, "init/etc/resolv.conf")) return 0;
  mkdirat(st->fd, "tmp", 0700);
  snprintf(stage, sizeof(stage), "tmp/%d-init", (int)getpid());
  for (size_t i = 0; i < ARRAY_LEN(dirs) && !rc; i++) {
    snprintf(p, sizeof(p), "%s%s", stage, dirs[i]);
    if (mkdirat(st->fd, p, 0755) || fchmodat(st->fd, p, 0755, 0)) rc = fail(errno, "%s: %s", p, strerror(errno));
  }
  for (size_t i = 0; i < ARRAY_LEN(files) && !rc; i++) {
    snprintf(p, sizeof(p), "%s%s", stage, files[i]);
    if ((fd = openat(st->fd, p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0) rc = fail(errno, "%s: %s", p, strerror(errno));
    else close(fd);
  }
  // (someone else's, made meanwhile, is as good)
  if (!rc && (syncfs(st->fd) || (renameat(st->fd, stage, st->fd, "init") && errno != EEXIST && errno != ENOTEMPTY)))
    rc = fail(errno, "init layer: %s", strerror(errno));
  if (!rc) fsync_dir_at(st->fd, ".");
  snprintf(p, sizeof(p), "%s/%s", st->root, stage);
  if (exists_at(st->fd, stage)) rm_rf(p);
  return rc;
}

void container_state_json(const struct container_state *st, struct buf *b)
{
  struct jw w;

  jw_init(&w, b, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Status", st->status);
  int restarting = !strcmp(st->status, "restarting");
  jw_bool(&w, "Running", restarting || !strcmp(st->status, "running"));
  jw_bool(&w, "Paused", 0);
  jw_bool(&w, "Restarting", restarting);
  jw_bool(&w, "OOMKilled", st->oom_killed);
  jw_bool(&w, "Dead", !strcmp(st->status, "dead"));
  jw_int(&w, "Pid", st->pid);
  jw_int(&w, "ExitCode", st->exit_code);
  jw_str(&w, "Error", st->error);
  jw_str(&w, "StartedAt", *st->started_at ? st->started_at : "0001-01-01T00:00:00Z");
  jw_str(&w, "FinishedAt", *st->finished_at ? st->finished_at : "0001-01-01T00:00:00Z");
  jw_int(&w, "ShimPid", st->shim_pid);
  jw_int(&w, "RestartCount", st->restart_count);
  // A reboot ends every container: a state from another boot is stale.
  char boot[40];
  if (st->shim_pid && boot_id(boot)) jw_str(&w, "BootId", boot);
  if (st->ports) jw_raw(&w, "Ports", st->ports);
  if (st->network) jw_raw(&w, "Network", st->network);
  jw_end(&w);
  buf_addc(b, '\n');
}

// Not fsync'd: a state is true only until the next reboot, and one torn
// by a crash reads as a container the crash ended (container_load).
int container_save_state(struct store *s, const char *id, const struct container_state *st)
{
  struct buf b = {0};
  char path[96];
  int rc;

  container_state_json(st, &b);
  snprintf(path, sizeof(path), "containers/%s/state.json", id);
  rc = replace_file_at(s->fd, path, b.s, b.len, 0644);
  buf_free(&b);
  return rc;
}

static void copy_str(char *dst, size_t n, const char *src)
{
  snprintf(dst, n, "%s", src ? src : "");
}

// Alive and not a zombie left unreaped by whoever inherited it.
static int pid_alive(int pid)
{
  char path[32], text[1024], *paren;
  ssize_t n;

  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  if ((n = read_small_at(AT_FDCWD, path, text, sizeof(text) - 1)) <= 0) return 0;
  text[n] = 0;
  paren = strrchr(text, ')');
  return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

int container_load(struct store *s, const char *id, struct container *c)
{
  struct json_err err;
  struct json *j;

  memset(c, 0, sizeof(*c));
  copy_str(c->id, sizeof(c->id), id);
  if (!(j = load_json(s->fd, id, "config.json", &err))) return -1;
  c->config = j;
  const char *n = json_get_str(j, "Name");
  copy_str(c->name, sizeof(c->name), n ? n + (*n == '/') : "");
  copy_str(c->image, sizeof(c->image), json_get_str(json_get(j, "Config"), "Image"));
  copy_str(c->created, sizeof(c->created), json_get_str(j, "Created"));
  if (!(j = load_json(s->fd, id, "state.json", &err))) {  // torn by a crash (it is not fsync'd): the crash ended it
    strcpy(c->status, "exited");
    c->exit_code = 255;
    c->stale = 1;
    copy_str(c->error, sizeof(c->error), "its state was lost in a crash");
    return 0;
  }
  long long v = 0;
  copy_str(c->status, sizeof(c->status), json_get_str(j, "Status"));
  if (!json_int(json_get(j, "Pid"), &v)) c->pid = v;
  if (!json_int(json_get(j, "ShimPid"), &v)) c->shim_pid = v;
  if (!json_int(json_get(j, "ExitCode"), &v)) c->exit_code = v;
  if (!json_int(json_get(j, "RestartCount"), &v)) c->restart_count = v;
  copy_str(c->started_at, sizeof(c->started_at), json_get_str(j, "StartedAt"));
  copy_str(c->finished_at, sizeof(c->finished_at), json_get_str(j, "FinishedAt"));
  copy_str(c->error, sizeof(c->error), json_get_str(j, "Error"));
  struct json *oom = json_get(j, "OOMKilled");
  c->oom_killed = oom && oom->type == JSON_TRUE;
  c->state = j;
  if (CFG_CGROUPS && !strcmp(c->status, "running")) c->paused = cgroup_frozen(id);
  // A supervisor killed with -9 cannot record the end: tell the truth.
  // (While it lives, it reaps the container and records the real status.)
  char boot[40];
  const char *was = json_get_str(j, "BootId");
  int running = !strcmp(c->status, "running") || !strcmp(c->status, "restarting");
  if (running && ((was && boot_id(boot) && strcmp(was, boot)) ||
                  (!pid_alive(c->shim_pid) && (c->pid <= 0 || !pid_alive(c->pid))))) {
    c->stale = 1;
    strcpy(c->status, "exited");
    c->exit_code = 255;
    c->pid = 0;
    copy_str(c->error, sizeof(c->error), "the container's supervisor was killed");
  }
  return 0;
}

void container_free(struct container *c)
{
  json_free(c->config);
  json_free(c->state);
  c->config = c->state = 0;
}

struct strlist *container_ids(struct store *s)
{
  return all_ids(s);
}

int container_signal(struct container *c, int sig)
{
  if (strcmp(c->status, "running") || c->pid <= 0)
    return fail(EINVAL, "container %s is not running", c->id);
  if (kill(c->pid, sig)) return fail(errno, "kill %d: %s", c->pid, strerror(errno));
  // A frozen container gets the signal once thawed, as Docker does.
  if (CFG_CGROUPS && c->paused) cgroup_freeze(c->id, 0);
  return 0;
}

int container_wait_exit(struct store *s, struct container *c, int timeout_ms)
{
  char id[65];

  copy_str(id, sizeof(id), c->id);
  for (int waited = 0;; waited += 20) {
    container_free(c);
    if (container_load(s, id, c) < 0) return 0;  // removed (--rm): it ended
    if (strcmp(c->status, "running") && strcmp(c->status, "restarting")) return 0;
    if (timeout_ms >= 0 && waited >= timeout_ms) return -1;
    usleep(20000);
  }
}

// Docker's stop: marked as stopped by hand (no restart), the signal, then
// SIGKILL after secs (< 0: wait for ever). Also ends a pending restart.
void container_stop(struct store *s, struct container *c, int sig, int secs)
{
  if (strcmp(c->status, "running") && strcmp(c->status, "restarting")) return;
  if (CFG_RESTART_POLICIES) policy_mark_stopped(s, c->id, 1);
  container_signal(c, sig);
  if (container_wait_exit(s, c, secs < 0 ? -1 : secs * 1000) < 0) {
    container_signal(c, SIGKILL);
    container_wait_exit(s, c, -1);
  }
}

// base with patch's members laid over it, objects merged member by member
// (RFC 7386's merge patch, without deletion).
static void merge(struct jw *w, const char *key, const struct json *base, const struct json *patch)
{
  if (!base || base->type != JSON_OBJECT || !patch || patch->type != JSON_OBJECT) {
    jw_value(w, key, patch ? patch : base);
    return;
  }
  jw_obj(w, key);
  for (struct json *e = base->child; e; e = e->next) merge(w, e->key, e, json_get(patch, e->key));
  for (struct json *e = patch->child; e; e = e->next)
    if (!json_get(base, e->key)) jw_value(w, e->key, e);
  jw_end(w);
}

int container_update_config(struct store *s, const char *id, const char *patch)
{
  char path[96];
  struct json_err err;
  struct buf b = {0};
  struct jw w;
  int rc = -1;

  snprintf(path, sizeof(path), "containers/%s/config.json", id);
  struct json *base = load_json(s->fd, id, "config.json", &err), *p;
  if (!base) return -1;
  if ((p = json_parse(patch, strlen(patch), &err))) {
    jw_init(&w, &b, 0);
    merge(&w, 0, base, p);
    buf_addc(&b, '\n');
    rc = atomic_write_at(s->fd, path, b.s, b.len, 0644);
  } else fail(EINVAL, "%s: %s", path, err.msg);
  json_free(base);
  json_free(p);
  buf_free(&b);
  return rc;
}

void container_stop_defaults(const struct container *c, int *sig, int *secs)
{
  struct json *cfg = json_get(c->config, "Config");
  const char *ss = json_get_str(cfg, "StopSignal");
  long long t;
  if (!*sig) *sig = ss && signal_parse(ss) > 0 ? signal_parse(ss) : SIGTERM;
  if (*secs == -2) *secs = json_int(json_get(cfg, "StopTimeout"), &t) ? 10 : (int)t;
}
