// commit.c: docker commit: a container's changes as a new image: the
// upper dir as one layer with Docker's whiteouts, on top of the image's
// layers, with the container's config and a history entry.
//
//applet:commit "<1 >2 a(author): m(message): c(change)*"
//config:config COMMIT
//config:	bool "commit: create a new image from a container's changes"
//config:	default y
//config:	depends on RUN && ARCHIVE
//config:	help
//config:	  usage: commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]... CONTAINER [REPOSITORY[:TAG]]
//config:
//config:	  Create a new image from a container's changes and print its ID.
//config:
//config:	  -a, --author TEXT    Author (e.g. "John Hannibal Smith <hannibal@a-team.com>")
//config:	  -m, --message TEXT   Commit message
//config:	  -c, --change INSTR   Apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV,
//config:	                       EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)

#define FOR_commit
#include "ocibox.h"
#include "generated/flags.h"

static void strv_json(struct jw *w, const char *key, const struct json *v)
{
  if (v && v->type == JSON_ARRAY) jw_value(w, key, v);
  else jw_null(w, key);
}

// The new config: the image's, with the container's Env, Cmd, Entrypoint,
// WorkingDir and User, one more diff_id and one more history entry.
static void new_config(struct buf *b, const struct image *im, const struct container *c,
                       const char *diff_id, const char *now)
{
  struct jw w;
  const struct json *cc = json_get(c->config, "Config"), *e;
  struct json *ic = json_get(im->config, "config");
  struct buf cmd = {0};

  jw_init(&w, b, 0);
  jw_obj(&w, 0);
  for (e = im->config->child; e; e = e->next)
    if (strcmp(e->key, "created") && strcmp(e->key, "author") && strcmp(e->key, "config") &&
        strcmp(e->key, "rootfs") && strcmp(e->key, "history") && strcmp(e->key, "container") &&
        strcmp(e->key, "comment"))
      jw_value(&w, e->key, e);
  jw_str(&w, "created", now);
  if (FLAG(a)) jw_str(&w, "author", OPTSTR(a));
  // Docker's V1Image.Comment: inspect's .Comment shows -m.
  if (FLAG(m)) jw_str(&w, "comment", OPTSTR(m));
  jw_str(&w, "container", c->id);
  // The image's config with the container's settings, then -c changes.
  struct buf mb = {0};
  struct jw mw;
  struct json_err err;
  jw_init(&mw, &mb, 0);
  jw_obj(&mw, 0);
  for (e = ic && ic->type == JSON_OBJECT ? ic->child : 0; e; e = e->next)
    if (strcmp(e->key, "Env") && strcmp(e->key, "Cmd") && strcmp(e->key, "Entrypoint") &&
        strcmp(e->key, "WorkingDir") && strcmp(e->key, "User"))
      jw_value(&mw, e->key, e);
  strv_json(&mw, "Env", json_get(cc, "Env"));
  strv_json(&mw, "Cmd", json_get(cc, "Cmd"));
  strv_json(&mw, "Entrypoint", json_get(cc, "Entrypoint"));
  jw_str(&mw, "WorkingDir", json_get_str(cc, "WorkingDir") ? json_get_str(cc, "WorkingDir") : "");
  jw_str(&mw, "User", json_get_str(cc, "User") ? json_get_str(cc, "User") : "");
  jw_end(&mw);
  struct json *merged = json_parse(mb.s, mb.len, &err);
  if (config_changes(&w, "config", merged, OPTLIST(c)) < 0) error_exit("%s", applet.why);
  json_free(merged);
  buf_free(&mb);
  jw_obj(&w, "rootfs");
  jw_str(&w, "type", "layers");
  jw_arr(&w, "diff_ids");
  for (size_t i = 0; i < im->nlayers; i++) jw_str(&w, 0, im->diff_ids[i]);
  jw_str(&w, 0, diff_id);
  jw_end(&w);
  jw_end(&w);
  jw_arr(&w, "history");
  struct json *h = json_get(im->config, "history");
  for (e = h && h->type == JSON_ARRAY ? h->child : 0; e; e = e->next) jw_value(&w, 0, e);
  jw_obj(&w, 0);
  jw_str(&w, "created", now);
  if (FLAG(a)) jw_str(&w, "author", OPTSTR(a));
  buf_adds(&cmd, json_get_str(c->config, "Path") ? json_get_str(c->config, "Path") : "");
  struct json *args = json_get(c->config, "Args");
  for (e = args ? args->child : 0; e; e = e->next) buf_printf(&cmd, " %s", e->str);
  jw_str(&w, "created_by", buf_str(&cmd));
  if (FLAG(m)) jw_str(&w, "comment", OPTSTR(m));
  jw_end(&w);
  jw_end(&w);
  jw_end(&w);
  buf_free(&cmd);
}

