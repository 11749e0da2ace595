// images.c: docker images: the images in the store, a row per repository
// and tag, newest first, with Docker's filters and output formats (the
// CLI's formatter/image.go over the daemon's image list; SPECS.md §7).
//
//applet:images ">1 a(all) q(quiet) (digests) (no-trunc) f(filter)* (format):"
//config:config IMAGES
//config:	bool "images: list the images in the store"
//config:	default y
//config:	help
//config:	  usage: images [OPTIONS] [REPOSITORY[:TAG]]
//config:
//config:	  List images, newest first: a row per repository and tag.
//config:	  REPOSITORY[:TAG] is a reference filter (a glob).
//config:
//config:	  -a, --all             Show all images (default hides intermediate images)
//config:	      --digests         Show digests
//config:	  -f, --filter FILTER   Filter output based on conditions provided:
//config:	                        dangling=true|false, reference=PATTERN,
//config:	                        before=IMAGE, since=IMAGE, until=TIME,
//config:	                        label=KEY[=VALUE]
//config:	      --format FORMAT   'table' (default), 'table TEMPLATE', 'json',
//config:	                        or a Go template (needs CONFIG_TEMPLATE)
//config:	      --no-trunc        Don't truncate output
//config:	  -q, --quiet           Only show image IDs

#define FOR_images
#include "ocibox.h"
#include "generated/flags.h"
#include <ctype.h>

// What -f asked for; Docker's daemon checks each in this order.
struct filters {
  char **name, **value;
  size_t n;
  int dangling;                   // -1 not asked, 0 only named, 1 only dangling
  int refs, labels;               // how many of each
  struct timespec before, since;  // zero: not asked
};

struct row {
  struct img_info *m;
  const char *repo, *tag, *digest;
};

// The CLI's FilterOpt: "name=value", name lower-cased, both trimmed.
static void filter_add(struct filters *f, const char *s, int usage)
{
  const char *eq = strchr(s, '=');
  if (!*s) return;
  if (!eq) {
    if (usage)
      help_exit("invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", s);
    error_exit("bad format of filter (expected name=value)");
  }
  f->name = xrealloc(f->name, (f->n + 1) * sizeof(*f->name));
  f->value = xrealloc(f->value, (f->n + 1) * sizeof(*f->value));
  while (*s == ' ' || *s == '\t') s++;
  size_t n = eq - s;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
  char *name = xstrndup(s, n), *v = xstrdup(eq + 1 + strspn(eq + 1, " \t"));
  for (char *p = name; *p; p++) *p = tolower((unsigned char)*p);
  for (n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--) v[n - 1] = 0;
  f->name[f->n] = name;
  f->value[f->n++] = v;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
  return a->tv_sec != b->tv_sec ? (a->tv_sec < b->tv_sec ? -1 : 1)
                                : (a->tv_nsec > b->tv_nsec) - (a->tv_nsec < b->tv_nsec);
}

static int ts_zero(const struct timespec *t)
{
  return !t->tv_sec && !t->tv_nsec;
}

// The daemon's side: known names, dangling's value, the images named.
static void filters_resolve(struct filters *f, struct img_list *l, struct index *ix)
{
  static const char *const known[] = {"dangling", "label", "before", "since", "reference", "until"};
  int yes = 0, no = 0;
  size_t i, k;

  for (i = 0; i < f->n; i++) {
    for (k = 0; k < ARRAY_LEN(known) && strcmp(f->name[i], known[k]); k++);
    if (k == ARRAY_LEN(known)) error_exit("invalid filter '%s'", f->name[i]);
  }
  f->dangling = -1;
  for (i = 0; i < f->n; i++) {
    const char *v = f->value[i];
    if (!strcmp(f->name[i], "dangling")) {
      yes |= !strcmp(v, "true") || !strcmp(v, "1");
      no |= !strcmp(v, "false") || !strcmp(v, "0");
      f->dangling = 0;
    } else if (!strcmp(f->name[i], "reference")) f->refs++;
    else if (!strcmp(f->name[i], "label")) f->labels++;
  }
  if (f->dangling >= 0 && yes == no) {
    // Go prints the value list as [a b]
    struct buf b = {0};
    for (i = 0; i < f->n; i++)
      if (!strcmp(f->name[i], "dangling")) buf_printf(&b, "%s%s", b.len ? " " : "", f->value[i]);
    error_exit("invalid filter 'dangling=[%s]'", b.s);
  }
  if (f->dangling >= 0) f->dangling = yes;
  // Several befores mean the oldest, several sinces the newest.
  const char *order[] = {"before", "until", "since"};
  for (k = 0; k < ARRAY_LEN(order); k++)
    for (i = 0; i < f->n; i++) {
      struct timespec t;
      if (strcmp(f->name[i], order[k])) continue;
      if (k == 1) {
        if (parse_timestamp(f->value[i], &t) < 0) error_exit("%s", applet.why);
      } else {
        int m = img_resolve(l, ix, f->value[i], 0);
        if (m < 0) error_exit("%s", applet.why);
        t = l->v[m].created;
        if (ts_zero(&t)) continue;
      }
      struct timespec *to = k < 2 ? &f->before : &f->since;
      if (ts_zero(to) || (k < 2 ? ts_cmp(&t, to) < 0 : ts_cmp(&t, to) > 0)) *to = t;
    }
}

