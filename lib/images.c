// images.c: the store's index.json as Docker shows images. Entries whose
// manifests share a config are one image whose ID is the config's digest
// (Docker's classic store); its references are the entries' names plus
// repo@digest for the digest a registry knows a tag by, as Docker's
// reference store keeps them; arguments resolve like Docker's GetImage.
//
// Its declarations belong in lib/ocibox.h: until they are there, the
// block to add before the final #endif is the comment at the end of
// this file (delete that comment once it is in).
#include "ocibox.h"
#include <ctype.h>

// An entry's name, parsed; 0 when it has none or it does not parse.
static int entry_ref(const struct index_entry *e, struct ref *r)
{
  return e->name && !ref_parse(e->name, r);
}

static void img_fill(struct store *s, struct img_info *m)
{
  const char *created = json_get_str(m->im.config, "created");

  for (size_t i = 0; i < m->im.nlayers; i++) {
    int64_t n = layer_size(s, m->im.chain_ids[i]);
    if (n > 0) m->size += n;
  }
  if (!created || parse_rfc3339(created, &m->created) < 0)
    memset(&m->created, 0, sizeof(m->created));
}

void images_load(struct store *s, const struct index *ix, struct img_list *l)
{
  memset(l, 0, sizeof(*l));
  for (size_t i = 0; i < ix->n; i++) {
    struct img_info *m = 0;
    // The same manifest under another name: the image is loaded already.
    for (size_t k = 0; k < l->n && !m; k++)
      for (size_t j = 0; j < l->v[k].nents && !m; j++)
        if (!strcmp(ix->e[l->v[k].ents[j]].digest, ix->e[i].digest)) m = l->v + k;
    if (!m) {
      struct image im;
      char *broken = 0;
      if (image_load(s, ix->e[i].digest, &im) < 0) {
        broken = xstrdup(applet.why);
        image_free(&im);
      }
      const char *id = broken ? ix->e[i].digest : im.config_digest;
      for (size_t k = 0; k < l->n && !m; k++)
        if (!l->v[k].broken && !broken && !strcmp(l->v[k].id, id)) m = l->v + k;
      if (m) image_free(&im);
      else {
        l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
        m = memset(l->v + l->n++, 0, sizeof(*m));
        snprintf(m->id, sizeof(m->id), "%s", id);
        m->broken = broken;
        if (!broken) {
          m->im = im;
          img_fill(s, m);
        }
      }
    }
    m->ents = xrealloc(m->ents, (m->nents + 1) * sizeof(*m->ents));
    m->ents[m->nents++] = i;
  }
}

void images_free(struct img_list *l)
{
  for (size_t k = 0; k < l->n; k++) {
    image_free(&l->v[k].im);
    free(l->v[k].ents);
    free(l->v[k].broken);
  }
  free(l->v);
  memset(l, 0, sizeof(*l));
}

// Remove entry i, keeping the others' order (index_add's counterpart).
void index_drop(struct index *ix, size_t i)
{
  struct index_entry *e = ix->e + i;

  free(e->name);
  free(e->media_type);
  free(e->repo_digest);
  free(e->created);
  memmove(e, e + 1, (ix->n - i - 1) * sizeof(*e));
  ix->n--;
}

// ---- references ----------------------------------------------------------

static void ref_add(struct img_ref **v, size_t *n, const struct ref *r, size_t ent)
{
  struct buf full = {0}, repo = {0};

  ref_full(r, &full);
  ref_familiar_name(r, &repo);
  for (size_t i = 0; i < *n; i++)
    if (!strcmp((*v)[i].full, full.s)) goto out;
  *v = xrealloc(*v, (*n + 1) * sizeof(**v));
  struct img_ref *x = memset(*v + (*n)++, 0, sizeof(**v));
  snprintf(x->full, sizeof(x->full), "%s", full.s);
  snprintf(x->repo, sizeof(x->repo), "%s", repo.s);
  snprintf(x->tag, sizeof(x->tag), "%s", r->tag);
  snprintf(x->digest, sizeof(x->digest), "%s", r->digest);
  x->ent = ent;
out:
  buf_free(&full);
  buf_free(&repo);
}

