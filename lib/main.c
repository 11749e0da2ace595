// main.c: the multicall front: pick the applet by argv[0]'s basename or by
// the first argument, handle ocibox's own options, and Docker's
// object-verb forms (`docker image ls`) when called as docker.
#include "ocibox.h"
#include <sys/syscall.h>
#include "generated/help.h"

#define APPLET(name, fn, opt, help, summary, bits) void fn(void);
#include "generated/applets.h"
#undef APPLET
#define APPLET(name, fn, opt, help, summary, bits) {name, fn, opt, help, summary, bits},
static const struct applet applets[] = {
#include "generated/applets.h"
};
#undef APPLET

struct applet_context applet;

const struct applet *applet_find(const char *name)
{
  // The table is sorted by name.
  size_t lo = 0, hi = ARRAY_LEN(applets);
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = strcmp(name, applets[mid].name);
    if (!c) return applets + mid;
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return 0;
}

const struct applet *applet_at(size_t i)
{
  return i < ARRAY_LEN(applets) ? applets + i : 0;
}

void run_applet(const struct applet *a, char **argv)
{
  applet.which = a;
  args_parse(a, argv);
  a->main();
  xexit();
}

const char *data_root(void)
{
  if (!applet.root) applet.root = getenv("OCIBOX_ROOT");
  if (!applet.root || !*applet.root) {
    struct ocibox_config *c = config_load();
    applet.root = c->data_root ? c->data_root : "/var/lib/ocibox";
  }
  // A relative --root or OCIBOX_ROOT: made absolute now, as the mounts and
  // the supervisor of a container are made from other directories.
  if (*applet.root != '/') {
    char cwd[PATH_MAX];
    if (syscall(SYS_getcwd, cwd, sizeof(cwd)) > 0) applet.root = xmprintf("%s/%s", cwd, applet.root);
  }
  return applet.root;
}

static void overview(FILE *out)
{
  fprintf(out,
    "ocibox %s: Docker's image and container commands, one small static binary.\n\n"
    "usage: ocibox [--root DIR] [--config FILE] APPLET [ARGS...]\n"
    "   or: APPLET [ARGS...]          (a link named APPLET)\n"
    "%s"
    "       ocibox --list | --install [-s] DIR | --help | APPLET --help\n\n"
    "Applets:\n", OCIBOX_VERSION,
    CFG_DOCKER_FRONT ? "   or: docker COMMAND [ARGS...]  (a link named docker)\n" : "");
  for (size_t i = 0; i < ARRAY_LEN(applets); i++)
    if (!(applets[i].bits & APPLET_HIDDEN))
      fprintf(out, "  %-12s %s\n", applets[i].name, applets[i].summary);
}

// Links for every applet (and docker) in dir: hard by default, -s symbolic.
static void install_links(int symbolic, const char *dir)
{
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n < 0) perror_exit("/proc/self/exe");
  self[n] = 0;
  const char *extra[] = {CFG_DOCKER_FRONT ? "docker" : 0};
  for (size_t i = 0; i < ARRAY_LEN(applets) + ARRAY_LEN(extra); i++) {
    const char *name = i < ARRAY_LEN(applets) ? applets[i].name : extra[i - ARRAY_LEN(applets)];
    if (!name || (i < ARRAY_LEN(applets) && (applets[i].bits & APPLET_HIDDEN))) continue;
    char *path = xmprintf("%s/%s", dir, name);
    unlink(path);
    if (symbolic ? symlink(self, path) : link(self, path)) perror_exit("%s", path);
    free(path);
  }
}

