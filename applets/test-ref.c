// test-ref.c: lib/ref.c for tests/ref.test: parse each argument as an
// image reference and print its normalised forms or Docker's error.
//
//applet:test-ref "" hidden
//config:config TEST_REF
//config:	bool "test-ref: unit tests for lib/ref"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-ref REF...
//config:
//config:	  For each REF print "FULL FAMILIAR NAME" (the normalised
//config:	  reference, its familiar form and familiar name) or "error: WHY".

#define FOR_test_ref
#include "ocibox.h"
#include "generated/flags.h"

void test_ref_main(void)
{
  for (int i = 0; i < applet.argc; i++) {
    struct ref r;
    struct buf b = {0};
    if (ref_parse(applet.argv[i], &r)) {
      printf("error: %s\n", applet.why);
      continue;
    }
    ref_full(&r, &b);
    buf_addc(&b, ' ');
    ref_familiar(&r, &b);
    buf_addc(&b, ' ');
    ref_familiar_name(&r, &b);
    puts(b.s);
    buf_free(&b);
  }
}
