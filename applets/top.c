// top.c: docker top: the host's ps with the options given (default -ef),
// its header and the rows of the container's processes, the ones in the
// pid namespace of the container's init (moby daemon/top_unix.go; the
// CLI's container/top.go lays them out with a tabwriter of minwidth 20).
//
//applet:top "^<1"
//config:config TOP
//config:	bool "top: display the running processes of a container"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: top CONTAINER [ps OPTIONS]
//config:
//config:	  Display the running processes of a container: the host's ps
//config:	  (the first on PATH) run with the options given, -ef by default,
//config:	  showing the rows of the container's processes.

#define FOR_top
#include "ocibox.h"
#include "generated/flags.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define WS " \t\n\f\r"  // Go's ASCII white space (fieldsASCII, RE2's \s)

// Docker refuses options that would call another column PID, the one the
// rows are picked by: its regexp `\s+(\S*)=\s*(PID\S*)` with a key not "pid".
static void check_args(const char *s)
{
  for (const char *p = s; (p = strpbrk(p, WS));) {
    p += strspn(p, WS);
    size_t n = strcspn(p, WS), j = n;
    while (j--) {
      const char *v = p + j + 1;
      if (p[j] != '=') continue;
      if (j + 1 == n) v += strspn(v, WS);
      if (strncmp(v, "PID", 3)) continue;
      if (j != 3 || strncmp(p, "pid", 3))
        error_exit("specifying \"%.*s=%.*s\" is not allowed", (int)j, p, (int)strcspn(v, WS), v);
      break;
    }
    p += n;
  }
}

// The container's processes: every pid in its init's pid namespace (exec
// joins it too). Also as ps's "-q1,2,3". NULL when the init is gone.
static int *container_pids(int init, size_t *n, struct buf *q)
{
  char path[40];
  struct stat ns, st;
  struct dirent *de;
  DIR *d;
  int *v = 0;

  snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
  if (init <= 0 || stat(path, &ns) || !(d = opendir("/proc"))) return 0;
  buf_adds(q, "-q");
  while ((de = readdir(d))) {
    int pid = atoi(de->d_name);
    snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
    if (pid <= 0 || stat(path, &st) || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev) continue;
    v = xrealloc(v, (*n + 1) * sizeof(*v));
    v[(*n)++] = pid;
    buf_printf(q, q->len > 2 ? ",%d" : "%d", pid);
  }
  closedir(d);
  return v;
}

// Run ps: its output and errors land in memfds, read once it ended.
static int run_ps(char **argv, struct buf *out, struct buf *err)
{
  int fd[2] = {memfd_create("ps", MFD_CLOEXEC), memfd_create("ps", MFD_CLOEXEC)}, status;
  char chunk[4096];
  ssize_t r;
  pid_t pid;

  if (fd[0] < 0 || fd[1] < 0) perror_exit("memfd_create");
  fflush(0);
  if ((pid = fork()) < 0) perror_exit("fork");
  if (!pid) {
    dup2(fd[0], 1);
    dup2(fd[1], 2);
    execvp(*argv, argv);
    fprintf(stderr, "exec: \"ps\": %s\n", errno == ENOENT ? "executable file not found in $PATH" : strerror(errno));
    _exit(127);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR);
  buf_free(out);
  buf_free(err);
  for (int i = 0; i < 2; i++) {
    lseek(fd[i], 0, SEEK_SET);
    while ((r = read(fd[i], chunk, sizeof(chunk))) > 0) buf_add(i ? err : out, chunk, r);
    close(fd[i]);
  }
  return status;
}

// Split a line at ASCII white space, in place.
static size_t fields(char *s, char ***v)
{
  size_t n = 0;

  while (*(s += strspn(s, WS))) {
    *v = xrealloc(*v, (n + 1) * sizeof(**v));
    (*v)[n++] = s;
    s += strcspn(s, WS);
    if (*s) *s++ = 0;
  }
  return n;
}

// A row as Docker keeps it: the fields past the last column's start
// joined by single spaces (a command's arguments).
static void add_row(struct buf *t, char **f, size_t n, size_t ncols)
{
  for (size_t i = 0; i < n; i++) buf_printf(t, "%s%c", f[i], i + 1 == n ? '\n' : i + 1 < ncols ? '\t' : ' ');
}

void top_main(void)
{
  struct store st;
  struct container c;
  struct buf args = {0}, q = {0}, out = {0}, err = {0}, t = {0};
  char id[65], **argv, **f = 0, *line, *next, *p;
  size_t n, npids = 0, ncols = 0, pid_col;
  int *pids, status, keep = 0;

  // Docker gets the options joined by spaces and splits them at each one.
  for (int i = 1; i < applet.argc; i++) buf_printf(&args, "%s%s", i > 1 ? " " : "", applet.argv[i]);
  if (!args.len) buf_adds(&args, "-ef");
  check_args(args.s);
  if (store_open(&st, STORE_READ) < 0 || container_find(&st, *applet.argv, id) < 0 ||
      container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  if (strcmp(c.status, "running") || !(pids = container_pids(c.pid, &npids, &q)))
    error_exit("container %s is not running", id);

  for (n = 3, p = args.s; *p; p++) n += *p == ' ';
  argv = xzalloc((n + 1) * sizeof(*argv));
  *argv = "ps";
  for (n = 1, p = args.s; p; n++) argv[n] = strsep(&p, " ");
  // First with the container's pids; some options (f) refuse -q: without.
  argv[n] = q.s;
  if (run_ps(argv, &out, &err)) {
    argv[n] = 0;
    if ((status = run_ps(argv, &out, &err))) {
      if (err.len && *err.s != '\n') error_exit("ps: %.*s", (int)strcspn(err.s, "\n"), err.s);
      error_exit("ps: exit status %d", WEXITSTATUS(status));
    }
  }

  // The titles, then the rows whose PID is the container's; a "-" PID is
  // a thread line (ps m) of the process above it.
  next = out.s ? out.s : (char *)"";
  for (int l = 0; (line = next); l++) {
    if ((next = strchr(line, '\n'))) *next++ = 0;
    n = fields(line, &f);
    if (!l) {
      for (pid_col = 0; pid_col < n && strcmp(f[pid_col], "PID"); pid_col++);
      if (pid_col == n) error_exit("Couldn't find PID field in ps output");
      add_row(&t, f, ncols = n, n);
      continue;
    }
    if (n <= pid_col) continue;
    if (strcmp(f[pid_col], "-")) {
      long pid = strtol(f[pid_col], &p, 10);
      if (*p || p == f[pid_col])
        error_exit("Unexpected pid '%s': strconv.Atoi: parsing \"%s\": invalid syntax", f[pid_col], f[pid_col]);
      keep = 0;
      for (size_t i = 0; i < npids; i++) keep |= pids[i] == pid;
    }
    if (keep) add_row(&t, f, n, ncols);
  }
  table_flush_min(buf_str(&t), stdout, 20);
}
