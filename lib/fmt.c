// fmt.c: Docker's human-readable sizes and durations (go-units) and Go's
// RFC 3339 timestamps, byte for byte as the docker CLI prints them.
#include "ocibox.h"

// HumanSizeWithPrecision(size, 3): divide by 1000 while >= 1000, then
// "%.3g" and the unit. C's %g matches Go's here, "1e+03kB" quirk included.
char *fmt_size(char out[24], uint64_t bytes)
{
  static const char units[][3] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = bytes;
  unsigned i = 0;

  while (v >= 1000 && i < ARRAY_LEN(units) - 1) {
    v /= 1000;
    i++;
  }
  snprintf(out, 24, "%.3g%s", v, units[i]);
  return out;
}

// go-units HumanDuration.
char *fmt_duration(char out[40], int64_t ns)
{
  int64_t sec = ns / 1000000000, min = sec / 60, hours;

  if (sec < 1) return strcpy(out, "Less than a second");
  if (sec == 1) return strcpy(out, "1 second");
  if (sec < 60) return snprintf(out, 40, "%lld seconds", (long long)sec), out;
  if (min == 1) return strcpy(out, "About a minute");
  if (min < 60) return snprintf(out, 40, "%lld minutes", (long long)min), out;
  hours = (ns + 1800000000000LL) / 3600000000000LL;  // int(h + 0.5)
  if (hours == 1) return strcpy(out, "About an hour");
  if (hours < 48) snprintf(out, 40, "%lld hours", (long long)hours);
  else if (hours < 24 * 7 * 2) snprintf(out, 40, "%lld days", (long long)hours / 24);
  else if (hours < 24 * 30 * 2) snprintf(out, 40, "%lld weeks", (long long)hours / 24 / 7);
  else if (hours < 24 * 365 * 2) snprintf(out, 40, "%lld months", (long long)hours / 24 / 30);
  else snprintf(out, 40, "%lld years", (long long)(ns / 3600000000000LL) / 24 / 365);
  return out;
}

// Go's time.RFC3339Nano in UTC: fraction without trailing zeros, "Z".
char *fmt_rfc3339nano(char out[40], const struct timespec *t)
{
  struct tm tm;
  time_t s = t->tv_sec;
  int n;

  // no strftime: it would drag musl's time zone code into every build
  gmtime_r(&s, &tm);
  n = snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
               tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (t->tv_nsec) {
    char frac[11];
    int l = snprintf(frac, sizeof(frac), ".%09ld", t->tv_nsec);
    while (frac[l - 1] == '0') l--;
    frac[l] = 0;
    n += snprintf(out + n, 40 - n, "%s", frac);
  }
  strcpy(out + n, "Z");
  return out;
}

static int digits(const char **p, int n, int *out)
{
  int v = 0;

  for (int i = 0; i < n; i++, (*p)++) {
    if (**p < '0' || **p > '9') return -1;
    v = v * 10 + (**p - '0');
  }
  *out = v;
  return 0;
}

int parse_rfc3339(const char *s, struct timespec *t)
{
  struct tm tm = {0};
  int y, mo, d, h, mi, sec, oh, om;
  long ns = 0, scale = 100000000;
  const char *p = s;

  if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
      digits(&p, 2, &d) || (*p != 'T' && *p != 't') || !*p++ || digits(&p, 2, &h) ||
      *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' || digits(&p, 2, &sec))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
  if (*p == '.') {
    if (*++p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10) ns += (*p - '0') * scale;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  t->tv_sec = timegm(&tm);
  t->tv_nsec = ns;
  if (*p == 'Z' || *p == 'z') return p[1] ? -1 : 0;
  if (*p != '+' && *p != '-') return -1;
  int sign = *p++ == '-' ? -1 : 1;
  if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || *p || oh > 23 || om > 59)
    return -1;
  t->tv_sec -= sign * (oh * 3600 + om * 60);
  return 0;
}

int64_t parse_ram(const char *s)
{
  char *end;
  long long n = strtoll(s, &end, 10);
  int64_t mult = 1;

  if (end == s || n < 0) return -1;
  switch (*end | 0x20) {
  case 'k': mult = 1LL << 10; end++; break;
  case 'm': mult = 1LL << 20; end++; break;
  case 'g': mult = 1LL << 30; end++; break;
  case 't': mult = 1LL << 40; end++; break;
  case 'b': if (end[1]) return -1; end++; break;
  default: if (*end) return -1;
  }
  if ((*end | 0x20) == 'b' && mult > 1) end++;
  return *end ? -1 : n * mult;
}

int64_t parse_nanocpus(const char *s)
{
  int64_t whole = 0, frac = 0, scale = 100000000;
  const char *p = s;

  if (!*p) return -1;
  for (; *p >= '0' && *p <= '9'; p++) whole = whole * 10 + (*p - '0');
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
  return *p || p == s ? -1 : whole * 1000000000 + frac;
}

// Go's time.Time.String() in UTC, as Docker's CreatedAt columns show it.
char *fmt_gotime(char out[64], time_t t)
{
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, 64, "%04d-%02d-%02d %02d:%02d:%02d +0000 UTC", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return out;
}
