// test-digest.c: lib/digest.c for tests/digest.test: the sha256 digest of
// stdin (streamed in uneven pieces), or checks that arguments are digests.
//
//applet:test-digest "c(check)" hidden
//config:config TEST_DIGEST
//config:	bool "test-digest: unit tests for lib/digest"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-digest [-c DIGEST...]
//config:
//config:	  Print "sha256:<hex>" of stdin; with -c, say whether each
//config:	  argument is a valid sha256 digest.

#define FOR_test_digest
#include "ocibox.h"
#include "generated/flags.h"

void test_digest_main(void)
{
  if (FLAG(c)) {
    for (int i = 0; i < applet.argc; i++)
      printf("%s %s\n", digest_valid(applet.argv[i]) ? "valid" : "invalid", applet.argv[i]);
    return;
  }
  struct digest d;
  char buf[4099], out[72];
  ssize_t n;
  digest_init(&d);
  while ((n = read(0, buf, sizeof(buf))) > 0) digest_update(&d, buf, n);
  if (n < 0) perror_exit("stdin");
  digest_final(&d, out);
  puts(out);
}