// Go's path.Match: '*' and '?' do not match '/'; [^a-z] classes and
// backslash escapes. Not fnmatch(): musl's brings 15 KiB of wide
// character tables, and names and tags are ASCII, so bytes will do.
static int path_match(const char *p, const char *s)
{
  for (; *p; p++, s++) {
    switch (*p) {
    case '*':
      while (p[1] == '*') p++;
      for (;; s++) {
        if (path_match(p + 1, s)) return 1;
        if (!*s || *s == '/') return 0;
      }
    case '?':
      if (!*s || *s == '/') return 0;
      break;
    case '[': {
      int neg = p[1] == '^', hit = 0;
      if (!*s) return 0;
      for (p += 1 + neg; *p != ']'; p++) {
        char lo = *p == '\\' ? *++p : *p, hi = lo;
        if (!lo) return 0;
        if (p[1] == '-' && p[2] != ']') hi = *(p += 2) == '\\' ? *++p : *p;
        if (!hi) return 0;
        hit |= lo <= *s && *s <= hi;
      }
      if (hit == neg) return 0;
      break;
    }
    case '\\':
      if (!*++p) return 0;
      // fall through
    default:
      if (*p != *s) return 0;
    }
  }
  return !*s;
}

// reference=PATTERN: Go's path.Match over "repo:tag" (or "repo@digest"),
// then over the repository alone; any pattern will do.
static int ref_wanted(struct filters *f, const struct img_ref *r)
{
  struct buf fam = {0};
  int hit = !f->refs;

  buf_printf(&fam, "%s%s%s", r->repo, *r->tag ? ":" : "@", *r->tag ? r->tag : r->digest);
  for (size_t i = 0; i < f->n && !hit; i++)
    if (!strcmp(f->name[i], "reference"))
      hit = path_match(f->value[i], fam.s) || path_match(f->value[i], r->repo);
  buf_free(&fam);
  return hit;
}

// label=KEY or label=KEY=VALUE: every one must match.
static int labels_match(struct filters *f, struct img_info *m)
{
  struct json *labels = json_get(json_get(m->im.config, "config"), "Labels");

  if (!f->labels) return 1;
  if (!labels || labels->type != JSON_OBJECT || !labels->child) return 0;
  for (size_t i = 0; i < f->n; i++) {
    if (strcmp(f->name[i], "label")) continue;
    char *eq = strchr(f->value[i], '='), *key = xstrndup(f->value[i], eq ? (size_t)(eq - f->value[i]) : SIZE_MAX);
    struct json *v = json_get(labels, key);
    free(key);
    if (!v || (eq && (v->type != JSON_STRING || strcmp(v->str, eq + 1)))) return 0;
  }
  return 1;
}

// ---- rows ----------------------------------------------------------------

static void add_row(struct row **v, size_t *n, struct img_info *m, const char *repo,
                    const char *tag, const char *digest)
{
  *v = xrealloc(*v, (*n + 1) * sizeof(**v));
  (*v)[(*n)++] = (struct row){m, xstrdup(repo), xstrdup(tag), xstrdup(digest)};
}

// Repository, then its tags before its digests.
static int by_repo(const void *a, const void *b)
{
  const struct img_ref *x = a, *y = b;
  int c = strcmp(x->repo, y->repo);
  if (c) return c;
  if (!*x->tag != !*y->tag) return *x->tag ? -1 : 1;
  return *x->tag ? strcmp(x->tag, y->tag) : strcmp(x->digest, y->digest);
}

