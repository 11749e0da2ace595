// pull.c: docker pull: an image from a registry into the store.
//
//applet:pull "<1 >1 q(quiet) (platform): a(all-tags)"
//config:config PULL
//config:	bool "pull: download an image from a registry"
//config:	default y
//config:	depends on ARCHIVE
//config:	help
//config:	  usage: pull [OPTIONS] NAME[:TAG|@DIGEST]
//config:
//config:	  Download an image from a registry (Docker Hub unless NAME
//config:	  names a host) into the store.
//config:
//config:	  -a, --all-tags       Download every tagged image of the repository
//config:	  -q, --quiet          Suppress verbose output
//config:	      --platform PLAT  os/arch[/variant] to pull from a multi-platform image

#define FOR_pull
#include "ocibox.h"
#include "generated/flags.h"

// -a: the repository's tags (GET /v2/<name>/tags/list), each pulled.
static void pull_all(const struct ref *r, struct pull_opts *o)
{
  struct registry reg;
  struct http_resp resp;
  struct buf body = {0}, name = {0};
  struct json_err err;
  char digest[72];

  if (reg_open(&reg, r, "pull") < 0 || reg_request(&reg, "GET", "tags/list", 0, &resp) < 0)
    error_exit("%s", applet.why);
  if (resp.status != 200) {
    reg_error(&reg, &resp, &body);
    error_exit("%s", buf_str(&body));
  }
  if (reg_read_body(&resp, &body, 4 << 20, "tag list") < 0) error_exit("%s", applet.why);
  http_done(&reg.http, &resp);
  reg_close(&reg);
  struct json *j = json_parse(buf_str(&body), body.len, &err), *tags = json_get(j, "tags");
  if (!j) error_exit("tag list: %s", err.msg);
  for (struct json *t = tags && tags->type == JSON_ARRAY ? tags->child : 0; t; t = t->next) {
    if (t->type != JSON_STRING) continue;
    name.len = 0;
    ref_familiar_name(r, &name);
    buf_printf(&name, ":%s", t->str);
    if (image_pull(name.s, o, digest) < 0) error_exit("%s", applet.why);
  }
  json_free(j);
  buf_free(&body);
  buf_free(&name);
}

void pull_main(void)
{
  struct pull_opts o = {.platform = OPTSTR(platform), .quiet = FLAG(q)};
  char digest[72];
  struct buf full = {0};
  struct ref r;
  const char *arg = applet.argv[0], *last = strrchr(arg, '/');

  if (ref_parse(arg, &r) < 0) error_exit("%s", applet.why);
  if (FLAG(a)) {
    // Docker: a name with a tag or digest and -a do not go together.
    if (strchr(arg, '@') || strchr(last ? last : arg, ':')) error_exit("tag can't be used with --all-tags/-a");
    pull_all(&r, &o);
    buf_printf(&full, "%s/%s", r.domain, r.path);
  } else {
    if (image_pull(arg, &o, digest) < 0) error_exit("%s", applet.why);
    ref_full(&r, &full);
  }
  puts(full.s);
  buf_free(&full);
}