static int by_full(const void *a, const void *b)
{
  return strcmp(((const struct img_ref *)a)->full, ((const struct img_ref *)b)->full);
}

size_t img_refs(const struct index *ix, const struct img_info *m, struct img_ref **out)
{
  size_t n = 0;

  *out = 0;
  for (size_t j = 0; j < m->nents; j++) {
    const struct index_entry *e = ix->e + m->ents[j];
    struct ref r;
    if (!entry_ref(e, &r)) continue;
    // name:tag@digest names the digest only, as a digest pull records it.
    if (*r.digest) *r.tag = 0;
    ref_add(out, &n, &r, m->ents[j]);
    if (!*r.digest && e->repo_digest && digest_valid(e->repo_digest)) {
      snprintf(r.digest, sizeof(r.digest), "%s", e->repo_digest);
      *r.tag = 0;
      ref_add(out, &n, &r, m->ents[j]);
    }
  }
  if (n) qsort(*out, n, sizeof(**out), by_full);
  return n;
}

// ---- resolving an argument -----------------------------------------------

static int img_of(const struct img_list *l, size_t ent)
{
  for (size_t k = 0; k < l->n; k++)
    for (size_t j = 0; j < l->v[k].nents; j++)
      if (l->v[k].ents[j] == ent) return k;
  return -1;
}

// Docker's order: an image ID, then a name (tag, or a digest the
// repository holds), then a unique prefix of an ID, with or without
// "sha256:". A prefix shared by two images names neither.
int img_resolve(const struct img_list *l, const struct index *ix, const char *arg, size_t *ent)
{
  const char *hex = strncmp(arg, "sha256:", 7) ? arg : arg + 7;
  struct ref r;
  int found = -1, count = 0;

  if (is_image_id(arg)) {
    for (size_t k = 0; k < l->n; k++)
      if (!l->v[k].broken && !strcmp(l->v[k].id + 7, hex)) {
        if (ent) *ent = l->v[k].ents[0];
        return k;
      }
    return fail(ENOENT, "No such image: sha256:%s", hex);
  }
  if (ref_parse(arg, &r) < 0) return -EINVAL;
  for (size_t i = 0; i < ix->n; i++) {
    const struct index_entry *e = ix->e + i;
    struct ref er;
    if (!entry_ref(e, &er) || strcmp(er.domain, r.domain) || strcmp(er.path, r.path)) continue;
    int hit = *r.digest ? !strcmp(er.digest, r.digest) ||
                          (!*er.digest && e->repo_digest && !strcmp(e->repo_digest, r.digest))
                        : !*er.digest && !strcmp(er.tag, r.tag);
    if (hit && (found = img_of(l, i)) >= 0) {
      if (ent) *ent = i;
      return found;
    }
  }
  size_t len = strlen(hex);
  for (size_t k = 0; len && k < l->n; k++)
    if (!l->v[k].broken && !strncmp(l->v[k].id + 7, hex, len)) found = k, count++;
  if (count == 1) {
    if (ent) *ent = l->v[found].ents[0];
    return found;
  }
  struct buf b = {0};
  ref_familiar(&r, &b);
  fail(ENOENT, "No such image: %s", b.s);
  buf_free(&b);
  return -ENOENT;
}

// ---- removing what deleted images leave behind ---------------------------

static int uses_blob(const struct image *im, const char *digest)
{
  struct json *l = json_get(im->manifest, "layers");

  if (!strcmp(im->manifest_digest, digest) || !strcmp(im->config_digest, digest)) return 1;
  for (l = l ? l->child : 0; l; l = l->next) {
    const char *d = json_get_str(l, "digest");
    if (d && !strcmp(d, digest)) return 1;
  }
  return 0;
}

static int uses_layer(const struct image *im, const char *chain)
{
  for (size_t i = 0; i < im->nlayers; i++)
    if (!strcmp(im->chain_ids[i], chain)) return 1;
  return 0;
}

