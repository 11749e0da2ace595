// inspect.c: docker inspect: containers and images as Docker's JSON (an
// indented array), or each through a template with -f.
//
//applet:inspect "<1 f(format): (type):"
//config:config INSPECT
//config:	bool "inspect: low-level information on containers and images"
//config:	default y
//config:	help
//config:	  usage: inspect [-f TEMPLATE] [--type container|image] NAME...
//config:
//config:	  Print containers' and images' details as Docker's JSON, or with
//config:	  -f a Go template per object (e.g. '{{.State.Status}}').
//config:
//config:	  -f, --format TEMPLATE  Format the output using the given Go template
//config:	      --type TYPE        Only look for a container or an image

#define FOR_inspect
#include "ocibox.h"
#include "generated/flags.h"

// Copy every member of obj except those named in skip (a NULL-ended list).
static void copy_members(struct jw *w, const struct json *obj, const char *const *skip)
{
  for (struct json *e = obj && obj->type == JSON_OBJECT ? obj->child : 0; e; e = e->next) {
    int drop = 0;
    for (const char *const *s = skip; s && *s; s++) drop |= !strcmp(e->key, *s);
    if (!drop) jw_value(w, e->key, e);
  }
}

// key: the path of file in the container's dir.
static void jw_path(struct jw *w, const char *key, const char *dir, const char *file)
{
  char *p = xmprintf("%s/%s", dir, file);
  jw_str(w, key, p);
  free(p);
}

static void container_json(struct store *st, struct container *c, struct jw *w)
{
  char *dir = container_path(st, c->id, 0);
  struct json *cfg = json_get(c->config, "Config");

  jw_obj(w, 0);
  jw_str(w, "Id", c->id);
  jw_str(w, "Created", json_get_str(c->config, "Created"));
  jw_str(w, "Path", json_get_str(c->config, "Path"));
  jw_value(w, "Args", json_get(c->config, "Args"));
  jw_obj(w, "State");
  jw_str(w, "Status", c->paused ? "paused" : c->status);
  int restarting = !strcmp(c->status, "restarting");
  jw_bool(w, "Running", restarting || !strcmp(c->status, "running"));
  jw_bool(w, "Paused", c->paused);
  jw_bool(w, "Restarting", restarting);
  jw_bool(w, "OOMKilled", c->oom_killed);
  jw_bool(w, "Dead", !strcmp(c->status, "dead"));
  jw_int(w, "Pid", c->pid);
  jw_int(w, "ExitCode", c->exit_code);
  jw_str(w, "Error", c->error);
  jw_str(w, "StartedAt", c->started_at);
  jw_str(w, "FinishedAt", c->finished_at);
  jw_end(w);
  jw_str(w, "Image", json_get_str(c->config, "Image"));
  jw_path(w, "ResolvConfPath", dir, "resolv.conf");
  jw_path(w, "HostnamePath", dir, "hostname");
  jw_path(w, "HostsPath", dir, "hosts");
  jw_path(w, "LogPath", dir, "container.log");
  copy_members(w, c->config, (const char *const[]){"Id", "Created", "Path", "Args", "Image",
                                                   "Layers", "ManifestDigest", "HostConfig",
                                                   "Config", 0});
  jw_int(w, "RestartCount", c->restart_count);
  jw_str(w, "Driver", "overlay");
  jw_str(w, "Platform", "linux");
  struct json *hc = json_get(c->config, "HostConfig");
  if (json_get(hc, "LogConfig")) jw_value(w, "HostConfig", hc);
  else {  // Docker's default driver, first as in Docker's order
    jw_obj(w, "HostConfig");
    jw_obj(w, "LogConfig");
    jw_str(w, "Type", "json-file");
    jw_obj(w, "Config");
    jw_end(w);
    jw_end(w);
    for (struct json *e = hc && hc->type == JSON_OBJECT ? hc->child : 0; e; e = e->next)
      jw_value(w, e->key, e);
    jw_end(w);
  }
  jw_obj(w, "GraphDriver");
  jw_obj(w, "Data");
  jw_path(w, "UpperDir", dir, "upper");
  jw_path(w, "WorkDir", dir, "work");
  jw_path(w, "MergedDir", dir, "rootfs");
  jw_end(w);
  jw_str(w, "Name", "overlay");
  jw_end(w);
  if (CFG_VOLUMES) volumes_mounts_json(st, c->config, w);
  else jw_arr(w, "Mounts"), jw_end(w);
  jw_obj(w, "Config");
  copy_members(w, cfg, 0);
  jw_end(w);
  // The bridge's address while it runs (none and host have none).
  const char *mode = json_get_str(json_get(c->config, "HostConfig"), "NetworkMode");
  int up = !strcmp(c->status, "running");
  struct json *net = up ? json_get(c->state, "Network") : 0, *ports = up ? json_get(c->state, "Ports") : 0;
  static const char *const addr[] = {"IPAddress", "IPPrefixLen", "Gateway", "MacAddress"};
  jw_obj(w, "NetworkSettings");
  for (int pass = 0; pass < 2; pass++) {
    if (pass) {
      if (ports) jw_value(w, "Ports", ports);
      else jw_obj(w, "Ports"), jw_end(w);
      jw_obj(w, "Networks");
      jw_obj(w, mode ? mode : "none");
    }
    for (size_t i = 0; i < ARRAY_LEN(addr); i++) {
      struct json *v = json_get(net, addr[i]);
      if (v) jw_value(w, addr[i], v);
      else if (i == 1) jw_int(w, addr[i], 0);
      else jw_str(w, addr[i], "");
    }
  }
  jw_end(w);
  jw_end(w);
  jw_end(w);
  jw_end(w);
  free(dir);
}

