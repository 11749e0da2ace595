// logger.c: Docker's json-file log driver. The supervisor reads the
// container's stdout and stderr through two pipes while it waits for it,
// and appends one JSON object per line to containers/<id>/container.log:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}
// rotating it by daemon.json's log-opts max-size and max-file. The reading
// side (logs, attach) turns the entries back into output.
#include "ocibox.h"
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define LOG_LINE sizeof(((struct logger *)0)->line[0])

// go-units RAMInBytes: "10m", "1.5g", "512KiB", "1024"; 0 when unset or bad.
static long long log_size(const char *s)
{
  static const char units[] = "kmgtp";
  char *e;
  double v = s ? strtod(s, &e) : -1;
  const char *u;

  if (!s || e == s || v < 0) return 0;
  if (*e == ' ') e++;
  if (*e && (u = strchr(units, *e | 32))) {
    e++;
    for (long k = u - units; k-- >= 0;) v *= 1024;
  }
  if ((*e | 32) == 'i') e++;
  if ((*e | 32) == 'b') e++;
  return *e ? 0 : (long long)v;
}

// Go's encoding/json escaping as Docker's jsonlog writes it: json_quote's,
// plus <, > and & as \u003c..., and tab as \u0009.
static void log_quote(struct buf *b, const char *s, size_t n)
{
  struct buf q = {0};

  json_quote(&q, s, n);
  for (const char *p = q.s; *p; p++) {
    if (*p == '\\' && p[1] == 't') buf_adds(b, "\\u0009"), p++;
    else if (*p == '\\') buf_add(b, p++, 2);  // an escape's second byte is never special
    else if (*p == '<' || *p == '>' || *p == '&') buf_printf(b, "\\u00%02x", *p);
    else buf_addc(b, *p);
  }
  buf_free(&q);
}

static void log_open(struct log_file *f)
{
  f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  f->size = f->fd < 0 ? 0 : lseek(f->fd, 0, SEEK_END);
}

// container.log → .1 → .2 ..., the oldest dropped; max-file 1: started over.
static void log_rotate(struct log_file *f)
{
  char from[PATH_MAX], to[PATH_MAX];

  close(f->fd);
  for (int k = f->max_file - 1; k > 0; k--) {
    snprintf(from, sizeof(from), k > 1 ? "%s.%d" : "%s", f->path, k - 1);
    snprintf(to, sizeof(to), "%s.%d", f->path, k);
    rename(from, to);
  }
  if (f->max_file < 2) unlink(f->path);
  log_open(f);
}

// One entry, written with one write() so readers never see half of it.
static void log_entry(struct log_file *f, int err, const char *s, size_t n)
{
  struct buf b = {0};
  struct timespec now;
  char t[40];

  clock_gettime(CLOCK_REALTIME, &now);
  buf_adds(&b, "{\"log\":");
  log_quote(&b, s, n);
  buf_printf(&b, ",\"stream\":\"%s\",\"time\":\"%s\"}\n", err ? "stderr" : "stdout",
             fmt_rfc3339nano(t, &now));
  if (f->max_size && f->size >= f->max_size) log_rotate(f);
  else if (f->fd < 0) log_open(f);  // (failed before: tried again)
  if (f->fd >= 0 && writeall(f->fd, b.s, b.len) > 0) f->size += b.len;
  buf_free(&b);
}

// What pipe i has now, entry by entry; 0 at its end (or nothing to read).
static int log_read(struct logger *lg, int i)
{
  char *b = lg->line[i];
  ssize_t n;

  while ((n = read(lg->fd[i], b + lg->n[i], LOG_LINE - lg->n[i])) < 0 && errno == EINTR);
  if (n <= 0) return 0;
  if (lg->tee && writeall(i ? lg->err : lg->out, b + lg->n[i], n) < 0) lg->tee = 0;
  lg->n[i] += n;
  char *p = b, *end = b + lg->n[i], *nl;
  for (; (nl = memchr(p, '\n', end - p)); p = nl + 1) log_entry(&lg->f, i, p, nl + 1 - p);
  if (p == b && lg->n[i] == LOG_LINE) log_entry(&lg->f, i, p, LOG_LINE), p = end;
  memmove(b, p, lg->n[i] = end - p);
  return 1;
}

