// test-template.c: lib/template.c and lib/table.c for tests/template.test:
// run a template over the JSON on stdin, or lay stdin out as a table.
//
//applet:test-template ">1 t(table)" hidden
//config:config TEST_TEMPLATE
//config:	bool "test-template: unit tests for lib/template and lib/table"
//config:	default y
//config:	depends on TEST_APPLETS && TEMPLATE
//config:	help
//config:	  usage: test-template [-t] [TEMPLATE]
//config:
//config:	  Parse stdin as JSON (empty: no value) and print TEMPLATE run over
//config:	  it and a newline, as `docker inspect -f` does; a template error
//config:	  is printed and exits 1. With -t, lay out stdin's tab-separated
//config:	  cells the way Docker's tables are (text/tabwriter).

#define FOR_test_template
#include "ocibox.h"
#include "generated/flags.h"

void test_template_main(void)
{
  struct buf in = {0}, out = {0};
  struct json *j = NULL;
  struct json_err err;
  struct tpl *t;
  char chunk[4096];
  ssize_t n;

  while ((n = read(0, chunk, sizeof(chunk))) > 0) buf_add(&in, chunk, n);
  if (n < 0) perror_exit("stdin");
  if (FLAG(t)) {
    table_flush(buf_str(&in), stdout);
  } else {
    if (in.len && strspn(in.s, " \t\r\n") < in.len && !(j = json_parse(in.s, in.len, &err)))
      error_exit("stdin: line %u col %u: %s", err.line, err.col, err.msg);
    if (!(t = tpl_parse(applet.argc ? applet.argv[0] : "")) || tpl_exec(t, j, &out))
      error_exit("%s", applet.why);
    puts(buf_str(&out));
    tpl_free(t);
    json_free(j);
  }
  buf_free(&in);
  buf_free(&out);
}
