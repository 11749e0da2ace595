// import.c: docker import: a single-layer image from a tar of a root
// filesystem (plain or gzipped) in a file, on stdin or at an http(s) URL.
//
//applet:import "<1 >2 c(change)* m(message): (platform):"
//config:config IMPORT
//config:	bool "import: an image from a tarball of a filesystem"
//config:	default y
//config:	depends on ARCHIVE
//config:	help
//config:	  usage: import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]
//config:
//config:	  Import the contents from a tarball to create a filesystem image.
//config:
//config:	  -c, --change INSTR     Apply Dockerfile instruction to the created image
//config:	                         (CMD ENTRYPOINT ENV EXPOSE LABEL USER VOLUME
//config:	                         WORKDIR STOPSIGNAL; repeatable)
//config:	  -m, --message MSG      Set commit message for imported image
//config:	      --platform PLAT    Set platform (os/arch[/variant]) of the image

#define FOR_import
#include "ocibox.h"
#include "generated/flags.h"
#include <sys/utsname.h>

static ssize_t http_rd(void *ctx, void *buf, size_t n)
{
  return http_read(ctx, buf, n);
}

// GET src, following up to 5 redirects.
static void http_get(struct http_client *c, const char *src, struct http_resp *r)
{
  struct url u, next;
  const char *loc;

  if (url_parse(src, &u) < 0) error_exit("%s", applet.why);
  for (int i = 0;; i++) {
    if (http_request(c, "GET", &u, 0, 0, -1, 0, r) < 0) error_exit("%s", applet.why);
    if (r->status < 300 || r->status >= 400 || !(loc = http_header(r, "Location"))) break;
    if (i == 5) error_exit("Get \"%s\": stopped after 5 redirects", src);
    if (url_resolve(&u, loc, &next) < 0) error_exit("%s", applet.why);
    http_done(c, r);
    u = next;
  }
  if (r->status != 200) error_exit("failed to GET %s with status %d", src, r->status);
}

void import_main(void)
{
  const char *src = applet.argv[0], *msg = FLAG(m) && *OPTSTR(m) ? OPTSTR(m) : 0;
  int url = !strncmp(src, "http://", 7) || !strncmp(src, "https://", 8), in = 0, fd;
  char pl[3][32] = {"linux"}, tmp[64], chain[72], mdigest[72], id[72], now[40], *b;
  struct buf name = {0}, chg = {0}, cfg = {0};
  struct http_client hc = {0};
  struct http_resp resp;
  struct layer_desc d = {0};
  struct reader r = reader_fd(&in);
  struct gunzip *g;
  struct timespec ts;
  struct store st;
  struct jw w;
  ssize_t n;

  // Whatever can be refused is, before anything is read.
  if (applet.argc > 1) {
    struct ref ref;
    if (ref_parse(applet.argv[1], &ref) < 0) error_exit("%s", applet.why);
    if (*ref.digest) error_exit("cannot import digest reference");
    ref_full(&ref, &name);
  }
  jw_init(&w, &chg, 0);
  if (config_changes(&w, 0, 0, OPTLIST(c)) < 0) error_exit("%s", applet.why);
  if (FLAG(platform)) {
    // os/arch[/variant], each part non-empty
    const char *p = OPTSTR(platform), *s = p;
    int k = 0;
    for (;; s++) {
      size_t l = strcspn(s, "/");
      if (!l || l > 31 || k == 3) {
        k = 0;
        break;
      }
      memcpy(pl[k], s, l);
      pl[k++][l] = 0;
      if (!*(s += l)) break;
    }
    if (k < 2) error_exit("\"%s\": invalid platform: expected os/arch[/variant]", p);
    if (strcmp(pl[0], "linux")) error_exit("operating system is not supported");
  } else {
    struct utsname u;
    uname(&u);
    snprintf(pl[1], 32, "%.31s", u.machine);
    if (!strncmp(pl[1], "armv", 4)) snprintf(pl[2], 32, "v%c", pl[1][4]), strcpy(pl[1], "arm");
    if (pl[1][0] == 'i' && !strcmp(pl[1] + 2, "86")) strcpy(pl[1], "386");
  }
  if (!strcmp(pl[1], "x86_64")) strcpy(pl[1], "amd64");
  if (!strcmp(pl[1], "aarch64")) strcpy(pl[1], "arm64");

  if (url) {
    http_get(&hc, src, &resp);
    // Docker's daemon says so once the GET succeeded.
    printf("Downloading from %s\n", src);
    fflush(stdout);
    r = (struct reader){http_rd, &resp};
  } else if (strcmp(src, "-") && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0) perror_exit("open %s", src);

  // The layer wants a seekable plain tar: one in tmp/, unlinked at once so
  // nothing is left whatever happens.
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  snprintf(tmp, sizeof(tmp), "tmp/%d-import.tar", (int)getpid());
  if ((fd = openat(st.fd, tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
    perror_exit("%s/%s", st.root, tmp);
  unlinkat(st.fd, tmp, 0);
  if (gunzip_open(&g, r, 0, 0) < 0) error_exit("%s", applet.why);
  r = gunzip_reader(g);
  b = xmalloc(1 << 16);
  while ((n = r.read(r.ctx, b, 1 << 16)) > 0)
    if (writeall(fd, b, n) < 0) perror_exit("write %s/%s", st.root, tmp);
  if (n < 0) error_exit("%s", applet.why);
  free(b);
  gunzip_close(g);
  if (url) http_done(&hc, &resp), http_client_close(&hc);
  if (layer_from_tar(&st, fd, 0, &d, chain) < 0) error_exit("%s", applet.why);
  close(fd);

  // Docker's config for an import: the comment top-level and in history.
  clock_gettime(CLOCK_REALTIME, &ts);
  fmt_rfc3339nano(now, &ts);
  b = xmprintf("Imported from %s", src);
  jw_init(&w, &cfg, 0);
  jw_obj(&w, 0);
  jw_str(&w, "architecture", pl[1]);
  jw_str(&w, "comment", msg ? msg : b);
  jw_raw(&w, "config", chg.s);
  jw_str(&w, "created", now);
  jw_arr(&w, "history");
  jw_obj(&w, 0);
  jw_str(&w, "created", now);
  jw_str(&w, "comment", msg ? msg : b);
  jw_end(&w);
  jw_end(&w);
  jw_str(&w, "os", pl[0]);
  jw_obj(&w, "rootfs");
  jw_str(&w, "type", "layers");
  jw_arr(&w, "diff_ids");
  jw_str(&w, 0, d.diff_id);
  jw_end(&w);
  jw_end(&w);
  if (*pl[2]) jw_str(&w, "variant", pl[2]);
  jw_end(&w);
  if (image_write(&st, cfg.s, cfg.len, &d, 1, name.s, mdigest) < 0) error_exit("%s", applet.why);
  digest_buf(cfg.s, cfg.len, id);
  puts(id);
  free(b);
  buf_free(&name);
  buf_free(&chg);
  buf_free(&cfg);
  store_close(&st);
}
