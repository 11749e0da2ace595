// auth.c: registry credentials in Docker's client config,
// $DOCKER_CONFIG/config.json or ~/.docker/config.json: "auths" maps a
// registry key (host[:port], or https://index.docker.io/v1/ for Docker
// Hub) to {"auth": base64("user:password")}. Other keys are kept as they
// are; the file is replaced atomically with mode 0600.
#include "ocibox.h"

static char *config_dir(void)
{
  const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
  return dir ? xstrdup(dir) : xmprintf("%s/.docker", home && *home ? home : "/root");
}

static struct json *load(const char *path)
{
  char *text;
  size_t len;
  struct json_err err;
  struct json *j = 0;

  if (readfile_at(AT_FDCWD, path, 1 << 20, &text, &len) == 0) {
    j = json_parse(text, len, &err);
    free(text);
  }
  return j && j->type == JSON_OBJECT ? j : (json_free(j), (struct json *)0);
}

char *creds_get(const char *key)
{
  char *dir = config_dir(), *path = xmprintf("%s/config.json", dir), *auth = 0;
  struct json *j = load(path);
  const char *a = json_get_str(json_get(json_get(j, "auths"), key), "auth");

  if (a && *a) auth = xstrdup(a);
  json_free(j);
  free(path);
  free(dir);
  return auth;
}

int creds_set(const char *key, const char *auth)
{
  char *dir = config_dir(), *path = xmprintf("%s/config.json", dir);
  struct json *j = load(path), *e;
  struct buf b = {0};
  struct jw w;
  int rc, found = 0;

  jw_init(&w, &b, -1);  // tabs, as the docker CLI writes it
  jw_obj(&w, 0);
  for (e = j ? j->child : 0; e; e = e->next)
    if (strcmp(e->key, "auths")) jw_value(&w, e->key, e);
  jw_obj(&w, "auths");
  struct json *auths = json_get(j, "auths");
  for (e = auths && auths->type == JSON_OBJECT ? auths->child : 0; e; e = e->next) {
    if (!strcmp(e->key, key)) {
      found = 1;
      if (!auth) continue;
      jw_obj(&w, key);
      jw_str(&w, "auth", auth);
      jw_end(&w);
    } else jw_value(&w, e->key, e);
  }
  if (!found && auth) {
    jw_obj(&w, key);
    jw_str(&w, "auth", auth);
    jw_end(&w);
  }
  jw_end(&w);
  jw_end(&w);
  buf_addc(&b, '\n');
  if (!auth && !found) rc = 1;  // nothing to remove
  else if ((rc = mkdir_p(dir, 0700)) == 0) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    rc = dfd < 0 ? fail(errno, "%s: %s", dir, strerror(errno))
                 : atomic_write_at(dfd, "config.json", b.s, b.len, 0600);
    if (dfd >= 0) close(dfd);
  }
  json_free(j);
  buf_free(&b);
  free(path);
  free(dir);
  return rc;
}

const char *creds_key(const char *server, char out[300])
{
  const char *s = server;

  if (!s || !*s) return strcpy(out, "https://index.docker.io/v1/");
  if (!strncmp(s, "https://", 8)) s += 8;
  else if (!strncmp(s, "http://", 7)) s += 7;
  snprintf(out, 300, "%.*s", (int)strcspn(s, "/"), s);
  if (!strcmp(out, "docker.io") || !strcmp(out, "index.docker.io") ||
      !strcmp(out, "registry-1.docker.io"))
    strcpy(out, "https://index.docker.io/v1/");
  return out;
}
