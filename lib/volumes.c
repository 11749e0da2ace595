// volumes.c: -v: bind mounts of host paths (SRC absolute), named volumes
// (SRC a name: <root>/volumes/NAME/_data, made on first use) and
// anonymous ones (no SRC: a random name), kept as HostConfig.Binds
// "SRC:DST[:ro]" like Docker's; the host side resolved at each start.
#include "ocibox.h"
#include <ctype.h>

int volume_parse(const char *spec, struct volume *v)
{
  const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : 0;

  memset(v, 0, sizeof(*v));
  if (!c1) v->dst = xstrdup(spec);
  else {
    v->src = xstrndup(spec, c1 - spec);
    v->dst = c2 ? xstrndup(c1 + 1, c2 - c1 - 1) : xstrdup(c1 + 1);
  }
  if (c2) {
    // Docker's modes: rw or ro, and SELinux labels (z, Z) it ignores here.
    for (const char *m = c2 + 1; *m; m += *m == ',') {
      size_t n = strcspn(m, ",");
      if (n == 2 && !strncmp(m, "ro", 2)) v->ro = 1;
      else if (!(n == 2 && !strncmp(m, "rw", 2)) && !(n == 1 && (*m == 'z' || *m == 'Z')))
        return fail(EINVAL, "invalid mode: %s", c2 + 1);
      m += n;
    }
  }
  if (*v->dst != '/')
    return fail(EINVAL, "invalid mount config for type \"%s\": invalid mount path: '%s' mount path must be absolute",
                v->src && *v->src == '/' ? "bind" : "volume", v->dst);
  if (v->src && *v->src != '/') {
    const char *s = v->src;
    if (!isalnum((unsigned char)*s) || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(s))
      return fail(EINVAL, "create %s: \"%s\" includes invalid characters for a local volume name, only "
                  "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path", s, s);
    v->named = 1;
  }
  return 0;
}

// The host path of a Binds entry: the path itself, or the volume's
// _data; both made when missing (Docker makes a missing bind source).
char *volume_source(struct store *st, const struct volume *v)
{
  char *p = v->named ? xmprintf("%s/volumes/%s/_data", st->root, v->src) : xstrdup(v->src);
  struct stat sb;
  if (stat(p, &sb) && mkdir_p(p, 0755) < 0) {
    free(p);
    return 0;
  }
  return p;
}

void volume_free(struct volume *v)
{
  free(v->src);
  free(v->dst);
}

// Anonymous volumes (a 64-hex name) go with their container (rm -v, --rm).
void volumes_drop_anonymous(struct store *st, const struct json *config)
{
  struct json *binds = json_get(json_get(config, "HostConfig"), "Binds");
  for (struct json *b = binds && binds->type == JSON_ARRAY ? binds->child : 0; b; b = b->next) {
    struct volume v = {0};
    if (b->type == JSON_STRING && !volume_parse(b->str, &v) && v.named && is_image_id(v.src) &&
        strlen(v.src) == 64) {
      char *p = xmprintf("%s/volumes/%s", st->root, v.src);
      rm_rf(p);
      free(p);
    }
    volume_free(&v);
  }
}

// inspect's Mounts, from the Binds.
void volumes_mounts_json(struct store *st, const struct json *config, struct jw *w)
{
  struct json *binds = json_get(json_get(config, "HostConfig"), "Binds");
  jw_arr(w, "Mounts");
  for (struct json *b = binds && binds->type == JSON_ARRAY ? binds->child : 0; b; b = b->next) {
    struct volume v = {0};
    if (b->type != JSON_STRING || volume_parse(b->str, &v) < 0) {
      volume_free(&v);
      continue;
    }
    char *src = v.named ? xmprintf("%s/volumes/%s/_data", st->root, v.src) : xstrdup(v.src);
    jw_obj(w, 0);
    jw_str(w, "Type", v.named ? "volume" : "bind");
    if (v.named) jw_str(w, "Name", v.src);
    jw_str(w, "Source", src);
    jw_str(w, "Destination", v.dst);
    if (v.named) jw_str(w, "Driver", "local");
    jw_str(w, "Mode", v.ro ? "ro" : "");
    jw_bool(w, "RW", !v.ro);
    jw_str(w, "Propagation", v.named ? "" : "rprivate");
    jw_end(w);
    free(src);
    volume_free(&v);
  }
  jw_end(w);
}
