// args.c: option parsing for every applet, driven by its option string
// (grammar in docs/hacking.md), behaving like Docker's CLI (cobra/pflag):
// bundled short flags, -ovalue, --opt=value, --flag=false, repeated
// options, "--", and options after positional arguments unless '^'.
#include "ocibox.h"

struct optspec {
  char shortc;         // 0 when long-only
  char type;           // 0 flag, ':' string, '*' list, '#' number
  const char *longs;   // the "(a)(b)" groups inside the option string
  int longlen;
};

struct optset {
  struct optspec spec[MAX_OPTS];
  int count, min, max, stop_at_arg;
};

static void parse_optstr(const char *s, struct optset *set)
{
  memset(set, 0, sizeof(*set));
  set->max = INT_MAX;
  while (*s) {
    char c = *s;
    if (c == ' ') s++;
    else if (c == '^') set->stop_at_arg = 1, s++;
    else if (c == '<' || c == '>') {
      int n = (int)strtol(s + 1, (char **)&s, 10);
      *(c == '<' ? &set->min : &set->max) = n;
    } else if (set->count < MAX_OPTS) {
      struct optspec *o = set->spec + set->count++;
      if (c != '(') o->shortc = *s++;
      o->longs = s;
      while (*s == '(' && strchr(s, ')')) s = strchr(s, ')') + 1;
      o->longlen = (int)(s - o->longs);
      if (*s == ':' || *s == '*' || *s == '#') o->type = *s++;
    } else s++;
  }
}

// Does the option have the long name name[0..len)?
static int has_long(const struct optspec *o, const char *name, size_t len)
{
  const char *p = o->longs, *end = o->longs + o->longlen;
  while (p < end) {
    const char *close = memchr(p, ')', end - p);
    if ((size_t)(close - p - 1) == len && !memcmp(p + 1, name, len)) return 1;
    p = close + 1;
  }
  return 0;
}

// "-t, --time" for messages, like pflag.
static void describe(const struct optspec *o, struct buf *b)
{
  if (o->shortc) buf_printf(b, "-%c", o->shortc);
  if (o->longlen) {
    const char *close = memchr(o->longs, ')', o->longlen);
    buf_printf(b, "%s--%.*s", o->shortc ? ", " : "", (int)(close - o->longs - 1), o->longs + 1);
  }
}

static NORETURN void bad_value(const struct optspec *o, const char *val, const char *why)
{
  struct buf b = {0};
  describe(o, &b);
  help_exit("invalid argument \"%s\" for \"%s\" flag: %s", val, buf_str(&b), why);
}

// strconv.ParseBool's spellings.
static int parse_bool(const struct optspec *o, const char *v)
{
  const char *yes[] = {"1", "t", "T", "true", "TRUE", "True"};
  const char *no[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
    if (!strcmp(v, yes[i])) return 1;
    if (!strcmp(v, no[i])) return 0;
  }
  bad_value(o, v, "not a boolean");
}

static void take(const struct optspec *o, int idx, char *val)
{
  uint64_t bit = 1ULL << idx;
  if (!o->type) {
    if (val && !parse_bool(o, val)) applet.flags &= ~bit;
    else applet.flags |= bit;
    return;
  }
  applet.flags |= bit;
  if (o->type == ':') applet.opt[idx].s = val;
  else if (o->type == '*') strlist_add(&applet.opt[idx].list, val);
  else {
    char *end;
    errno = 0;
    long long n = strtoll(val, &end, 10);
    if (!*val || *end || errno) bad_value(o, val, "not a whole number");
    applet.opt[idx].n = n;
  }
}

// \2 marks where an applet's shared options begin; \1NAME prints NAME's
// (create's help is run's options but for -d: one copy in the binary).
static void put_help(const char *h, FILE *out)
{
  for (; *h; h++) {
    if (*h == 1) {
      const struct applet *b = applet_find(h + 1);
      if (b && (h = strchr(b->help, 2))) put_help(h + 1, out);
      return;
    }
    if (*h != 2) putc(*h, out);
  }
}

void show_help(const struct applet *a, FILE *out)
{
  if (CFG_VERBOSE_HELP) put_help(a->help, out), putc('\n', out);
  else fprintf(out, "%s\n", a->help);  // the usage line alone: no markers
}

void args_parse(const struct applet *a, char **argv)
{
  struct optset set;
  parse_optstr(a->optstr, &set);
  int argc = 0, stopped = 0;
  while (argv[argc]) argc++;
  char **pos = xzalloc((argc + 1) * sizeof(*pos));
  int npos = 0;

  for (int i = 1; i < argc; i++) {
    char *arg = argv[i];
    if (stopped || arg[0] != '-' || !arg[1]) {
      pos[npos++] = arg;
      if (set.stop_at_arg) stopped = 1;
      continue;
    }
    if (!strcmp(arg, "--")) {
      stopped = 1;
      continue;
    }
    if (arg[1] == '-') {
      char *name = arg + 2, *eq = strchr(name, '=');
      size_t len = eq ? (size_t)(eq - name) : strlen(name);
      if (len == 4 && !memcmp(name, "help", 4)) {
        show_help(a, stdout);
        xexit();
      }
      int k;
      for (k = 0; k < set.count; k++)
        if (has_long(set.spec + k, name, len)) break;
      if (k == set.count) help_exit("unknown flag: --%.*s", (int)len, name);
      char *val = eq ? eq + 1 : 0;
      if (set.spec[k].type && !val) {
        if (!(val = argv[++i])) help_exit("flag needs an argument: --%.*s", (int)len, name);
      }
      take(set.spec + k, k, val);
      continue;
    }
    // Short options, bundled: -itd, -ovalue, -o value, -o=value, -p=false.
    for (char *p = arg + 1; *p; p++) {
      int k;
      for (k = 0; k < set.count; k++)
        if (set.spec[k].shortc == *p) break;
      if (k == set.count) help_exit("unknown shorthand flag: '%c' in %s", *p, arg);
      char *val = 0;
      if (p[1] == '=') val = p + 2;
      else if (set.spec[k].type) {
        val = p[1] ? p + 1 : argv[++i];
        if (!val) help_exit("flag needs an argument: '%c' in %s", *p, arg);
      }
      take(set.spec + k, k, val);
      if (val) break;
    }
  }
  pos[npos] = 0;
  applet.argv = pos;
  applet.argc = npos;

  if (npos > set.max && !set.max) help_exit("accepts no arguments");
  if (npos < set.min || npos > set.max) {
    int n = npos < set.min ? set.min : set.max;
    const char *plural = n == 1 ? "" : "s";
    if (set.min == set.max) help_exit("requires exactly %d argument%s", n, plural);
    if (npos < set.min) help_exit("requires at least %d argument%s", n, plural);
    help_exit("accepts at most %d argument%s", n, plural);
  }
}