static void on_child(int sig)
{
  (void)sig;  // (only to end a ppoll)
}

int logger_wait(struct logger *lg, int pid, int idle)
{
  struct sigaction sa = {.sa_handler = on_child}, old;
  sigset_t chld, orig, waiting;
  int status = 0, quiet = 0, n;
  pid_t r;

  // SIGCHLD blocked but while in ppoll: an end is never missed.
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigaction(SIGCHLD, &sa, &old);
  sigprocmask(SIG_BLOCK, &chld, &orig);
  waiting = orig;
  sigdelset(&waiting, SIGCHLD);
  while (!(r = waitpid(pid, &status, WNOHANG)) || (r < 0 && errno == EINTR)) {
    struct pollfd p[2] = {{lg->fd[0], POLLIN, 0}, {lg->fd[1], POLLIN, 0}};
    // After a quiet second a detached container's wait may be long.
    if (idle && quiet) n = idle_syscall(SYS_ppoll, (long)p, 2, 0, (long)&waiting, sizeof(long));
    else n = ppoll(p, 2, &(struct timespec){1, 0}, &waiting);
    quiet = !n;
    for (int i = 0; i < 2 && n > 0; i++)
      if (p[i].revents) log_read(lg, i);
  }
  // Its namespace's processes are gone with it: what they wrote is here.
  for (int i = 0; i < 2; i++)
    while (log_read(lg, i));
  sigprocmask(SIG_SETMASK, &orig, 0);
  sigaction(SIGCHLD, &old, 0);
  return status;
}

int logger_start(struct store *st, const char *id, int tee, struct logger *lg)
{
  struct json *opts = json_get(config_load()->tree, "log-opts");
  const char *mf = json_get_str(opts, "max-file");
  int out[2], err[2];

  lg->f = (struct log_file){
    .path = container_path(st, id, "container.log"),
    .max_size = log_size(json_get_str(opts, "max-size")),
    .max_file = mf && atoi(mf) > 0 ? atoi(mf) : 1,
  };
  lg->n[0] = lg->n[1] = 0;
  lg->tee = tee;
  fflush(0);
  lg->out = tee ? fcntl(1, F_DUPFD_CLOEXEC, 3) : open("/dev/null", O_WRONLY | O_CLOEXEC);
  lg->err = fcntl(tee ? 2 : lg->out, F_DUPFD_CLOEXEC, 3);
  // (read ends non-blocking: what is left is read without waiting)
  if (lg->out < 0 || lg->err < 0 || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
      fcntl(out[0], F_SETFL, O_NONBLOCK) || fcntl(err[0], F_SETFL, O_NONBLOCK))
    return fail(errno, "logger: %s", strerror(errno));
  log_open(&lg->f);
  lg->fd[0] = out[0];
  lg->fd[1] = err[0];
  dup2(out[1], 1);
  dup2(err[1], 2);
  close(out[1]);
  close(err[1]);
  lg->on = 1;
  return 0;
}

void logger_stop(struct logger *lg)
{
  if (!lg->on) return;
  fflush(0);
  dup2(lg->out, 1);
  dup2(lg->err, 2);
  close(lg->out);
  close(lg->err);
  for (int i = 0; i < 2; i++) {
    while (log_read(lg, i));
    if (lg->n[i]) log_entry(&lg->f, i, lg->line[i], lg->n[i]);  // a last line without its end
    close(lg->fd[i]);
  }
  if (lg->f.fd >= 0) close(lg->f.fd);
  free((char *)lg->f.path);
  lg->on = 0;
}

// ---- the reading side: logs, attach -------------------------------------

struct log_view {
  const struct log_opts *o;
  long long skip;  // entries left out before the first shown (--tail)
  int done;        // an entry after --until was seen
  struct buf line; // the start of a line not yet complete
};

