// history.c: docker history: an image's history entries, newest first,
// each non-empty one with the size of the layer it made.
//
//applet:history "<1 >1 q(quiet) H(human) (no-trunc)"
//config:config HISTORY
//config:	bool "history: show the history of an image"
//config:	default y
//config:	help
//config:	  usage: history [-q] [--no-trunc] IMAGE
//config:
//config:	  Show the history of an image: what made each layer, when, and
//config:	  how big it is.
//config:
//config:	  -q, --quiet      Only show image IDs
//config:	      --no-trunc   Don't truncate output

#define FOR_history
#include "ocibox.h"
#include "generated/flags.h"

// Docker's stringutils.Ellipsis: n characters at most, the last a "…".
static void ellipsis(struct buf *b, const char *s, size_t n)
{
  size_t chars = 0, i, cut = 0;

  for (i = 0; s[i]; i++)
    if ((s[i] & 0xc0) != 0x80 && ++chars == n) cut = i;
  if (FLAG(no_trunc) || chars <= n) buf_adds(b, s);
  else {
    buf_add(b, s, cut);
    buf_adds(b, "…");
  }
}

void history_main(void)
{
  struct store st;
  struct index ix;
  struct img_list l;
  struct buf t = {0};
  size_t ent;
  struct timespec now;
  int i;

  clock_gettime(CLOCK_REALTIME, &now);
  if (store_open(&st, STORE_READ) < 0 || index_load(&st, &ix) < 0)
    error_exit("No such image: %s", applet.argv[0]);
  images_load(&st, &ix, &l);
  if ((i = img_resolve(&l, &ix, applet.argv[0], &ent)) < 0) error_exit("%s", applet.why);
  struct image *im = &l.v[i].im;
  struct json *h = json_get(im->config, "history");
  size_t n = h && h->type == JSON_ARRAY ? h->len : 0, layer = 0;
  struct json **rows = xzalloc((n + 1) * sizeof(*rows));
  int64_t *sizes = xzalloc((n + 1) * sizeof(*sizes));

  // Entries that made a layer take the next one, in order.
  size_t k = 0;
  for (struct json *e = n ? h->child : 0; e; e = e->next, k++) {
    struct json *empty = json_get(e, "empty_layer");
    rows[k] = e;
    sizes[k] = 0;
    if (!(empty && empty->type == JSON_TRUE) && layer < im->nlayers) {
      int64_t here = layer_size(&st, im->chain_ids[layer]);
      sizes[k] = here < 0 ? 0 : here;
      layer++;
    }
  }
  if (!FLAG(q)) buf_adds(&t, "IMAGE\tCREATED\tCREATED BY\tSIZE\tCOMMENT\n");
  for (size_t r = n; r-- > 0;) {
    const char *id = r == n - 1 ? l.v[i].id : 0;
    if (FLAG(q)) {
      printf("%.*s\n", FLAG(no_trunc) ? 71 : 12, id ? id + (FLAG(no_trunc) ? 0 : 7) : "<missing>");
      continue;
    }
    char d[40], sz[24];
    struct timespec c = {0};
    const char *created = json_get_str(rows[r], "created");
    if (id) buf_printf(&t, "%.*s\t", FLAG(no_trunc) ? 71 : 12, id + (FLAG(no_trunc) ? 0 : 7));
    else buf_adds(&t, "<missing>\t");
    if (created && !parse_rfc3339(created, &c))
      buf_printf(&t, "%s ago\t", fmt_duration(d, (now.tv_sec - c.tv_sec) * 1000000000LL));
    else buf_adds(&t, "N/A\t");
    const char *by = json_get_str(rows[r], "created_by");
    ellipsis(&t, by ? by : "", 45);
    buf_printf(&t, "\t%s\t", fmt_size(sz, sizes[r]));
    const char *comment = json_get_str(rows[r], "comment");
    buf_printf(&t, "%s\n", comment ? comment : "");
  }
  if (!FLAG(q)) table_flush(buf_str(&t), stdout);
  free(rows);
  free(sizes);
  buf_free(&t);
  images_free(&l);
  index_free(&ix);
  store_close(&st);
}
