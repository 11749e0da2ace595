// search.c: docker search: a registry's v1 search API (GET
// /v1/search?q=TERM&n=LIMIT) shown as Docker 24 shows it (moby
// registry/search.go and session.go; the CLI's registry/search.go and
// formatter_search.go). A registry without that API (distribution v2
// answers 404) has its /v2/_catalog searched for names holding TERM.
//
//applet:search "<1 >1 (limit)# (no-trunc) f(filter)* (format):"
//config:config SEARCH
//config:	bool "search: search a registry for images"
//config:	default y
//config:	help
//config:	  usage: search [OPTIONS] [REGISTRY/]TERM
//config:
//config:	  Search Docker Hub, or the registry named, for repositories. A
//config:	  registry without Docker's search API has its catalog searched
//config:	  for repository names containing TERM.
//config:
//config:	  -f, --filter FILTER   is-official=true|false, is-automated=true|false,
//config:	                        stars=N (at least N stars)
//config:	      --format FORMAT   'table' (default), 'table TEMPLATE', 'json',
//config:	                        or a Go template (needs CONFIG_TEMPLATE)
//config:	      --limit N         Max number of search results (1-100, default 25)
//config:	      --no-trunc        Don't truncate output

#define FOR_search
#include "ocibox.h"
#include "generated/flags.h"

// is-official, is-automated: -1 when not asked; Docker's GetBoolOrDefault.
static int bool_filter(const char *key)
{
  struct buf vals = {0};
  size_t k = strlen(key);
  int yes = 0, no = 0, seen = 0;

  for (struct strlist *l = OPTLIST(filter); l; l = l->next) {
    const char *v = l->s + k + 1;
    if (strncmp(l->s, key, k) || l->s[k] != '=') continue;
    seen = 1;
    yes |= !strcmp(v, "1") || !strcmp(v, "true");
    no |= !strcmp(v, "0") || !strcmp(v, "false");
    buf_printf(&vals, " %s", v);
  }
  if (seen && yes == no) error_exit("invalid filter '%s=[%s]'", key, vals.s + 1);
  buf_free(&vals);
  return seen ? yes : -1;
}

// GET u into body. A Link header (the catalog's next page) goes to u,
// else u's path is emptied. A v1 404 (no search API) returns -1; other
// failures end the program.
static int fetch(struct registry *r, struct url *u, struct buf *body, int v1)
{
  struct http_resp resp;
  struct buf why = {0};
  struct url next;
  const char *link, *lt, *gt;

  if (reg_send(r, "GET", u, 0, 0, &resp) < 0) error_exit("%s", applet.why);
  if (resp.status != 200) {
    if (v1 && resp.status == 404) return http_done(&r->http, &resp), -1;
    if (v1) error_exit("Unexpected status code %d", resp.status);
    reg_error(r, &resp, &why);
    error_exit("%s", why.s);
  }
  buf_free(body);
  if (reg_read_body(&resp, body, 4 << 20, "search result") < 0) error_exit("%s", applet.why);
  link = http_header(&resp, "Link");
  *u->path = 0;
  if (link && (lt = strchr(link, '<')) && (gt = strchr(lt, '>'))) {
    char *s = xstrndup(lt + 1, gt - lt - 1);
    if (url_resolve(u, s, &next) < 0) error_exit("%s", applet.why);
    *u = next;
    free(s);
  }
  http_done(&r->http, &resp);
  return 0;
}

static struct json *parse(const char *s, size_t len)
{
  struct json_err e;
  struct json *j = json_parse(s, len, &e);

  if (!j) error_exit("error decoding search results: %s", e.msg);
  return j;
}

struct search {
  int official, automated;  // -1: either
  long long stars;          // at least
  size_t n;                 // results the registry gave
  struct buf rows;          // those the filters keep, a JSON object a line
};

