// test-argstop.c: lib/args.c with '^': options end at the first argument,
// the way run and exec keep the container's own command line untouched.
//
//applet:test-argstop "^<1 d(detach) i t e(env)*" hidden
//config:config TEST_ARGSTOP
//config:	bool "test-argstop: unit tests for lib/args's '^'"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-argstop [-d] [-i] [-t] [-e VAR]... IMAGE [COMMAND...]
//config:
//config:	  Print the options and the arguments as parsed.

#define FOR_test_argstop
#include "ocibox.h"
#include "generated/flags.h"

void test_argstop_main(void)
{
  printf("d=%d i=%d t=%d", FLAG(d), FLAG(i), FLAG(t));
  for (struct strlist *l = OPTLIST(env); l; l = l->next) printf(" e=%s", l->s);
  for (int i = 0; i < applet.argc; i++) printf(" [%s]", applet.argv[i]);
  putchar('\n');
}
