// ps.c: docker ps (container ls): Docker's columns and status strings.
//
//applet:ps "a(all) q(quiet) l(latest) n(last)# s(size) (no-trunc) f(filter)* (format):"
//config:config PS
//config:	bool "ps: list containers"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: ps [-a] [-q] [-l] [-n N] [-s] [--no-trunc] [-f KEY=VALUE]...
//config:
//config:	  List containers, newest first (only running ones without -a).
//config:
//config:	  -a, --all          Show all containers
//config:	  -q, --quiet        Only display container IDs
//config:	  -l, --latest       Show the latest created container (all states)
//config:	  -n, --last N       Show the N last created containers (all states)
//config:	  -s, --size         Display total file sizes (the container's own
//config:	                     writes, and with the image's layers: virtual)
//config:	      --no-trunc     Don't truncate output
//config:	  -f, --filter K=V   status=, name=, id=, ancestor= (repeatable)
//config:	      --format FORMAT  'table', 'table TEMPLATE', 'json', or a Go
//config:	                     template (.ID .Image .Command .CreatedAt .RunningFor
//config:	                     .Ports .State .Status .Names .Networks ...)

#define FOR_ps
#include "ocibox.h"
#include "generated/flags.h"

static int64_t since_ns(const char *rfc3339, const struct timespec *now)
{
  struct timespec t;

  if (parse_rfc3339(rfc3339, &t)) return 0;
  return (now->tv_sec - t.tv_sec) * 1000000000LL + (now->tv_nsec - t.tv_nsec);
}

// Path and Args joined, quoted like Go's strconv.Quote, cut to 20
// characters with "…" unless --no-trunc.
static void command_of(const struct container *c, struct buf *out)
{
  struct buf cmd = {0};
  struct json *args = json_get(c->config, "Args");
  const char *path = json_get_str(c->config, "Path");
  size_t chars = 0, cut = 0;

  buf_adds(&cmd, path ? path : "");
  for (struct json *a = args ? args->child : 0; a; a = a->next)
    if (a->type == JSON_STRING) buf_printf(&cmd, " %s", a->str);
  for (size_t i = 0; i < cmd.len; i++)
    if ((cmd.s[i] & 0xc0) != 0x80 && ++chars == 20) cut = i;
  if (!FLAG(no_trunc) && chars > 20) {
    cmd.len = cut;
    buf_adds(&cmd, "…");
  }
  // strconv.Quote escapes quotes, backslashes and control characters
  buf_addc(out, '"');
  for (size_t i = 0; i < cmd.len; i++) {
    unsigned char ch = cmd.s[i];
    if (ch == '"' || ch == '\\') buf_printf(out, "\\%c", ch);
    else if (ch == '\n') buf_adds(out, "\\n");
    else if (ch == '\t') buf_adds(out, "\\t");
    else if (ch < 0x20 || ch == 0x7f) buf_printf(out, "\\x%02x", ch);
    else buf_addc(out, ch);
  }
  buf_addc(out, '"');
  buf_free(&cmd);
}

static void status_of(const struct container *c, const struct timespec *now, struct buf *out)
{
  char d[40];

  if (!strcmp(c->status, "running"))
    buf_printf(out, "Up %s%s", fmt_duration(d, since_ns(c->started_at, now)), c->paused ? " (Paused)" : "");
  else if (!strcmp(c->status, "exited"))
    buf_printf(out, "Exited (%d) %s ago", c->exit_code, fmt_duration(d, since_ns(c->finished_at, now)));
  else if (!strcmp(c->status, "restarting"))
    buf_printf(out, "Restarting (%d) %s ago", c->exit_code, fmt_duration(d, since_ns(c->finished_at, now)));
  else if (!strcmp(c->status, "created")) buf_adds(out, "Created");
  else if (!strcmp(c->status, "dead")) buf_adds(out, "Dead");
  else buf_adds(out, c->status);
}