// The CLI's rows of one image: a row per tag (times the repository's
// digests when those show); a repository with digests only gets one row
// with tag <none> (a row per digest with --digests). Go walks maps here,
// in random order: we sort.
static void image_rows(struct img_info *m, struct img_ref *r, size_t n, int need_digest,
                       struct row **v, size_t *nv)
{
  if (!n) {
    add_row(v, nv, m, "<none>", "<none>", "<none>");
    return;
  }
  qsort(r, n, sizeof(*r), by_repo);
  for (size_t i = 0, j, t; i < n; i = j) {
    for (j = i; j < n && !strcmp(r[j].repo, r[i].repo); j++);
    for (t = i; t < j && *r[t].tag; t++);  // tags [i, t), digests [t, j)
    for (size_t a = i; a < t; a++) {
      if (!need_digest || t == j) add_row(v, nv, m, r[a].repo, r[a].tag, "<none>");
      else for (size_t d = t; d < j; d++) add_row(v, nv, m, r[a].repo, r[a].tag, r[d].digest);
    }
    if (t > i) continue;
    if (!FLAG(digests)) add_row(v, nv, m, r[i].repo, "<none>", "");
    else for (size_t d = t; d < j; d++) add_row(v, nv, m, r[i].repo, "<none>", r[d].digest);
  }
}

// The daemon's choice of images and references, then the CLI's rows.
static void select_rows(struct filters *f, struct img_list *l, struct index *ix,
                        int need_digest, struct row **v, size_t *nv)
{
  for (size_t k = 0; k < l->n; k++) {
    struct img_info *m = l->v + k;
    struct img_ref *r;
    size_t n, keep = 0, tags = 0;

    if (m->broken) {
      error_msg("%s", m->broken);
      continue;
    }
    if (!ts_zero(&f->before) && (ts_zero(&m->created) || ts_cmp(&m->created, &f->before) >= 0)) continue;
    if (!ts_zero(&f->since) && (ts_zero(&m->created) || ts_cmp(&m->created, &f->since) <= 0)) continue;
    if (!labels_match(f, m)) continue;
    n = img_refs(ix, m, &r);
    for (size_t i = 0; i < n; i++)
      if (ref_wanted(f, r + i)) {
        tags += !!*r[i].tag;
        r[keep++] = r[i];
      }
    // No name left: dangling, unless a filter asked for names.
    if (!keep && (f->dangling == 0 || f->refs)) goto next;
    // dangling=true keeps images without tags (digest-only ones too).
    if (keep && f->dangling == 1 && tags) goto next;
    image_rows(m, r, keep, need_digest, v, nv);
next:
    free(r);
  }
}

// Newest first, as the daemon sorts (by whole seconds); ties by ID.
static int newest_first(const void *a, const void *b)
{
  const struct img_info *x = a, *y = b;
  if (x->created.tv_sec != y->created.tv_sec) return x->created.tv_sec < y->created.tv_sec ? 1 : -1;
  return strcmp(x->id, y->id);
}

// ---- output --------------------------------------------------------------

static const char *row_id(const struct row *r)
{
  static char id[13];
  if (FLAG(no_trunc)) return r->m->id;
  snprintf(id, sizeof(id), "%.12s", r->m->id + 7);
  return id;
}

static char *since(char out[48], const struct img_info *m)
{
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  // The API gives whole seconds.
  int64_t ns = (int64_t)(now.tv_sec - m->created.tv_sec) * 1000000000 + now.tv_nsec;
  fmt_duration(out, ns);
  strcat(out, " ago");
  return out;
}

