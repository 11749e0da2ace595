// test-unpack.c: lib/gunzip.c and lib/layer.c for tests/unpack.test: unpack
// a layer (tar or tar.gz on stdin) into a directory, print its digests.
//
//applet:test-unpack "<1 >1" hidden
//config:config TEST_UNPACK
//config:	bool "test-unpack: unit tests for lib/layer and lib/gunzip"
//config:	default y
//config:	depends on TEST_APPLETS && ARCHIVE
//config:	help
//config:	  usage: test-unpack DIR
//config:
//config:	  Unpack the layer tar (plain or gzip) on stdin into the existing
//config:	  directory DIR as an overlayfs lower dir, then print the digest of
//config:	  the raw stream ("raw sha256:..."), of the tar ("tar sha256:...")
//config:	  and "entries N bytes M"; on failure "error: WHY" and exit 1.

#define FOR_test_unpack
#include "ocibox.h"
#include "generated/flags.h"

void test_unpack_main(void)
{
  int in = 0, dir = xopen(applet.argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct digest raw, tar;
  struct gunzip *g;
  struct layer_stats st;
  char hex[72];

  digest_init(&raw);
  digest_init(&tar);
  if (gunzip_open(&g, reader_fd(&in), &raw, &tar) || layer_unpack(gunzip_reader(g), dir, &st)) {
    printf("error: %s\n", applet.why);
    applet.exitval = 1;
  } else {
    digest_final(&raw, hex);
    printf("raw %s\n", hex);
    digest_final(&tar, hex);
    printf("tar %s\nentries %" PRIu64 " bytes %" PRIu64 "\n", hex, st.entries, st.bytes);
  }
  gunzip_close(g);
  close(dir);
}
