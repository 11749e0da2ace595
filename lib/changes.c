// changes.c: Dockerfile instructions applied to an image's config, as
// docker import -c and commit -c take them (moby BuildFromConfig): CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, in
// JSON and shell forms.
#include "ocibox.h"
#include <ctype.h>

struct cfg {
  struct strlist *env, *labels, *ports, *vols;  // "K=V"; ports, vols: keys
  char *user, *workdir, *stopsig, *cmd, *entrypoint;  // the last two: JSON
};

// Compare the keys of "K=V" strings (or bare keys).
static int keycmp(const char *a, const char *b)
{
  while (*a && *a != '=' && *a == *b) a++, b++;
  return (*a == '=' ? 0 : (unsigned char)*a) - (*b == '=' ? 0 : (unsigned char)*b);
}

// Set kv in l: the same key is replaced in place; a new one goes last, or
// in key order for what becomes a JSON object (Go marshals maps sorted).
static void set_key(struct strlist **l, char *kv, int sorted)
{
  struct strlist *n;
  int d = 1;

  for (; *l && (d = keycmp((*l)->s, kv)) && !(sorted && d > 0); l = &(*l)->next);
  if (*l && !d) {
    free((*l)->s);
    (*l)->s = kv;
    return;
  }
  n = xzalloc(sizeof(*n));
  n->s = kv;
  n->next = *l;
  *l = n;
}

static void set_str(char **dst, char *s)
{
  free(*dst);
  *dst = s;
}

// One word as Docker's shell lexer reads it (quotes removed, backslash
// escapes), or with whole the rest of the line; NULL at the end.
static char *word(char **p, int whole)
{
  struct buf b = {0};
  char *s = *p, q = 0;

  while (isspace(*s)) s++;
  if (!*s) return *p = s, NULL;
  for (; *s && (q || whole || !isspace(*s)); s++) {
    if (q && *s == q) q = 0;
    else if (!q && (*s == '"' || *s == '\'')) q = *s;
    else if (*s == '\\' && s[1] && q != '\'' && (!q || strchr("\"\\$", s[1]))) buf_addc(&b, *++s);
    else buf_addc(&b, *s);
  }
  *p = s;
  return b.s ? buf_steal(&b) : xstrdup("");
}

// A JSON array of strings, or NULL.
static struct json *json_strings(const char *s)
{
  struct json_err err;
  struct json *j = *s == '[' ? json_parse(s, strlen(s), &err) : 0, *e;

  for (e = j ? j->child : 0; e && e->type == JSON_STRING; e = e->next);
  if (j && (j->type != JSON_ARRAY || e)) json_free(j), j = 0;
  return j;
}

// CMD and ENTRYPOINT: the JSON form as is, the shell form through sh -c.
static char *exec_form(const char *rest)
{
  struct json *j = json_strings(rest);
  struct buf b = {0};
  struct jw w;

  jw_init(&w, &b, 0);
  if (j) jw_value(&w, 0, j);
  else {
    jw_arr(&w, 0);
    jw_str(&w, 0, "/bin/sh");
    jw_str(&w, 0, "-c");
    jw_str(&w, 0, rest);
    jw_end(&w);
  }
  json_free(j);
  return buf_steal(&b);
}

