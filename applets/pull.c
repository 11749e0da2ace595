// pull.c: docker pull: an image from a registry into the store.
//
//applet:pull "<1 >1 q(quiet) (platform):"
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
//config:	  -q, --quiet          Suppress verbose output
//config:	      --platform PLAT  os/arch[/variant] to pull from a multi-platform image

#define FOR_pull
#include "ocibox.h"
#include "generated/flags.h"

void pull_main(void)
{
  struct pull_opts o = {.platform = OPTSTR(platform), .quiet = FLAG(q)};
  char digest[72];
  struct buf full = {0};
  struct ref r;

  if (ref_parse(applet.argv[0], &r) < 0) error_exit("%s", applet.why);
  if (image_pull(applet.argv[0], &o, digest) < 0) error_exit("%s", applet.why);
  ref_full(&r, &full);
  puts(full.s);
  buf_free(&full);
}