// One row as the template's dot and as --format json: the CLI context's
// methods, keys sorted as Go's encoder sorts a map.
static void row_json(const struct row *r, struct buf *b)
{
  struct jw w;
  char size[24], created[64], ago[48], vsize[24];
  double v = r->m->size;
  unsigned u = 0;
  static const char units[][3] = {"B", "kB", "MB", "GB", "TB", "PB"};

  fmt_gotime(created, r->m->created.tv_sec);
  // VirtualSize is go-units HumanSize: 4 significant digits.
  while (v >= 1000 && u < ARRAY_LEN(units) - 1) v /= 1000, u++;
  snprintf(vsize, sizeof(vsize), "%.4g%s", v, units[u]);
  jw_init(&w, b, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Containers", "N/A");
  jw_str(&w, "CreatedAt", created);
  jw_str(&w, "CreatedSince", since(ago, r->m));
  jw_str(&w, "Digest", r->digest);
  jw_str(&w, "ID", row_id(r));
  jw_str(&w, "Repository", r->repo);
  jw_str(&w, "SharedSize", "N/A");
  jw_str(&w, "Size", fmt_size(size, r->m->size));
  jw_str(&w, "Tag", r->tag);
  jw_str(&w, "UniqueSize", "N/A");
  jw_str(&w, "VirtualSize", vsize);
  jw_end(&w);
}

static void print_table(struct row *v, size_t n)
{
  struct buf b = {0};
  char size[24], ago[48];

  buf_printf(&b, "REPOSITORY\tTAG\t%sIMAGE ID\tCREATED\tSIZE\n", FLAG(digests) ? "DIGEST\t" : "");
  for (size_t i = 0; i < n; i++) {
    buf_printf(&b, "%s\t%s\t", v[i].repo, v[i].tag);
    if (FLAG(digests)) buf_printf(&b, "%s\t", v[i].digest);
    buf_printf(&b, "%s\t%s\t%s\n", row_id(v + i), since(ago, v[i].m), fmt_size(size, v[i].m->size));
  }
  table_flush(buf_str(&b), stdout);
  buf_free(&b);
}

// A template per row, through format_rows.
static void print_template(const char *format, struct row *v, size_t n)
{
  static const char header[] = "{\"Containers\":\"CONTAINERS\",\"CreatedAt\":\"CREATED AT\","
    "\"CreatedSince\":\"CREATED\",\"Digest\":\"DIGEST\",\"ID\":\"IMAGE ID\","
    "\"Repository\":\"REPOSITORY\",\"SharedSize\":\"SHARED SIZE\",\"Size\":\"SIZE\","
    "\"Tag\":\"TAG\",\"UniqueSize\":\"UNIQUE SIZE\",\"VirtualSize\":\"SIZE\"}";
  struct buf rows = {0};
  char *text = xmprintf("%s%s", format, !strncmp(format, "table", 5) && FLAG(digests) &&
                        !strstr(format, "{{.Digest}}") ? "\t{{.Digest}}" : "");

  for (size_t i = 0; i < n; i++) {
    row_json(v + i, &rows);
    buf_addc(&rows, '\n');
  }
  if (!strcmp(format, "json")) fputs(buf_str(&rows), stdout);
  else if (CFG_TEMPLATE) format_rows(text, header, buf_str(&rows));
  free(text);
  buf_free(&rows);
}

void images_main(void)
{
  const char *format = OPTSTR(format);
  struct filters f = {0};
  struct store st;
  struct index ix = {0};
  struct img_list l = {0};
  struct row *rows = 0;
  size_t nrows = 0;
  int rc;

  for (struct strlist *o = OPTLIST(filter); o; o = o->next) filter_add(&f, o->s, 1);
  if (applet.argc && *applet.argv[0]) {
    char *ref = xmprintf("reference=%s", applet.argv[0]);
    filter_add(&f, ref, 0);
  }
  int plain = !format || !strcmp(format, "table"), json = format && !strcmp(format, "json");
  if (!plain && !json && !CFG_TEMPLATE) error_exit("--format needs a build with CONFIG_TEMPLATE");

  // Read only: index.json is replaced atomically; no data root, no images.
  if (!(rc = store_open(&st, STORE_READ))) {
    if (index_load(&st, &ix) < 0) error_exit("%s", applet.why);
    images_load(&st, &ix, &l);
  } else if (rc != -ENOENT) error_exit("%s", applet.why);
  filters_resolve(&f, &l, &ix);
  // -a shows intermediate images of local builds; pulled ones have none.
  qsort(l.v, l.n, sizeof(*l.v), newest_first);
  select_rows(&f, &l, &ix, FLAG(digests) || (format && strstr(format, "{{.Digest}}")), &rows, &nrows);

  if (plain && FLAG(q)) {
    // One line per image, not per name: what `rmi $(images -q)` wants.
    for (size_t i = 0; i < nrows; i++)
      if (!i || rows[i].m != rows[i - 1].m) puts(row_id(rows + i));
  } else if (plain) print_table(rows, nrows);
  else if (CFG_TEMPLATE || json) print_template(format, rows, nrows);
  images_free(&l);
  index_free(&ix);
  if (!rc) store_close(&st);
}