static long long ns(const struct timespec *t)
{
  return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void show_entry(struct log_view *v, const char *s, size_t n)
{
  const struct log_opts *o = v->o;
  struct json_err e;
  struct timespec t;
  struct buf b = {0};

  if (v->done) return;
  if (v->skip > 0) {
    v->skip--;
    return;
  }
  struct json *j = json_parse(s, n, &e), *log = json_get(j, "log");
  const char *stream = json_get_str(j, "stream"), *time = json_get_str(j, "time");
  if (!log || log->type != JSON_STRING || !time || parse_rfc3339(time, &t)) {
    buf_add(&b, s, n);  // not an entry (a log from before): shown as it is
    buf_addc(&b, '\n');
  } else if (ns(&o->until) && ns(&t) > ns(&o->until)) {
    v->done = 1;
  } else if (ns(&t) >= ns(&o->since)) {
    // Docker's RFC3339NanoFixed: the logger's UTC time, 9 digits always
    if (o->timestamps) buf_printf(&b, "%.19s.%09ldZ ", time, t.tv_nsec);
    if (o->details) buf_addc(&b, ' ');  // no attrs: what precedes them alone
    buf_add(&b, log->str, log->len);
  }
  if (b.len) xwriteall(stream && !strcmp(stream, "stderr") ? 2 : 1, b.s, b.len);
  buf_free(&b);
  json_free(j);
}

// Read fd to its end or limit bytes, entry by entry; with count, only
// count the lines. Returns the bytes read.
static long long show_file(struct log_view *v, int fd, long long limit, long long *count)
{
  char b[16384], *p, *nl;
  long long total = 0;
  ssize_t n;

  while (fd >= 0 && !v->done && limit > total &&
         (n = read(fd, b, limit - total < (long long)sizeof(b) ? (size_t)(limit - total) : sizeof(b))) > 0) {
    total += n;
    for (p = b; (nl = memchr(p, '\n', b + n - p)); p = nl + 1) {
      if (count) ++*count;
      else if (v->line.len) {
        buf_add(&v->line, p, nl - p);
        show_entry(v, v->line.s, v->line.len);
        v->line.len = 0;
      } else show_entry(v, p, nl - p);
    }
    if (!count) buf_add(&v->line, p, b + n - p);
  }
  return total;
}

void logs_show(struct store *st, struct container *c, const struct log_opts *o)
{
  char *base = container_path(st, c->id, "container.log"), id[65], path[PATH_MAX];
  struct log_view v = {.o = o};
  int k = 0, final = strcmp(c->status, "running");
  struct stat a, b;

  strcpy(id, c->id);
  do snprintf(path, sizeof(path), "%s.%d", base, ++k);
  while (exists_at(AT_FDCWD, path));
  // The rotated files oldest first, then the current one; with --tail,
  // its lines counted first, then as many skipped.
  int *fd = xmalloc(k * sizeof(*fd));
  long long *size = xmalloc(k * sizeof(*size)), lines = 0;
  for (int i = 0; i < k; i++) {
    snprintf(path, sizeof(path), i < k - 1 ? "%s.%d" : "%s", base, k - 1 - i);
    fd[i] = open(path, O_RDONLY | O_CLOEXEC);
    size[i] = o->tail < 0 ? LLONG_MAX : o->tail ? show_file(&v, fd[i], LLONG_MAX, &lines) : 0;
    if (fd[i] >= 0) lseek(fd[i], 0, o->tail ? SEEK_SET : SEEK_END);
  }
  v.skip = o->tail < 0 || lines < o->tail ? 0 : lines - o->tail;
  for (int i = 0; i < k; i++) {
    show_file(&v, fd[i], size[i], 0);
    v.line.len = 0;
    if (i < k - 1 && fd[i] >= 0) close(fd[i]);
  }
  int cur = fd[k - 1];
  free(fd);
  free(size);
  // Follow the current file, and its successor after a rotation, until
  // the container stops: one more read once it is seen stopped.
  while (o->follow && !v.done) {
    if (!stat(base, &a) && (cur < 0 || (!fstat(cur, &b) && a.st_ino != b.st_ino))) {
      show_file(&v, cur, LLONG_MAX, 0);  // what it got before the rotation
      if (cur >= 0) close(cur);
      cur = open(base, O_RDONLY | O_CLOEXEC);
      v.line.len = 0;
    } else if (final) {
      break;
    } else {
      usleep(100000);
      container_free(c);
      final = container_load(st, id, c) < 0 || strcmp(c->status, "running");
    }
    show_file(&v, cur, LLONG_MAX, 0);
  }
  if (cur >= 0) close(cur);
  buf_free(&v.line);
  free(base);
}