void commit_main(void)
{
  struct store st;
  struct container c;
  struct image im;
  struct layer_desc *layers;
  struct buf cfg = {0}, full = {0};
  struct ref r;
  struct timespec ts;
  char id[65], chain[72], mdigest[72], now[40], tmpname[96];
  const char *mdig;

  if (applet.argc > 1) {
    if (ref_parse(applet.argv[1], &r) < 0) error_exit("%s", applet.why);
    ref_full(&r, &full);
  }
  {
    // Bad changes are refused before anything is written.
    struct buf tb = {0};
    struct jw tw;
    jw_init(&tw, &tb, 0);
    if (config_changes(&tw, 0, 0, OPTLIST(c)) < 0) error_exit("%s", applet.why);
    buf_free(&tb);
  }
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  if (!(mdig = json_get_str(c.config, "ManifestDigest")) || image_load(&st, mdig, &im) < 0)
    error_exit("the container's image is gone: %s", applet.why);

  // The upper dir as a tar in tmp/ (seekable: it is read twice).
  snprintf(tmpname, sizeof(tmpname), "tmp/%d-commit.tar", (int)getpid());
  int tar = openat(st.fd, tmpname, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char *upper = container_path(&st, id, "upper");
  int up = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (tar < 0 || up < 0) perror_exit("%s", tar < 0 ? tmpname : upper);
  if (tar_tree(up, tar, 1) < 0) {
    unlinkat(st.fd, tmpname, 0);
    error_exit("%s", applet.why);
  }
  close(up);

  // The image's layers as they are, then the new one.
  struct json *ml = json_get(im.manifest, "layers");
  layers = xzalloc((im.nlayers + 1) * sizeof(*layers));
  size_t i = 0;
  for (struct json *l = ml ? ml->child : 0; l && i < im.nlayers; l = l->next, i++) {
    snprintf(layers[i].digest, 72, "%s", json_get_str(l, "digest") ? json_get_str(l, "digest") : "");
    snprintf(layers[i].media_type, 80, "%s", json_get_str(l, "mediaType") ? json_get_str(l, "mediaType") : "");
    long long size = 0;
    json_int(json_get(l, "size"), &size);
    layers[i].size = size;
  }
  int rc = layer_from_tar(&st, tar, im.nlayers ? im.chain_ids[im.nlayers - 1] : 0, layers + i, chain);
  close(tar);
  unlinkat(st.fd, tmpname, 0);
  if (rc < 0) error_exit("%s", applet.why);

  clock_gettime(CLOCK_REALTIME, &ts);
  fmt_rfc3339nano(now, &ts);
  new_config(&cfg, &im, &c, layers[i].diff_id, now);
  if (image_write(&st, cfg.s, cfg.len, layers, i + 1, full.s, mdigest) < 0) error_exit("%s", applet.why);
  char cdigest[72];
  digest_buf(cfg.s, cfg.len, cdigest);
  puts(cdigest);
  free(upper);
  free(layers);
  buf_free(&cfg);
  buf_free(&full);
  image_free(&im);
  container_free(&c);
  store_close(&st);
}
