// test-args.c: shows what lib/args.c made of a command line, for
// tests/args.test: every option type, bundling, =values, lists, numbers.
//
//applet:test-args "<1 >3 a b(bee)(bravo) (long-only) s(str): l(list)* n(num)#" hidden
//config:config TEST_ARGS
//config:	bool "test-args: unit tests for lib/args"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-args [-a] [-b] [--long-only] [-s STR] [-l ITEM]... [-n NUM] ARG...
//config:
//config:	  Print the options and arguments as parsed: 1 to 3 arguments.

#define FOR_test_args
#include "ocibox.h"
#include "generated/flags.h"

void test_args_main(void)
{
  printf("a=%d b=%d long-only=%d", FLAG(a), FLAG(bee), FLAG(long_only));
  if (FLAG(s)) printf(" s=%s", OPTSTR(str));
  for (struct strlist *l = OPTLIST(list); l; l = l->next) printf(" l=%s", l->s);
  if (FLAG(n)) printf(" n=%lld", OPTNUM(num));
  for (int i = 0; i < applet.argc; i++) printf(" [%s]", applet.argv[i]);
  putchar('\n');
}
