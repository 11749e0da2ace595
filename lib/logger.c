// logger.c: Docker's json-file log driver. A small process beside the
// supervisor reads the container's stdout and stderr through two pipes and
// appends one JSON object per line to containers/<id>/container.log:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}
// rotating it by daemon.json's log-opts max-size and max-file. The reading
// side (logs, attach) turns the entries back into output.
#include "ocibox.h"
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define LOG_LINE 16384  // Docker's copier: a longer line is split, as partials

struct log_file {
  const char *path;
  long long max_size, size;  // max_size 0: never rotated
  int max_file, fd;
};

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

// The logger process: both pipes read until their end (tee[]: copies for
// an attached caller, or -1), each line an entry; never returns.
static NORETURN void log_run(struct log_file *f, int fd[2], int tee[2])
{
  struct {
    char b[LOG_LINE];
    size_t n;
  } s[2] = {0};
  int open_n = 2;

  log_open(f);
  while (open_n) {
    struct pollfd p[2] = {{fd[0], POLLIN, 0}, {fd[1], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) continue;
    for (int i = 0; i < 2; i++) {
      if (!p[i].revents) continue;
      ssize_t n = read(fd[i], s[i].b + s[i].n, LOG_LINE - s[i].n);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {  // the end: a partial last line is an entry of its own
        if (s[i].n) log_entry(f, i, s[i].b, s[i].n);
        close(fd[i]);
        fd[i] = -1;
        open_n--;
        continue;
      }
      if (tee[i] >= 0 && writeall(tee[i], s[i].b + s[i].n, n) < 0) tee[i] = -1;
      s[i].n += n;
      char *p0 = s[i].b, *end = p0 + s[i].n, *nl;
      for (; (nl = memchr(p0, '\n', end - p0)); p0 = nl + 1) log_entry(f, i, p0, nl + 1 - p0);
      if (p0 == s[i].b && s[i].n == LOG_LINE) log_entry(f, i, p0, LOG_LINE), p0 = end;
      memmove(s[i].b, p0, s[i].n = end - p0);
    }
  }
  _exit(0);
}

int logger_start(struct store *st, const char *id, int tee, struct logger *lg)
{
  struct json *opts = json_get(config_load()->tree, "log-opts");
  const char *mf = json_get_str(opts, "max-file");
  struct log_file f = {
    .path = container_path(st, id, "container.log"),
    .max_size = log_size(json_get_str(opts, "max-size")),
    .max_file = mf && atoi(mf) > 0 ? atoi(mf) : 1,
  };
  int out[2], err[2];

  fflush(0);
  lg->out = tee ? fcntl(1, F_DUPFD_CLOEXEC, 3) : open("/dev/null", O_WRONLY | O_CLOEXEC);
  lg->err = fcntl(tee ? 2 : lg->out, F_DUPFD_CLOEXEC, 3);
  if (lg->out < 0 || lg->err < 0 || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
      (lg->pid = fork()) < 0)
    return fail(errno, "logger: %s", strerror(errno));
  if (!lg->pid) {
    // Nothing of the supervisor's stays open here (the ready pipe of
    // run -d, the store's locks): only the pipes and the tee's copies.
    int keep[4] = {out[0], err[0], tee ? lg->out : -1, tee ? lg->err : -1};
    for (int fd = 0; fd < 1024; fd++)
      if (fd != keep[0] && fd != keep[1] && fd != keep[2] && fd != keep[3]) close(fd);
    syscall(SYS_close_range, 1024, ~0U, 0);
    // It outlives Ctrl-C and the like, to drain the pipes to their end.
    static const int sigs[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM};
    for (size_t k = 0; k < ARRAY_LEN(sigs); k++) signal(sigs[k], SIG_IGN);
    drop_code_pages();
    log_run(&f, (int[]){out[0], err[0]}, keep + 2);
  }
  free((char *)f.path);
  dup2(out[1], 1);
  dup2(err[1], 2);
  close(out[0]);
  close(out[1]);
  close(err[0]);
  close(err[1]);
  return 0;
}

void logger_stop(struct logger *lg)
{
  dup2(lg->out, 1);
  dup2(lg->err, 2);
  close(lg->out);
  close(lg->err);
  // Docker waits as long for its copier before the container counts as stopped.
  for (int i = 0; i < 200 && !waitpid(lg->pid, 0, WNOHANG); i++) usleep(10000);
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