// A result the daemon's filters keep, as the CLI's search context shows
// it: its methods' strings, for the table, templates and JSON alike.
static void add(struct search *s, const char *name, const char *desc, long long stars,
                int official, int automated)
{
  struct buf d = {0};
  struct jw w;
  size_t chars = 0, cut = 0;
  char n[24];

  s->n++;
  if ((s->official >= 0 && s->official != official) || (s->automated >= 0 && s->automated != automated) ||
      stars < s->stars)
    return;
  // Line breaks become spaces; 45 characters at most, the last a "…".
  for (; desc && *desc; desc++) {
    buf_addc(&d, *desc == '\n' || *desc == '\r' ? ' ' : *desc);
    if ((*desc & 0xc0) != 0x80 && ++chars == 45) cut = d.len - 1;
  }
  if (!FLAG(no_trunc) && chars > 45) {
    d.len = cut;
    buf_adds(&d, "…");
  }
  snprintf(n, sizeof(n), "%lld", stars);
  jw_init(&w, &s->rows, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Description", buf_str(&d));
  jw_str(&w, "IsAutomated", automated ? "[OK]" : "");
  jw_str(&w, "IsOfficial", official ? "[OK]" : "");
  jw_str(&w, "Name", name);
  jw_str(&w, "StarCount", n);
  jw_end(&w);
  buf_addc(&s->rows, '\n');
  buf_free(&d);
}

// Docker's formatter.Context: a template per result ("table ...": with a
// header row, tab-aligned), or "json": the rows as they are.
static void show(struct buf *rows)
{
  static const char header[] = "{\"Description\":\"DESCRIPTION\",\"IsAutomated\":\"AUTOMATED\","
    "\"IsOfficial\":\"OFFICIAL\",\"Name\":\"NAME\",\"StarCount\":\"STARS\"}";
  const char *format = OPTSTR(format), *line, *end;
  struct buf out = {0};

  if (format && !strcmp(format, "json")) {
    fputs(buf_str(rows), stdout);
    return;
  }
  if (!format || !strcmp(format, "table")) {
    format = "table {{.Name}}\\t{{.Description}}\\t{{.StarCount}}\\t{{.IsOfficial}}\\t{{.IsAutomated}}";
    // Without templates, the default table by hand.
    if (!CFG_TEMPLATE) {
      buf_adds(&out, "NAME\tDESCRIPTION\tSTARS\tOFFICIAL\tAUTOMATED\n");
      for (line = buf_str(rows); *line; line = end + 1) {
        struct json *j = parse(line, (end = strchr(line, '\n')) - line);
        buf_printf(&out, "%s\t%s\t%s\t%s\t%s\n", json_get_str(j, "Name"), json_get_str(j, "Description"),
                   json_get_str(j, "StarCount"), json_get_str(j, "IsOfficial"), json_get_str(j, "IsAutomated"));
        json_free(j);
      }
      table_flush(buf_str(&out), stdout);
      return;
    }
  }
  if (!CFG_TEMPLATE) error_exit("--format needs a build with CONFIG_TEMPLATE");
  format_rows(format, header, buf_str(rows));
}

static int is_true(struct json *o, const char *key)
{
  o = json_get(o, key);
  return o && o->type == JSON_TRUE;
}

void search_main(void)
{
  char *term = *applet.argv, *slash = strchr(term, '/');
  struct search s = {0};
  struct ref ref = {0};
  struct registry r;
  struct buf body = {0}, u = {0};
  struct url url;
  struct json *j, *x;
  long long limit = OPTNUM(limit) ? OPTNUM(limit) : 25, k;
  size_t h;

  // The daemon's checks: names, stars=N, then the booleans.
  for (struct strlist *l = OPTLIST(filter); l; l = l->next) {
    char name[40], *e, *v = l->s + 6;
    h = strcspn(l->s, "=");
    if (!*l->s) continue;
    if (!l->s[h])
      help_exit("invalid argument \"%s\" for \"-f, --filter\" flag: bad format of filter (expected name=value)", l->s);
    snprintf(name, sizeof(name), " %.*s ", (int)h, l->s);
    if (!strstr(" is-automated is-official stars ", name)) error_exit("invalid filter '%.*s'", (int)h, l->s);
    if (h == 12)
      fputs("WARNING: the \"is-automated\" filter is deprecated, and searching for \"is-automated=true\" will not yield any results in future.\n", stderr);
    if (h != 5) continue;
    k = strtoll(v, &e, 10);
    if (!*v || *e) error_exit("invalid filter 'stars=%s': strconv.Atoi: parsing \"%s\": invalid syntax", v, v);
    if (k > s.stars) s.stars = k;
  }
  s.automated = bool_filter("is-automated");
  s.official = bool_filter("is-official");

  // Docker Hub, unless the first component names a host.
  if (!strncmp(term, "http://", 7) || !strncmp(term, "https://", 8))
    error_exit("invalid repository name: repository name (%s) should not have a scheme", term);
  strcpy(ref.domain, "docker.io");
  if (slash && (strcspn(term, ".:") < (h = slash - term) || (h == 9 && !strncmp(term, "localhost", 9)))) {
    if (strncmp(term, "index.docker.io/", 16)) snprintf(ref.domain, sizeof(ref.domain), "%.*s", (int)h, term);
    term = slash + 1;
  }
  if (!strcmp(ref.domain, "docker.io") && !strncmp(term, "library/", 8)) term += 8;
  if (limit < 1 || limit > 100) error_exit("limit %lld is outside the range of [1, 100]", limit);

  reg_open(&r, &ref, "pull");
  buf_printf(&u, "%s://%s/v1/search?q=", r.scheme, strcmp(ref.domain, "docker.io") ? r.endpoint : "index.docker.io");
  url_escape(term, &u);
  buf_printf(&u, "&n=%lld", limit);
  if (url_parse(u.s, &url) < 0) error_exit("%s", applet.why);
  if (!fetch(&r, &url, &body, 1)) {
    j = parse(buf_str(&body), body.len);
    for (x = json_get(j, "results") ? json_get(j, "results")->child : 0; x; x = x->next) {
      k = 0;
      json_int(json_get(x, "star_count"), &k);
      add(&s, json_get_str(x, "name"), json_get_str(x, "description"), k, is_true(x, "is_official"),
          is_true(x, "is_automated"));
    }
  } else {
    // No search API: the catalog's names (as pull takes them), page by page.
    free(r.scope);
    r.scope = xstrdup("registry:catalog:*");
    buf_free(&u);
    buf_printf(&u, "%s://%s/v2/_catalog?n=100", r.scheme, r.endpoint);
    if (url_parse(u.s, &url) < 0) error_exit("%s", applet.why);
    while (*url.path && s.n < (size_t)limit) {
      fetch(&r, &url, &body, 0);
      j = parse(buf_str(&body), body.len);
      for (x = json_get(j, "repositories") ? json_get(j, "repositories")->child : 0; x && s.n < (size_t)limit; x = x->next)
        if (x->type == JSON_STRING && strcasestr(x->str, term)) {
          char *name = xmprintf("%s/%s", ref.domain, x->str);
          add(&s, name, 0, 0, 0, 0);
          free(name);
        }
      json_free(j);
    }
  }
  show(&s.rows);
  reg_close(&r);
}
