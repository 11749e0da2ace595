// test-fmt.c: lib/fmt.c for tests/fmt.test: Docker's human sizes and
// durations, and RFC 3339 timestamps parsed and printed back.
//
//applet:test-fmt "s(size) d(duration) t(time)" hidden
//config:config TEST_FMT
//config:	bool "test-fmt: unit tests for lib/fmt"
//config:	default y
//config:	depends on TEST_APPLETS
//config:	help
//config:	  usage: test-fmt -s BYTES... | -d SECONDS... | -t TIME...
//config:
//config:	  -s  print each size as Docker does (143MB)
//config:	  -d  print each duration, given in (fractional) seconds
//config:	  -t  parse RFC 3339 times and print them in UTC with nanoseconds

#define FOR_test_fmt
#include "ocibox.h"
#include "generated/flags.h"

void test_fmt_main(void)
{
  for (int i = 0; i < applet.argc; i++) {
    char out[40], *arg = applet.argv[i];
    if (FLAG(s)) puts(fmt_size(out, strtoull(arg, 0, 10)));
    else if (FLAG(d)) {
      // seconds with up to 9 decimals, read without floating point
      char *dot;
      int64_t ns = strtoll(arg, &dot, 10) * 1000000000LL, scale = 100000000;
      if (*dot == '.')
        for (dot++; *dot >= '0' && *dot <= '9'; dot++, scale /= 10) ns += (*dot - '0') * scale;
      puts(fmt_duration(out, ns));
    } else if (FLAG(t)) {
      struct timespec t;
      if (parse_rfc3339(arg, &t)) puts("invalid");
      else puts(fmt_rfc3339nano(out, &t));
    }
  }
}
