// test-json.c: lib/json.c for tests/json.test: parse stdin strictly and
// print it back through the writer, or the error with its position.
//
//applet:test-json "i(indent)# k(key):" hidden
//config:config TEST_JSON
//config:	bool "test-json: unit tests for lib/json"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-json [-i N] [-k KEY]
//config:
//config:	  Parse stdin; print it compact (or indented by N), or just the
//config:	  member KEY (integers through json_int); errors give
//config:	  "line L col C: why" and exit 1.

#define FOR_test_json
#include "ocibox.h"
#include "generated/flags.h"

void test_json_main(void)
{
  struct buf in = {0}, out = {0};
  struct json_err err;
  struct json *j;
  struct jw w;
  char chunk[4096];
  ssize_t n;

  while ((n = read(0, chunk, sizeof(chunk))) > 0) buf_add(&in, chunk, n);
  if (n < 0) perror_exit("stdin");
  if (!(j = json_parse(in.s ? in.s : "", in.len, &err))) {
    printf("line %u col %u: %s\n", err.line, err.col, err.msg);
    applet.exitval = 1;
    xexit();
  }
  if (FLAG(k)) {
    struct json *v = json_get(j, OPTSTR(k));
    long long i;
    if (!v) puts("missing");
    else if (!json_int(v, &i)) printf("int %lld\n", i);
    else if (v->type == JSON_NUMBER) printf("number %s\n", v->str);
    else if (v->type == JSON_STRING) printf("string %zu %s\n", v->len, v->str);
    else printf("type %d\n", v->type);
  } else {
    jw_init(&w, &out, FLAG(i) ? OPTNUM(i) : 0);
    jw_value(&w, NULL, j);
    puts(buf_str(&out));
  }
  json_free(j);
  buf_free(&in);
  buf_free(&out);
}
