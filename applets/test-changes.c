// test-changes.c: lib/changes.c for tests/changes.test: a config object
// on stdin (empty: none) with the Dockerfile instructions in the arguments
// applied, printed compact.
//
//applet:test-changes "" hidden
//config:config TEST_CHANGES
//config:	bool "test-changes: unit tests for lib/changes"
//config:	default y
//config:	depends on TEST_APPLETS && ARCHIVE
//config:	help
//config:	  usage: test-changes [INSTRUCTION...] < CONFIG
//config:
//config:	  Apply each INSTRUCTION to the config object read from stdin and
//config:	  print the result; errors go to stderr with exit 1.

#define FOR_test_changes
#include "ocibox.h"
#include "generated/flags.h"

void test_changes_main(void)
{
  struct buf in = {0}, out = {0};
  struct strlist *l = 0;
  struct json_err err;
  struct json *base = 0;
  struct jw w;
  char chunk[4096];
  ssize_t n;

  while ((n = read(0, chunk, sizeof(chunk))) > 0) buf_add(&in, chunk, n);
  if (in.len && !(base = json_parse(in.s, in.len, &err))) error_exit("stdin: %s", err.msg);
  for (int i = 0; i < applet.argc; i++) strlist_add(&l, xstrdup(applet.argv[i]));
  jw_init(&w, &out, 0);
  if (config_changes(&w, 0, base, l) < 0) error_exit("%s", applet.why);
  puts(buf_str(&out));
  strlist_free(l);
  json_free(base);
  buf_free(&in);
  buf_free(&out);
}