static void image_json(const struct index *ix, const struct img_info *m, struct jw *w)
{
  struct img_ref *refs;
  size_t n = img_refs(ix, m, &refs);
  const struct json *cfg = m->im.config;

  jw_obj(w, 0);
  jw_str(w, "Id", m->id);
  jw_arr(w, "RepoTags");
  for (size_t i = 0; i < n; i++)
    if (*refs[i].tag) {
      char *t = xmprintf("%s:%s", refs[i].repo, refs[i].tag);
      jw_str(w, 0, t);
      free(t);
    }
  jw_end(w);
  jw_arr(w, "RepoDigests");
  for (size_t i = 0; i < n; i++)
    if (*refs[i].digest) {
      char *t = xmprintf("%s@%s", refs[i].repo, refs[i].digest);
      jw_str(w, 0, t);
      free(t);
    }
  jw_end(w);
  jw_str(w, "Parent", "");
  jw_str(w, "Comment", json_get_str(cfg, "comment") ? json_get_str(cfg, "comment") : "");
  jw_str(w, "Created", json_get_str(cfg, "created") ? json_get_str(cfg, "created") : "");
  jw_str(w, "DockerVersion", json_get_str(cfg, "docker_version") ? json_get_str(cfg, "docker_version") : "");
  jw_str(w, "Author", json_get_str(cfg, "author") ? json_get_str(cfg, "author") : "");
  if (json_get(cfg, "config")) jw_value(w, "Config", json_get(cfg, "config"));
  else jw_null(w, "Config");
  jw_str(w, "Architecture", json_get_str(cfg, "architecture") ? json_get_str(cfg, "architecture") : "");
  if (json_get_str(cfg, "variant")) jw_str(w, "Variant", json_get_str(cfg, "variant"));
  jw_str(w, "Os", json_get_str(cfg, "os") ? json_get_str(cfg, "os") : "");
  jw_int(w, "Size", m->size);
  jw_obj(w, "RootFS");
  jw_str(w, "Type", "layers");
  jw_arr(w, "Layers");
  for (size_t i = 0; i < m->im.nlayers; i++) jw_str(w, 0, m->im.diff_ids[i]);
  jw_end(w);
  jw_end(w);
  jw_end(w);
  free(refs);
}

void inspect_main(void)
{
  struct store st;
  struct index ix = {0};
  struct img_list l = {0};
  struct buf out = {0};
  struct jw w;
  struct tpl *t = 0;
  const char *type = OPTSTR(type);
  int have_store = store_open(&st, STORE_READ) == 0;

  if (type && strcmp(type, "container") && strcmp(type, "image"))
    error_exit("\"%s\" is not a valid value for --type", type);
  if (FLAG(f)) {
    if (!CFG_TEMPLATE) error_exit("--format needs a build with CONFIG_TEMPLATE");
    if (CFG_TEMPLATE && !(t = tpl_parse(OPTSTR(f)))) error_exit("%s", applet.why);
  }
  if (have_store && (!type || !strcmp(type, "image"))) {
    index_load(&st, &ix);
    images_load(&st, &ix, &l);
  }
  jw_init(&w, &out, 4);
  jw_arr(&w, 0);
  for (int i = 0; i < applet.argc; i++) {
    struct buf one = {0};
    struct jw ow;
    struct container c;
    char id[65];
    size_t ent;
    int k;
    jw_init(&ow, &one, 0);
    if (have_store && (!type || !strcmp(type, "container")) && CFG_RUN &&
        container_find(&st, applet.argv[i], id) == 0 && container_load(&st, id, &c) == 0) {
      container_json(&st, &c, t ? &ow : &w);
      container_free(&c);
    } else if (have_store && (!type || !strcmp(type, "image")) &&
               (k = img_resolve(&l, &ix, applet.argv[i], &ent)) >= 0) {
      image_json(&ix, &l.v[k], t ? &ow : &w);
    } else {
      error_msg("No such object: %s", applet.argv[i]);
      continue;
    }
    if (CFG_TEMPLATE && t) {
      struct json_err err;
      struct json *v = json_parse(one.s, one.len, &err);
      struct buf r = {0};
      if (tpl_exec(t, v, &r) < 0) error_exit("%s", applet.why);
      printf("%s\n", buf_str(&r));
      buf_free(&r);
      json_free(v);
    }
    buf_free(&one);
  }
  jw_end(&w);
  // Docker prints the array even when some were not found ([] for none).
  if (!t) puts(out.s);
  buf_free(&out);
  if (CFG_TEMPLATE) tpl_free(t);
  images_free(&l);
  index_free(&ix);
  if (have_store) store_close(&st);
}
