// config.c: ocibox's daemon.json, read with Docker's key names (dockerd's
// /etc/docker/daemon.json): data-root, registry-mirrors,
// insecure-registries, max-concurrent-downloads; other keys are kept in the tree for later readers.
#include "ocibox.h"

#define CONFIG_DEFAULT "/etc/ocibox/daemon.json"
#define CONFIG_MAX (1 << 20)

static NORETURN void config_die(const char *path, const char *fmt, ...)
{
  va_list ap;
  fflush(stdout);
  fprintf(stderr, "ocibox: config: %s: ", path);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  _exit(1);
}

static struct strlist *string_list(const char *path, struct json *tree, const char *key)
{
  struct json *arr = json_get(tree, key);
  struct strlist *list = 0;
  if (!arr || arr->type == JSON_NULL) return 0;
  if (arr->type != JSON_ARRAY) config_die(path, "\"%s\" must be an array of strings", key);
  for (struct json *e = arr->child; e; e = e->next) {
    if (e->type != JSON_STRING) config_die(path, "\"%s\" must be an array of strings", key);
    strlist_add(&list, e->str);
  }
  return list;
}

// Docker's ValidateMirror: a scheme is required, no query, fragment or
// user info; the result ends in "/".
static void check_mirrors(const char *path, struct strlist *l)
{
  for (; l; l = l->next) {
    const char *s = l->s, *host = s + (strncmp(s, "http://", 7) ? 8 : 7);
    if (strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
      config_die(path, "invalid mirror: unsupported scheme in \"%s\"", s);
    if (strpbrk(s, "?#") || (strchr(host, '@') && strchr(host, '@') < strchrnul(host, '/')))
      config_die(path, "invalid mirror: query, fragment or user info in \"%s\"", s);
    if (!*host || *host == '/') config_die(path, "invalid mirror: no host in \"%s\"", s);
    if (s[strlen(s) - 1] != '/') l->s = xmprintf("%s/", s);
  }
}

struct ocibox_config *config_load(void)
{
  if (applet.conf) return applet.conf;
  struct ocibox_config *c = applet.conf = xzalloc(sizeof(*c));
  const char *path = applet.config_path;
  int given = !!path;
  if (!path) path = applet.config_path = CONFIG_DEFAULT;

  char *text;
  size_t len;
  int rc = readfile_at(AT_FDCWD, path, CONFIG_MAX, &text, &len);
  if (rc < 0) {
    if (rc == -ENOENT && !given) return c;
    config_die(path, "%s", strerror(-rc));
  }
  struct json_err err;
  struct json *tree = json_parse(text, len, &err);
  if (!tree) config_die(path, "line %u: %s", err.line, err.msg);
  if (tree->type != JSON_OBJECT) config_die(path, "line 1: the file must hold a JSON object");
  c->tree = tree;

  struct json *root = json_get(tree, "data-root");
  if (root && root->type != JSON_NULL) {
    if (root->type != JSON_STRING || root->str[0] != '/')
      config_die(path, "\"data-root\" must be an absolute path");
    c->data_root = root->str;
  }
  c->registry_mirrors = string_list(path, tree, "registry-mirrors");
  check_mirrors(path, c->registry_mirrors);
  c->insecure_registries = string_list(path, tree, "insecure-registries");
  // Layers pulled at a time; 0: the default (pull.c).
  struct json *mcd = CFG_PULL ? json_get(tree, "max-concurrent-downloads") : 0;
  long long n = 0;
  if (mcd && (json_int(mcd, &n) || n < 0 || n > 1000))
    config_die(path, "\"max-concurrent-downloads\" must be an integer from 0 to 1000");
  c->max_downloads = n;
  return c;
}