// The layers containers are made of: they keep them after rmi -f took
// their image. 0, or -1 when one cannot be read.
static int container_layers(struct store *s, struct strlist **out)
{
  struct strlist *ids = CFG_RUN ? container_ids(s) : 0, *l;
  int rc = 0;

  for (l = ids; l && !rc; l = l->next) {
    struct container c;
    if ((rc = container_load(s, l->s, &c)) < 0) break;
    struct json *j = json_get(c.config, "Layers");
    for (j = j ? j->child : 0; j; j = j->next)
      if (j->type == JSON_STRING) strlist_add(out, xstrdup(j->str));
    container_free(&c);
  }
  strlist_free(ids);
  return rc;
}

// The index no longer names the image, so its files are garbage unless
// another image or a container uses them. Each layer is decided from the
// chain ids of every image in index.json and the Layers of every
// container's config.json, read with gc.lock exclusive (store_gc):
// running containers hold no lock, so this works while they run. The
// races, and why none loses a layer:
// - a pull, load, import or commit that found the layer present and will
//   name an image using it holds gc.lock shared until index.json names
//   it: store_gc fails at once and the files stay, unreferenced and
//   harmless;
// - a create holds gc.lock shared from reading the image until its
//   config.json (with Layers) is renamed into containers/; if we hold it,
//   the create waits and then reads the index without the image;
// - a start (run's, start's, a restart policy's) reads config.json, which
//   is in containers/ already, so its Layers are among those kept.
// Removal itself is a rename into tmp/ (atomic), so a kill -9 leaves each
// layer whole or gone; the tmp/ leftover goes at the next store_gc.
int img_remove_unused(struct store *s, const struct image *gone, void (*removed)(const char *chain))
{
  struct index ix;
  struct image *live;
  struct strlist *kept = 0, *c;
  size_t n = 0, i;
  int rc = 0;

  if (store_gc(s)) return 0;
  if (index_load(s, &ix) < 0) return -1;
  live = xzalloc((ix.n + 1) * sizeof(*live));
  // An image or container we cannot read may use anything: remove nothing.
  for (i = 0; i < ix.n; i++, n++)
    if (image_load(s, ix.e[i].digest, live + i) < 0) goto out;
  if (container_layers(s, &kept) < 0) goto out;

  // Blobs: unlinking is atomic, and a missing one is fine.
  struct json *l = json_get(gone->manifest, "layers");
  l = l ? l->child : 0;
  const char *blobs[2] = {gone->manifest_digest, gone->config_digest};
  for (int b = 0; b < 2 || l; b++) {
    const char *d = b < 2 ? blobs[b] : json_get_str(l, "digest");
    if (b >= 2) l = l->next;
    if (!d || !digest_valid(d)) continue;
    for (i = 0; i < n && !uses_blob(live + i, d); i++);
    if (i < n) continue;
    char path[96];
    blob_path(d, path);
    if (unlinkat(s->fd, path, 0) && errno != ENOENT) {
      rc = fail(errno, "remove %s/%s: %s", s->root, path, strerror(errno));
      goto out;
    }
  }

  // Layers, top first as Docker lists them: renamed into tmp/ first so
  // that a crash mid-way never leaves a half layer that looks present
  // (store_gc() finishes "<pid>-" leftovers).
  char (*moved)[72] = xzalloc((gone->nlayers + 1) * sizeof(*moved));
  size_t nmoved = 0;
  for (size_t k = gone->nlayers; k-- > 0;) {
    const char *chain = gone->chain_ids[k];
    char from[96], to[128];
    for (i = 0; i < n && !uses_layer(live + i, chain); i++);
    for (c = kept; c && strcmp(c->s, chain); c = c->next);
    if (i < n || c || !layer_exists(s, chain)) continue;
    snprintf(from, sizeof(from), "layers/%s", chain + 7);
    snprintf(to, sizeof(to), "tmp/%d-rm-%s", (int)getpid(), chain + 7);
    if (renameat(s->fd, from, s->fd, to)) {
      rc = fail(errno, "remove %s/%s: %s", s->root, from, strerror(errno));
      break;
    }
    strcpy(moved[nmoved++], chain);
  }
  if (nmoved) fsync_dir_at(s->fd, "layers");
  for (size_t k = 0; k < nmoved; k++) {
    char *path = xmprintf("%s/tmp/%d-rm-%s", s->root, (int)getpid(), moved[k] + 7);
    if (rm_rf(path) < 0 && !rc) rc = -1;
    free(path);
    if (removed) removed(moved[k]);
  }
  free(moved);
out:
  strlist_free(kept);
  for (i = 0; i < ix.n; i++) image_free(live + i);
  free(live);
  index_free(&ix);
  return rc;
}