// Docker's SIZE: what the container wrote (its upper dir), then with its
// image's layers.
static void size_of(struct store *st, const struct container *c, struct buf *out)
{
  char *up = container_path(st, c->id, "upper"), a[24], b[24];
  int fd = open(up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int64_t rw = fd >= 0 ? du_at(fd) : 0, all = rw, n;
  struct json *l = json_get(c->config, "Layers");

  if (fd >= 0) close(fd);
  free(up);
  for (l = l && l->type == JSON_ARRAY ? l->child : 0; l; l = l->next)
    if (l->type == JSON_STRING && (n = layer_size(st, l->str)) > 0) all += n;
  buf_printf(out, "%s (virtual %s)", fmt_size(a, rw), fmt_size(b, all));
}

static int matches(const struct container *c)
{
  for (struct strlist *f = OPTLIST(f); f; f = f->next) {
    const char *v = strchr(f->s, '=');
    size_t k = v ? (size_t)(v - f->s) : 0;
    if (!v) error_exit("bad format of filter (expected name=value)");
    v++;
    if (k == 6 && !strncmp(f->s, "status", 6)) {
      if (strcmp(c->paused ? "paused" : c->status, v)) return 0;
    } else if (k == 4 && !strncmp(f->s, "name", 4)) {
      if (!strstr(c->name, v)) return 0;
    } else if (k == 2 && !strncmp(f->s, "id", 2)) {
      if (strncmp(c->id, v, strlen(v))) return 0;
    } else if (k == 8 && !strncmp(f->s, "ancestor", 8)) {
      const char *img = json_get_str(c->config, "Image");
      if (strcmp(c->image, v) && !(img && (!strcmp(img, v) || !strncmp(img + 7, v, strlen(v)))))
        return 0;
    } else error_exit("invalid filter '%.*s'", (int)k, f->s);
  }
  return 1;
}

static int newest_first(const void *a, const void *b)
{
  const struct container *x = a, *y = b;
  return strcmp(y->created, x->created);
}

// Docker's IMAGE: the name given at create while it still names the
// container's image, else the image's short ID (moby daemon/list.go).
static const char *image_shown(const struct container *c, struct index *ix, char id[16])
{
  struct ref r;
  struct buf full = {0};
  const char *md = json_get_str(c->config, "ManifestDigest"), *cfg = json_get_str(c->config, "Image");
  struct index_entry *e = 0;

  if (!ix || !md || !cfg || strlen(cfg) < 19 || ref_parse(c->image, &r) < 0) return c->image;
  ref_full(&r, &full);
  e = index_find(ix, full.s);
  buf_free(&full);
  if (e && !strcmp(e->digest, md)) return c->image;
  snprintf(id, 16, "%.12s", cfg + 7);
  return id;
}

// One row as --format's dot: the keys of Docker's ps formatter.
static void row_json(struct store *st, const struct container *c, const struct timespec *now,
                     const char *image, struct buf *rows)
{
  struct buf cmd = {0}, status = {0}, ports = {0}, size = {0};
  struct timespec t = {0};
  char created[64], ago[48], d[40];
  struct jw w;

  command_of(c, &cmd);
  status_of(c, now, &status);
  if (CFG_PUBLISH && !strcmp(c->status, "running")) ports_summary(json_get(c->state, "Ports"), &ports);
  parse_rfc3339(c->created, &t);
  snprintf(ago, sizeof(ago), "%s ago", fmt_duration(d, since_ns(c->created, now)));
  const char *net = json_get_str(json_get(c->config, "HostConfig"), "NetworkMode");
  jw_init(&w, rows, 0);
  jw_obj(&w, 0);
  jw_str(&w, "Command", buf_str(&cmd));
  jw_str(&w, "CreatedAt", fmt_gotime(created, t.tv_sec));
  jw_strn(&w, "ID", c->id, FLAG(no_trunc) ? 64 : 12);
  jw_str(&w, "Image", image);
  jw_str(&w, "Labels", "");
  jw_str(&w, "LocalVolumes", "0");
  jw_str(&w, "Mounts", "");
  jw_str(&w, "Names", c->name);
  jw_str(&w, "Networks", net ? net : "");
  jw_str(&w, "Ports", buf_str(&ports));
  jw_str(&w, "RunningFor", ago);
  if (FLAG(s)) size_of(st, c, &size);
  jw_str(&w, "Size", size.len ? size.s : "0B");
  jw_str(&w, "State", c->paused ? "paused" : c->status);
  jw_str(&w, "Status", buf_str(&status));
  jw_end(&w);
  buf_addc(rows, '\n');
  buf_free(&cmd);
  buf_free(&status);
  buf_free(&ports);
  buf_free(&size);
}

void ps_main(void)
{
  struct store st;
  struct container *cs = 0;
  size_t n = 0, shown = 0;
  struct strlist *ids, *l;
  struct timespec now;
  struct buf t = {0};
  long long limit = FLAG(l) ? 1 : FLAG(n) ? OPTNUM(n) : -1;
  int all = FLAG(a) || limit >= 0;

  struct index ix = {0};
  int have_ix = 0;
  char sid[16];

  clock_gettime(CLOCK_REALTIME, &now);
  if (store_open(&st, STORE_READ) < 0) {
    if (errno != ENOENT) error_exit("%s", applet.why);
  } else {
    ids = container_ids(&st);
    size_t cap = 0;
    for (l = ids; l; l = l->next) {
      if (n == cap) cs = xrealloc(cs, (cap = 2 * cap + 16) * sizeof(*cs));
      if (container_load(&st, l->s, cs + n) == 0) n++;
    }
    strlist_free(ids);
    have_ix = n && !FLAG(q) && index_load(&st, &ix) == 0;
  }
  qsort(cs, n, sizeof(*cs), newest_first);
  const char *format = FLAG(q) || (OPTSTR(format) && !strcmp(OPTSTR(format), "table")) ? 0 : OPTSTR(format);
  if (format && strcmp(format, "json") && !CFG_TEMPLATE) error_exit("--format needs a build with CONFIG_TEMPLATE");
  if (!FLAG(q) && !format)
    buf_adds(&t, FLAG(s) ? "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\tSIZE\n"
                         : "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n");
  for (size_t i = 0; i < n; i++) {
    struct container *c = cs + i;
    char d[40];
    if ((!all && strcmp(c->status, "running") && strcmp(c->status, "restarting")) || !matches(c)) continue;
    if (limit >= 0 && (long long)shown >= limit) break;
    shown++;
    if (FLAG(q)) {
      printf("%.*s\n", FLAG(no_trunc) ? 64 : 12, c->id);
      continue;
    }
    if (format) {
      row_json(&st, c, &now, image_shown(c, have_ix ? &ix : 0, sid), &t);
      continue;
    }
    buf_printf(&t, "%.*s\t%s\t", FLAG(no_trunc) ? 64 : 12, c->id, image_shown(c, have_ix ? &ix : 0, sid));
    command_of(c, &t);
    buf_printf(&t, "\t%s ago\t", fmt_duration(d, since_ns(c->created, &now)));
    status_of(c, &now, &t);
    buf_addc(&t, '\t');
    if (CFG_PUBLISH && !strcmp(c->status, "running")) ports_summary(json_get(c->state, "Ports"), &t);
    buf_printf(&t, "\t%s", c->name);
    if (FLAG(s)) buf_addc(&t, '\t'), size_of(&st, c, &t);
    buf_addc(&t, '\n');
  }
  static const char header[] = "{\"Command\":\"COMMAND\",\"CreatedAt\":\"CREATED AT\",\"ID\":\"CONTAINER ID\","
    "\"Image\":\"IMAGE\",\"Labels\":\"LABELS\",\"LocalVolumes\":\"LOCAL VOLUMES\",\"Mounts\":\"MOUNTS\","
    "\"Names\":\"NAMES\",\"Networks\":\"NETWORKS\",\"Ports\":\"PORTS\",\"RunningFor\":\"CREATED\","
    "\"Size\":\"SIZE\",\"State\":\"STATE\",\"Status\":\"STATUS\"}";
  if (format && !strcmp(format, "json")) fputs(buf_str(&t), stdout);
  else if (format && CFG_TEMPLATE) format_rows(format, header, buf_str(&t));
  else if (!FLAG(q)) table_flush(buf_str(&t), stdout);
  if (have_ix) index_free(&ix);
  for (size_t i = 0; i < n; i++) container_free(cs + i);
  free(cs);
  buf_free(&t);
}