static int apply(struct cfg *c, char *line)
{
  char *p = line, *cmd, *w = 0, *up;
  size_t n = strlen(line);
  int env, rc = 0;

  while (n && isspace(line[n - 1])) line[--n] = 0;
  while (isspace(*p)) p++;
  if (!*p) return 0;  // a blank line, as in a Dockerfile
  cmd = p;
  p += strcspn(p, " \t\r\n\f\v");
  if (*p) *p++ = 0;
  while (isspace(*p)) p++;
  for (w = cmd; *w; w++) *w = tolower(*w);
  // Messages name the instruction in upper case, as Docker's.
  up = xstrdup(cmd);
  for (w = up; *w; w++) *w = toupper(*w);
#define BAD(...) do { rc = fail(EINVAL, __VA_ARGS__); goto out; } while (0)
  w = xmprintf(" %s ", cmd);
  env = !strstr(" cmd entrypoint env label expose volume user workdir stopsignal ", w);
  free(w);
  w = 0;
  if (env) BAD("%s is not a valid change command", cmd);
  if (!*p) BAD("%s requires at least one argument", up);
  if (!strcmp(cmd, "cmd") || !strcmp(cmd, "entrypoint"))
    set_str(*cmd == 'c' ? &c->cmd : &c->entrypoint, exec_form(p));
  else if ((env = !strcmp(cmd, "env")) || !strcmp(cmd, "label")) {
    struct strlist **l = env ? &c->env : &c->labels;
    w = word(&p, 0);
    if (!strchr(w, '=')) {
      // the legacy form: NAME VALUE..., the rest is the value
      char *val = word(&p, 1);
      if (!val) BAD("%s must have two arguments", up);
      set_key(l, xmprintf("%s=%s", w, val), !env);
      free(val);
    } else for (; w; w = word(&p, 0)) {
      if (*w == '=') BAD("%s names can not be blank", up);
      if (!strchr(w, '=')) BAD("Syntax error - can't find = in \"%s\". Must be of the form: name=value", w);
      set_key(l, w, !env);
    }
  } else if (!strcmp(cmd, "expose")) {
    for (; (w = word(&p, 0)); free(w)) {
      size_t d = strspn(w, "0123456789");
      char *proto = w + d + (w[d] == '/');
      for (char *s = proto; *s; s++) *s = tolower(*s);
      if (!d || d > 5 || atoi(w) > 65535 || (w[d] && (w[d] != '/' ||
          (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp")))))
        BAD("invalid containerPort: %s", w);
      set_key(&c->ports, xmprintf("%.*s/%s", (int)d, w, *proto ? proto : "tcp"), 1);
    }
  } else if (!strcmp(cmd, "volume")) {
    struct json *j = json_strings(p);
    for (struct json *e = j ? j->child : 0; e; e = e->next) set_key(&c->vols, xstrdup(e->str), 1);
    while (!j && (w = word(&p, 0))) set_key(&c->vols, w, 1);
    json_free(j);
    w = 0;
    for (struct strlist *l = c->vols; l; l = l->next)
      if (!*l->s) BAD("VOLUME specified can not be an empty string");
  } else if (!strcmp(cmd, "user")) set_str(&c->user, word(&p, 1));
  else if (!strcmp(cmd, "workdir")) {
    // relative to the previous one, as Docker's normalizeWorkdir
    char *dir = word(&p, 1), *prev = c->workdir ? c->workdir : "/";
    if (*dir != '/') {
      w = dir;
      dir = xmprintf("%s/%s", strcmp(prev, "/") ? prev : "", w);
    }
    set_str(&c->workdir, dir);
  } else {
    w = word(&p, 1);
    if (CFG_RUN && (rc = signal_parse(w)) < 0) goto out;  // why: Invalid signal
    rc = 0;
    set_str(&c->stopsig, w);
    w = 0;
  }
out:
  free(w);
  free(up);
  return rc;
}

static void write_keys(struct jw *w, const char *key, struct strlist *l, int map)
{
  if (!l) return;
  map ? jw_obj(w, key) : jw_arr(w, key);
  for (; l; l = l->next) {
    char *eq = map == 2 ? strchr(l->s, '=') : 0;
    if (eq) *eq = 0;
    if (eq) jw_str(w, l->s, eq + 1), *eq = '=';
    else if (map) jw_obj(w, l->s), jw_end(w);
    else jw_str(w, 0, l->s);
  }
  jw_end(w);
}

int config_changes(struct jw *w, const char *key, const struct json *base,
                   const struct strlist *changes)
{
  static const char managed[] = " User ExposedPorts Env Cmd Volumes WorkingDir Entrypoint Labels StopSignal ";
  struct cfg c = {0};
  const struct json *m, *e;
  int rc = 0;

  // What the base config has of the managed keys, then the changes.
  for (m = base && base->type == JSON_OBJECT ? base->child : 0; m; m = m->next) {
    struct strlist **l = !strcmp(m->key, "Env") ? &c.env : !strcmp(m->key, "Labels") ? &c.labels
      : !strcmp(m->key, "ExposedPorts") ? &c.ports : !strcmp(m->key, "Volumes") ? &c.vols : 0;
    char **s = !strcmp(m->key, "User") ? &c.user : !strcmp(m->key, "WorkingDir") ? &c.workdir
      : !strcmp(m->key, "StopSignal") ? &c.stopsig : 0;
    for (e = l ? m->child : 0; e; e = e->next)
      if (m->type == JSON_ARRAY && e->type == JSON_STRING) set_key(l, xstrdup(e->str), 0);
      else if (m->type == JSON_OBJECT && l == &c.labels && e->type == JSON_STRING)
        set_key(l, xmprintf("%s=%s", e->key, e->str), 1);
      else if (m->type == JSON_OBJECT) set_key(l, xstrdup(e->key), 1);
    if (s && m->type == JSON_STRING) set_str(s, xstrdup(m->str));
    if ((!strcmp(m->key, "Cmd") || !strcmp(m->key, "Entrypoint")) && m->type == JSON_ARRAY) {
      struct buf b = {0};
      struct jw jw;
      jw_init(&jw, &b, 0);
      jw_value(&jw, 0, m);
      set_str(m->key[0] == 'C' ? &c.cmd : &c.entrypoint, buf_steal(&b));
    }
  }
  for (const struct strlist *l = changes; l && !rc; l = l->next) {
    char *line = xstrdup(l->s);
    rc = apply(&c, line);
    free(line);
  }

  // Docker's field order for what we manage, then the base's others.
  if (!rc) {
    jw_obj(w, key);
    if (c.user) jw_str(w, "User", c.user);
    write_keys(w, "ExposedPorts", c.ports, 1);
    write_keys(w, "Env", c.env, 0);
    if (c.cmd) jw_raw(w, "Cmd", c.cmd);
    write_keys(w, "Volumes", c.vols, 1);
    if (c.workdir) jw_str(w, "WorkingDir", c.workdir);
    if (c.entrypoint) jw_raw(w, "Entrypoint", c.entrypoint);
    write_keys(w, "Labels", c.labels, 2);
    if (c.stopsig) jw_str(w, "StopSignal", c.stopsig);
    for (m = base && base->type == JSON_OBJECT ? base->child : 0; m; m = m->next) {
      char k[64];
      snprintf(k, sizeof(k), " %s ", m->key);
      if (!strstr(managed, k)) jw_value(w, m->key, m);
    }
    jw_end(w);
  }
  strlist_free(c.env);
  strlist_free(c.labels);
  strlist_free(c.ports);
  strlist_free(c.vols);
  free(c.user);
  free(c.workdir);
  free(c.stopsig);
  free(c.cmd);
  free(c.entrypoint);
  return rc;
}