// ---- time filters --------------------------------------------------------

// Go's time.ParseDuration: "1h30m", "1.5h", "300ms", "-10m".
static int parse_duration(const char *s, double *sec)
{
  static const struct { const char *u; double f; } units[] = {
    {"ns", 1e-9}, {"us", 1e-6}, {"\xc2\xb5s", 1e-6}, {"ms", 1e-3},
    {"s", 1}, {"m", 60}, {"h", 3600}};
  int neg = *s == '-';
  double total = 0;

  if (*s == '-' || *s == '+') s++;
  if (!strcmp(s, "0")) return *sec = 0, 0;
  if (!*s) return -1;
  while (*s) {
    char *end;
    if (!isdigit((unsigned char)*s) && *s != '.') return -1;
    double v = strtod(s, &end);
    size_t i, n = 0;
    if (end == s) return -1;
    for (i = 0; i < ARRAY_LEN(units); i++) {
      n = strlen(units[i].u);
      // "m" must not take the "m" of "ms"
      if (!strncmp(end, units[i].u, n) && !(n == 1 && *end == 'm' && end[1] == 's')) break;
    }
    if (i == ARRAY_LEN(units)) return -1;
    total += v * units[i].f;
    s = end + n;
  }
  *sec = neg ? -total : total;
  return 0;
}

// n digits at *p into *v; 0, or -1 at anything else.
static int num(const char **p, int n, int *v)
{
  for (*v = 0; n--; (*p)++) {
    if (!isdigit((unsigned char)**p)) return -1;
    *v = *v * 10 + **p - '0';
  }
  return 0;
}

// Docker's filter timestamps (api/types/time GetTimestamp): a duration
// back from now ("24h"), an RFC 3339 time, a date or date-time without a
// zone ("2024-05-01", "2024-05-01T10:00"), or Unix seconds
// ("1700000000.5"). Docker reads zone-less times in local time; ocibox
// carries no time zone code (see lib/fmt.c) and reads them as UTC.
int parse_timestamp(const char *s, struct timespec *out)
{
  const char *p = s;
  int v[6] = {0}, k = 1, bad = 0;
  double d;

  if (strcmp(s, "0") && !parse_duration(s, &d)) {
    clock_gettime(CLOCK_REALTIME, out);
    out->tv_sec -= (time_t)d;
    return 0;
  }
  if (!parse_rfc3339(s, out)) return 0;
  // "2006-01-02", "2006-01-02T15", "...T15:04", "...T15:04:05"
  if (!num(&p, 4, v)) {
    while (k < 6 && *p == "--T::"[k - 1] && !(bad = (p++, num(&p, 2, v + k)))) k++;
    if (!bad && k >= 3 && !*p && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31) {
      struct tm tm = {.tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                      .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5]};
      out->tv_sec = timegm(&tm);
      out->tv_nsec = 0;
      return 0;
    }
  }
  if (!strchr(s, '-')) {
    char *end;
    errno = 0;
    long long sec = strtoll(s, &end, 10);
    long ns = 0, scale = 100000000;
    if (end == s || errno || (*end && (*end != '.' || !end[1]))) goto bad;
    for (p = *end ? end + 1 : end; *p; p++, scale /= 10) {
      if (!isdigit((unsigned char)*p)) goto bad;
      ns += (*p - '0') * scale;
    }
    out->tv_sec = sec;
    out->tv_nsec = ns;
    return 0;
  }
bad:
  return fail(EINVAL, "failed to parse value as time or duration: \"%s\"", s);
}
