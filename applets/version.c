// version.c: ocibox's version and what this build holds, shaped like
// `docker version`'s client part (there is no server: ocibox has no daemon).
//
//applet:version ">0 f(format):"
//config:config VERSION
//config:	bool "version: show the version and the build's features"
//config:	default y
//config:	help
//config:	  usage: version [-f TEMPLATE]
//config:
//config:	  Show ocibox's version, the libraries it was built with, the
//config:	  enabled features and applets.
//config:
//config:	  -f, --format TEMPLATE  Go template over {"Client":{...}}, e.g.
//config:	                         '{{.Client.Version}}'

#define FOR_version
#include "ocibox.h"
#include "generated/flags.h"
#include <sys/utsname.h>
#if CFG_ARCHIVE
#include <zlib.h>
#include <archive.h>
#endif
#if CFG_TLS
#include <bearssl.h>
#endif

#ifndef OCIBOX_COMMIT
#define OCIBOX_COMMIT "unknown"
#endif

static const char *goarch(void)
{
  static struct utsname u;
  uname(&u);
  if (!strcmp(u.machine, "x86_64")) return "amd64";
  if (!strcmp(u.machine, "aarch64")) return "arm64";
  if (!strncmp(u.machine, "arm", 3)) return "arm";
  if (!strcmp(u.machine, "i686") || !strcmp(u.machine, "i386")) return "386";
  return u.machine;
}

void version_main(void)
{
  struct buf features = {0}, libs = {0}, json = {0};
  const struct { int on; const char *name; } feats[] = {
    {CFG_DOCKER_FRONT, "docker-front"}, {CFG_TEMPLATE, "template"},
    {CFG_TLS, "tls"}, {CFG_CGROUPS, "cgroups"}, {CFG_ARCHIVE, "archive"}, {CFG_TEST_APPLETS, "test-applets"},
  };
  for (size_t i = 0; i < ARRAY_LEN(feats); i++)
    if (feats[i].on) buf_printf(&features, "%s%s", features.len ? " " : "", feats[i].name);
  buf_adds(&libs, "musl");
  IF_ARCHIVE(buf_printf(&libs, ", zlib %s, libarchive %s", ZLIB_VERSION, ARCHIVE_VERSION_ONLY_STRING);)
  IF_TLS(buf_adds(&libs, ", BearSSL 0.6");)

  if (FLAG(format)) {
    struct jw w;
    jw_init(&w, &json, 0);
    jw_obj(&w, 0);
    jw_obj(&w, "Client");
    jw_str(&w, "Platform", "ocibox");
    jw_str(&w, "Version", OCIBOX_VERSION);
    jw_str(&w, "GitCommit", OCIBOX_COMMIT);
    jw_str(&w, "Os", "linux");
    jw_str(&w, "Arch", goarch());
    jw_str(&w, "Libraries", buf_str(&libs));
    jw_str(&w, "Features", buf_str(&features));
    jw_end(&w);
    jw_end(&w);
    if (!CFG_TEMPLATE) error_exit("--format needs a build with CONFIG_TEMPLATE");
    struct json_err err;
    struct json *v = json_parse(json.s, json.len, &err);
    struct tpl *t = tpl_parse(OPTSTR(format));
    struct buf out = {0};
    if (!t || tpl_exec(t, v, &out) < 0) error_exit("%s", applet.why);
    printf("%s\n", buf_str(&out));
    return;
  }
  printf("Client: ocibox\n"
         " Version:           %s\n"
         " Git commit:        %s\n"
         " OS/Arch:           linux/%s\n"
         " Libraries:         %s\n"
         " Features:          %s\n"
         " Applets:          ",
         OCIBOX_VERSION, OCIBOX_COMMIT, goarch(), buf_str(&libs), buf_str(&features));
  const struct applet *a;
  for (size_t i = 0; (a = applet_at(i)); i++)
    if (!(a->bits & APPLET_HIDDEN)) printf(" %s", a->name);
  putchar('\n');
}