// ocibox's own options, before the applet name. Returns the first argument
// left: the applet's name.
static char **front_options(char **argv)
{
  for (; *argv && **argv == '-'; argv++) {
    char *a = *argv, *val = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      overview(stdout);
      xexit();
    }
    if (!strcmp(a, "--list")) {
      for (size_t i = 0; i < ARRAY_LEN(applets); i++) puts(applets[i].name);
      xexit();
    }
    if (!strcmp(a, "--install")) {
      int sym = argv[1] && !strcmp(argv[1], "-s");
      if (!argv[1 + sym] || argv[2 + sym]) error_exit("usage: ocibox --install [-s] DIR");
      install_links(sym, argv[1 + sym]);
      xexit();
    }
    if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
      printf("ocibox version %s\n", OCIBOX_VERSION);
      xexit();
    }
    // --root DIR, --root=DIR, --config FILE, --config=FILE
    const char *opts[] = {"--root", "--config"};
    size_t k;
    for (k = 0; k < ARRAY_LEN(opts); k++) {
      size_t len = strlen(opts[k]);
      if (strncmp(a, opts[k], len)) continue;
      if (a[len] == '=') val = a + len + 1;
      else if (!a[len]) val = *++argv;
      else continue;
      if (!val) error_exit("flag needs an argument: %s", opts[k]);
      break;
    }
    if (k == 0) applet.root = val;
    else if (k == 1) applet.config_path = val;
    else error_exit("unknown flag: %s\nSee 'ocibox --help'.", a);
  }
  return argv;
}

// Docker's object-verb forms whose verb is not the applet's own name.
static const char *const docker_verbs[][3] = {
  {"container", "ls", "ps"}, {"container", "list", "ps"},
  {"container", "ps", "ps"}, {"container", "remove", "rm"},
  {"container", "prune", "container-prune"},
  {"image", "ls", "images"}, {"image", "list", "images"},
  {"image", "rm", "rmi"}, {"image", "remove", "rmi"},
  {"image", "prune", "image-prune"},
  {"system", "df", "system-df"}, {"system", "info", "info"},
  {"system", "prune", "system-prune"},
};
static const char *const docker_objects[] = {"container", "image", "system"};

// `docker image ls` → images; `docker container logs` → logs. Returns the
// applet's name; *argv then points at what the applet parses.
static const char *docker_map(char ***argvp)
{
  char **argv = *argvp, *obj = argv[0];
  size_t i;
  for (i = 0; i < ARRAY_LEN(docker_objects); i++)
    if (!strcmp(obj, docker_objects[i])) break;
  if (i == ARRAY_LEN(docker_objects) || !argv[1] || argv[1][0] == '-') return obj;
  *argvp = argv + 1;
  for (i = 0; i < ARRAY_LEN(docker_verbs); i++)
    if (!strcmp(obj, docker_verbs[i][0]) && !strcmp(argv[1], docker_verbs[i][1]))
      return docker_verbs[i][2];
  return argv[1];
}

int main(int argc, char **argv)
{
  (void)argc;
  char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  int is_docker = CFG_DOCKER_FRONT && !strcmp(base, "docker");

  // Called by an applet's own name: dispatch straight away.
  const struct applet *a = is_docker || !strcmp(base, "ocibox") ? 0 : applet_find(base);
  if (a) run_applet(a, argv);
  if (!is_docker && strcmp(base, "ocibox")) {
    // An unknown link name still works as `ocibox ARGS` (renamed binary).
    if (strncmp(base, "ocibox", 6)) {
      fprintf(stderr, "ocibox: unknown applet '%s'\n", base);
      return 1;
    }
  }
  applet.docker = is_docker;
  argv = front_options(argv + 1);
  if (!*argv) {
    overview(stdout);
    xexit();
  }
  char **args = argv;
  const char *name = argv[0];
  if (CFG_DOCKER_FRONT) {
    name = docker_map(&args);
    // `docker help CMD` is `CMD --help`.
    if (!strcmp(name, "help") && args[1] && !applet_find("help")) {
      if ((a = applet_find(args[1]))) {
        show_help(a, stdout);
        xexit();
      }
      name = args[1];
    }
  }
  if (!(a = applet_find(name))) {
    if (is_docker) fprintf(stderr, "docker: '%s' is not a docker command.\nSee 'docker --help'\n", name);
    else fprintf(stderr, "ocibox: unknown applet '%s'\n", name);
    return 1;
  }
  run_applet(a, args);
}
