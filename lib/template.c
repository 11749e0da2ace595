// template.c: the Go text/template subset of `--format` and `inspect -f`
// (SPECS.md §8), run over parsed JSON. Parsing builds a tree of nodes;
// running it walks the JSON with Go's builtins and Docker's functions
// (json, join, pad...). Messages follow Go's: "template: :1: unclosed action".
#include "ocibox.h"
#include <setjmp.h>

#define MAXVARS 64  // variables in scope at once
#define MAXARGS 32  // arguments of one function call

enum {  // list items, then pipelines, commands and their operands
  N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE,
  N_PIPE, N_CMD, N_DOT, N_FIELD, N_VAR, N_FUNC, N_CONST, N_NIL, N_PAREN
};
enum { L_EOF, L_END, L_ELSE };  // what ended a list

struct node {
  struct node *next;       // the next item, command or argument
  struct node *all;        // every node of the template, for tpl_free()
  struct node *pipe;       // control and N_PAREN: the pipeline
  struct node *list;       // body; N_PIPE: its commands; N_CMD: arguments
  struct node *elist;      // the else branch
  char *str;               // text; variable name
  char *chain;             // field names after ., $x or (...): "A\0B\0\0"
  char *decl[2];           // variables a pipeline declares or assigns
  struct json *lit;        // N_CONST
  size_t len;              // text bytes
  int pos, end, chainpos;  // source offsets, for messages
  signed char type, ndecl, assign, fn;
};

struct tpl {
  struct node *root, *all;
  char *src;
};

// Builtins. The first ones see a missing value as such; the rest, like
// Go's functions taking interface{}, get it as nil.
enum {
  F_AND, F_OR, F_NOT, F_LEN, F_INDEX, F_SLICE, F_EQ, F_NE, F_LT, F_LE, F_GT,
  F_GE, F_PRINT, F_PRINTF, F_PRINTLN, F_HTML, F_JS, F_URLQUERY, F_JSON,
  F_SPLIT, F_JOIN, F_TITLE, F_LOWER, F_UPPER, F_PAD, F_TRUNCATE
};
static const struct {
  char name[9];
  signed char min, max;  // argument counts; max -1: any
} funcs[] = {
  {"and", 1, -1}, {"or", 1, -1}, {"not", 1, 1}, {"len", 1, 1},
  {"index", 1, -1}, {"slice", 1, -1}, {"eq", 1, -1}, {"ne", 2, 2},
  {"lt", 2, 2}, {"le", 2, 2}, {"gt", 2, 2}, {"ge", 2, 2}, {"print", 0, -1},
  {"printf", 1, -1}, {"println", 0, -1}, {"html", 0, -1}, {"js", 0, -1},
  {"urlquery", 0, -1}, {"json", 1, 1}, {"split", 2, 2}, {"join", 2, 2},
  {"title", 1, 1}, {"lower", 1, 1}, {"upper", 1, 1}, {"pad", 3, 3},
  {"truncate", 2, 2},
};

static const struct json nil_value = {.type = JSON_NULL},
  true_value = {.type = JSON_TRUE}, false_value = {.type = JSON_FALSE},
  empty_string = {.type = JSON_STRING, .str = (char *)""};

static int space(int c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int ident(int c)
{
  return c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

static void put_utf8(struct buf *b, unsigned cp)
{
  int n = cp < 0x80 ? 0 : cp < 0x800 ? 1 : cp < 0x10000 ? 2 : 3;

  buf_addc(b, n ? (0xff00 >> (n + 1) & 0xff) | cp >> 6 * n : cp);
  while (n--) buf_addc(b, 0x80 | (cp >> 6 * n & 0x3f));
}

static struct json *new_json(enum json_type type, const char *s, size_t n)
{
  struct json *j = xzalloc(sizeof(*j));

  j->type = type;
  if (s) {
    memcpy(j->str = xmalloc(n + 1), s, n);
    j->str[j->len = n] = 0;
  }
  return j;
}

// ---- parsing ----------------------------------------------------------

enum {  // what ends a command first
  T_CLOSE = 1, T_PIPE, T_RPAREN, T_LPAREN, T_DECLARE, T_ASSIGN, T_COMMA,
  T_STRING, T_NUMBER, T_FIELD, T_VAR, T_IDENT, T_DOT, T_OTHER
};
struct tok {
  int type, pos, end;
};

struct parser {
  struct tpl *t;
  const char *s;
  int p, rtrim, inrange, nvars;
  const char *vars[MAXVARS];  // variables in scope: others are errors
  jmp_buf fail;
};

static NORETURN PRINTF(2, 3) void parse_error(struct parser *ps, const char *fmt, ...)
{
  char msg[400];
  int line = 1, i;
  va_list ap;

  for (i = 0; i < ps->p; i++) line += ps->s[i] == '\n';
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fail(EINVAL, "template: :%d: %s", line, msg);
  longjmp(ps->fail, 1);
}

static struct node *new_node(struct parser *ps, int type, int pos)
{
  struct node *n = xzalloc(sizeof(*n));

  n->type = type;
  n->pos = n->end = pos;
  n->all = ps->t->all;
  return ps->t->all = n;
}

// The next token of an action. A "-}}" after white space closes with a
// trim marker, which leaves ps->rtrim set for the text that follows.
static struct tok lex(struct parser *ps)
{
  const char *s = ps->s;
  int p = ps->p, c;
  struct tok t = {0};

  for (; space(s[p]); p++) {
    if (s[p + 1] == '-' && s[p + 2] == '}' && s[p + 3] == '}') {
      t = (struct tok){T_CLOSE, p, p + 4};
      ps->rtrim = 1;
      return ps->p = t.end, t;
    }
  }
  t.pos = p;
  c = s[p++];
  if (!c) {
    ps->p = p - 1;
    parse_error(ps, "unclosed action");
  }
  if (c == '}' && s[p] == '}') t.type = T_CLOSE, p++, ps->rtrim = 0;
  else if (c == ':' && s[p] == '=') t.type = T_DECLARE, p++;
  else if (c == '|') t.type = T_PIPE;
  else if (c == '(' || c == ')') t.type = c == '(' ? T_LPAREN : T_RPAREN;
  else if (c == ',' || c == '=') t.type = c == ',' ? T_COMMA : T_ASSIGN;
  else if (c == '"' || c == '`') {
    for (; s[p] != c; p += c == '"' && s[p] == '\\' && s[p + 1] ? 2 : 1) {
      if (!s[p] || (c == '"' && s[p] == '\n')) {
        ps->p = p;
        parse_error(ps, "unterminated %squoted string", c == '`' ? "raw " : "");
      }
    }
    t.type = T_STRING;
    p++;
  } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+' || c == '.') &&
             ((s[p] >= '0' && s[p] <= '9') || (c != '.' && s[p] == '.')))) {
    while (ident(s[p]) || s[p] == '.' || ((s[p] == '-' || s[p] == '+') && strchr("eEpP", s[p - 1])))
      p++;
    t.type = T_NUMBER;
  } else if (c == '.' || c == '$') {  // ".A.B", "$x.A.B", or "." alone
    if (c == '$') while (ident(s[p])) p++;
    else p--;
    while (s[p] == '.' && ident(s[p + 1]))
      for (p++; ident(s[p]); p++);
    t.type = c == '$' ? T_VAR : p == t.pos ? T_DOT : T_FIELD;
    p += p == t.pos;
  } else if (ident(c)) {
    while (ident(s[p])) p++;
    t.type = T_IDENT;
  } else t.type = T_OTHER;
  ps->p = t.end = p;
  return t;
}

static int is_word(struct parser *ps, struct tok t, const char *w)
{
  return t.type == T_IDENT && t.end - t.pos == (int)strlen(w) &&
         !memcmp(ps->s + t.pos, w, t.end - t.pos);
}

static NORETURN void unexpected(struct parser *ps, struct tok t, const char *in)
{
  parse_error(ps, "unexpected \"%.*s\" in %s", t.end - t.pos, ps->s + t.pos, in);
}

static void expect_close(struct parser *ps, const char *in)
{
  struct tok t = lex(ps);

  if (t.type != T_CLOSE) unexpected(ps, t, in);
}

// A Go string literal: "..." with escapes, or `raw` (carriage returns
// dropped, as Go does).
static struct json *unquote(struct parser *ps, struct tok t)
{
  static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''";
  const char *s = ps->s + t.pos + 1, *end = ps->s + t.end - 1, *e;
  int raw = *end == '`', c, n;
  char digits[9], *stop;
  struct buf b = {0};
  struct json *j;
  unsigned long cp;

  while (s < end) {
    if ((c = *s++) != '\\' || raw) {
      if (c != '\r' || !raw) buf_addc(&b, c);
      continue;
    }
    if ((c = *s++) && (e = strchr(simple, c)) && !((e - simple) & 1)) {
      buf_addc(&b, e[1]);
      continue;
    }
    // \xHH bytes, \ooo octal bytes, \uHHHH and \UHHHHHHHH characters
    n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : c >= '0' && c <= '7' ? 3 : 0;
    s -= n == 3;
    if (!n || end - s < n) goto bad;
    memcpy(digits, s, n);
    digits[n] = 0;
    cp = strtoul(digits, &stop, n == 3 ? 8 : 16);
    if (*stop || cp > (n > 3 ? 0x10ffff : 255)) goto bad;
    if (n > 3) put_utf8(&b, cp);
    else buf_addc(&b, cp);
    s += n;
  }
  j = new_json(JSON_STRING, buf_str(&b), b.len);
  buf_free(&b);
  return j;
bad:
  buf_free(&b);
  parse_error(ps, "invalid syntax");
}

// Integers (decimal, 0x hex, 0 octal) become their decimal text; other
// numbers keep theirs.
static struct json *number(struct parser *ps, struct tok t)
{
  char text[64], *e;
  int n = t.end - t.pos, plus = ps->s[t.pos] == '+';
  long long i;

  snprintf(text, sizeof(text), "%.*s", n, ps->s + t.pos);
  errno = 0;
  i = strtoll(text + plus, &e, 0);
  if (!*e && !errno && n < (int)sizeof(text)) {
    snprintf(text, sizeof(text), "%lld", i);
    return new_json(JSON_NUMBER, text, strlen(text));
  }
  strtod(text, &e);
  if (*e || errno || n >= (int)sizeof(text)) parse_error(ps, "bad number syntax: \"%s\"", text);
  return new_json(JSON_NUMBER, text + plus, n - plus);
}

// Field names from s[from] on: ".A.B" becomes "A\0B\0\0".
static void set_chain(struct node *n, const char *s, int from, int to)
{
  char *c;

  if (from >= to) return;
  n->chainpos = from;
  n->chain = c = xzalloc(to - from + 1);
  memcpy(c, s + from + 1, to - from - 1);
  for (; *c; c++) if (*c == '.') *c = 0;
}

static struct node *pipeline(struct parser *ps, const char *ctx, int end);

static struct node *operand(struct parser *ps, struct tok t)
{
  struct node *n = new_node(ps, N_CONST, t.pos);
  int i, len = t.end - t.pos;

  if (t.type == T_DOT) n->type = N_DOT;
  else if (t.type == T_FIELD) {
    n->type = N_FIELD;
    set_chain(n, ps->s, t.pos, t.end);
  } else if (t.type == T_VAR) {
    const char *dot = memchr(ps->s + t.pos + 1, '.', len - 1);
    n->type = N_VAR;
    n->str = xstrndup(ps->s + t.pos, len = dot ? dot - ps->s - t.pos : len);
    set_chain(n, ps->s, t.pos + len, t.end);
    for (i = ps->nvars; i-- > 0 && strcmp(ps->vars[i], n->str););
    if (i < 0) parse_error(ps, "undefined variable \"%s\"", n->str);
  } else if (t.type == T_STRING) n->lit = unquote(ps, t);
  else if (t.type == T_NUMBER) n->lit = number(ps, t);
  else if (is_word(ps, t, "true") || is_word(ps, t, "false"))
    n->lit = new_json(len == 4 ? JSON_TRUE : JSON_FALSE, NULL, 0);
  else if (is_word(ps, t, "nil")) n->type = N_NIL;
  else if (t.type == T_IDENT) {
    n->type = N_FUNC;
    for (i = 0; i < (int)ARRAY_LEN(funcs); i++) if (is_word(ps, t, funcs[i].name)) n->fn = i;
    if (!is_word(ps, t, funcs[n->fn].name))
      parse_error(ps, "function \"%.*s\" not defined", len, ps->s + t.pos);
  } else if (t.type == T_LPAREN) {
    n->type = N_PAREN;
    n->pipe = pipeline(ps, "parenthesized pipeline", T_RPAREN);
    if (ps->s[ps->p] == '.' && ident(ps->s[ps->p + 1])) {
      t = lex(ps);
      set_chain(n, ps->s, t.pos, t.end);
    }
  } else unexpected(ps, t, "operand");
  n->end = ps->p;
  return n;
}

// Commands separated by '|' up to `end` (T_CLOSE or T_RPAREN), after an
// optional "$x :=", "$x =" or, in range, "$i, $e :=".
static struct node *pipeline(struct parser *ps, const char *ctx, int end)
{
  struct node *pipe = new_node(ps, N_PIPE, ps->p), **cmd = &pipe->list, **arg;
  int save = ps->p, stage = 1, i, j;
  struct tok t = lex(ps), op;

  if (t.type == T_VAR && !memchr(ps->s + t.pos, '.', t.end - t.pos)) {
    op = lex(ps);
    if (op.type == T_COMMA && !strcmp(ctx, "range")) {
      pipe->decl[pipe->ndecl++] = xstrndup(ps->s + t.pos, t.end - t.pos);
      t = lex(ps);
      op = lex(ps);
      if (op.type == T_COMMA) parse_error(ps, "too many declarations in range");
      if (t.type != T_VAR) parse_error(ps, "range can only initialize variables");
    }
    if (op.type == T_DECLARE || op.type == T_ASSIGN) {
      pipe->decl[pipe->ndecl++] = xstrndup(ps->s + t.pos, t.end - t.pos);
      pipe->assign = op.type == T_ASSIGN;
      save = ps->p;
    } else if (pipe->ndecl) parse_error(ps, "range can only initialize variables");
  }
  for (ps->p = save;; stage++, cmd = &(*cmd)->next) {
    *cmd = new_node(ps, N_CMD, ps->p);
    for (arg = &(*cmd)->list; (t = lex(ps)).type > T_RPAREN; arg = &(*arg)->next) {
      *arg = operand(ps, t);
      (*cmd)->pos = (*cmd)->list->pos;
      (*cmd)->end = pipe->end = (*arg)->end;
    }
    if (!(*cmd)->list)
      parse_error(ps, t.type == T_PIPE || stage > 1 ? "missing command" : "missing value for %s", ctx);
    i = (*cmd)->list->type;
    if (stage > 1 && (i == N_CONST || i == N_DOT || i == N_NIL))
      parse_error(ps, "non executable command in pipeline stage %d", stage);
    if (t.type == T_PIPE) continue;
    if (t.type == T_CLOSE && end != T_CLOSE) parse_error(ps, "unclosed left paren");
    if (t.type != end) unexpected(ps, t, "command");
    break;
  }
  pipe->pos = pipe->list->pos;
  for (i = 0; i < pipe->ndecl; i++) {
    for (j = ps->nvars; pipe->assign && j-- > 0 && strcmp(ps->vars[j], pipe->decl[i]););
    if (j < 0) parse_error(ps, "undefined variable \"%s\"", pipe->decl[i]);
    if (pipe->assign) continue;
    if (j == MAXVARS) parse_error(ps, "too many variables");
    ps->vars[ps->nvars++] = pipe->decl[i];
  }
  return pipe;
}

static struct node *list(struct parser *ps, int *how);

// {{if p}} list [{{else}} list | {{else if p}} ...] {{end}}; range, with.
static struct node *control(struct parser *ps, int type, int pos)
{
  static const char *const names[] = {"if", "range", "with"};
  struct node *n = new_node(ps, type, pos);
  int mark = ps->nvars, how, save;
  struct tok t;

  n->pipe = pipeline(ps, names[type - N_IF], T_CLOSE);
  ps->inrange += type == N_RANGE;
  n->list = list(ps, &how);
  ps->inrange -= type == N_RANGE;
  if (how == L_ELSE) {
    save = ps->p;
    if (type == N_IF && is_word(ps, t = lex(ps), "if")) {  // shares this {{end}}
      n->elist = control(ps, N_IF, t.pos);
      how = L_END;
    } else {
      ps->p = save;
      expect_close(ps, "else");
      n->elist = list(ps, &how);
      if (how == L_ELSE) parse_error(ps, "expected end; found {{else}}");
    }
  }
  if (how != L_END) parse_error(ps, "unexpected EOF");
  ps->nvars = mark;
  return n;
}

// Text and actions up to {{end}}, {{else}} or the end of the template.
static struct node *list(struct parser *ps, int *how)
{
  struct node *head = NULL, **tail = &head, *n;
  const char *s, *open, *e;
  size_t len;
  int ltrim, save;
  struct tok t;

  for (;;) {
    for (s = ps->s + ps->p; ps->rtrim && space(*s); s++);
    ps->rtrim = 0;
    open = strstr(s, "{{");
    len = open ? (size_t)(open - s) : strlen(s);
    if ((ltrim = open && open[2] == '-' && space(open[3])))
      while (len && space(s[len - 1])) len--;
    if (len) {
      *tail = n = new_node(ps, N_TEXT, s - ps->s);
      n->str = xstrndup(s, n->len = len);
      tail = &n->next;
    }
    if (!open) {
      ps->p = s + len - ps->s;
      *how = L_EOF;
      return head;
    }
    ps->p = open + 2 + 2 * ltrim - ps->s;
    if (!strncmp(ps->s + ps->p, "/*", 2)) {
      if (!(e = strstr(ps->s + ps->p + 2, "*/"))) parse_error(ps, "unclosed comment");
      ps->p = e + 4 - ps->s;
      if (space(e[2]) && e[3] == '-' && e[4] == '}' && e[5] == '}') ps->p += 2, ps->rtrim = 1;
      else if (e[2] != '}' || e[3] != '}') parse_error(ps, "comment ends before closing delimiter");
      continue;
    }
    save = ps->p;
    t = lex(ps);
    if (is_word(ps, t, "end") || is_word(ps, t, "else")) {
      if ((*how = ps->s[t.pos + 1] == 'n' ? L_END : L_ELSE) == L_END) expect_close(ps, "end");
      return head;
    }
    if (is_word(ps, t, "if")) n = control(ps, N_IF, t.pos);
    else if (is_word(ps, t, "range")) n = control(ps, N_RANGE, t.pos);
    else if (is_word(ps, t, "with")) n = control(ps, N_WITH, t.pos);
    else if (is_word(ps, t, "break") || is_word(ps, t, "continue")) {
      if (!ps->inrange) parse_error(ps, "{{%.*s}} outside {{range}}", t.end - t.pos, ps->s + t.pos);
      n = new_node(ps, ps->s[t.pos] == 'b' ? N_BREAK : N_CONTINUE, t.pos);
      expect_close(ps, n->type == N_BREAK ? "break" : "continue");
    } else if (is_word(ps, t, "define") || is_word(ps, t, "template") || is_word(ps, t, "block"))
      parse_error(ps, "{{%.*s}} is not supported", t.end - t.pos, ps->s + t.pos);
    else {
      ps->p = save;
      n = new_node(ps, N_ACTION, t.pos);
      n->pipe = pipeline(ps, "command", T_CLOSE);
    }
    *tail = n;
    tail = &n->next;
  }
}

struct tpl *tpl_parse(const char *text)
{
  struct parser ps = {0};
  int how;

  ps.t = xzalloc(sizeof(*ps.t));
  ps.s = ps.t->src = xstrdup(text);
  ps.vars[ps.nvars++] = "$";
  if (setjmp(ps.fail)) {
    tpl_free(ps.t);
    return NULL;
  }
  ps.t->root = list(&ps, &how);
  if (how != L_EOF) parse_error(&ps, "unexpected {{%s}}", how == L_END ? "end" : "else");
  return ps.t;
}

void tpl_free(struct tpl *t)
{
  struct node *n, *next;

  if (!t) return;
  for (n = t->all; n; n = next) {
    next = n->all;
    free(n->str);
    free(n->chain);
    free(n->decl[0]);
    free(n->decl[1]);
    json_free(n->lit);
    free(n);
  }
  free(t->src);
  free(t);
}

// ---- values -------------------------------------------------------------

// An integer, also when written 1e3 or 2.0: Go's typed view has ints.
static int num_int(const struct json *v, long long *i)
{
  double d;

  if (!json_int(v, i)) return 1;
  d = strtod(v->str, NULL);
  if (d < -9e18 || d > 9e18 || d != (double)(long long)d) return 0;
  *i = d;
  return 1;
}

static const char *type_name(const struct json *v)
{
  static const char *const names[] = {"<nil>", "bool", "bool", "float64",
    "string", "[]interface {}", "map[string]interface {}"};
  long long i;

  if (!v) return "<nil>";
  return v->type == JSON_NUMBER && num_int(v, &i) ? "int" : names[v->type];
}

// Go's truth: false, 0, nil, "" and empty arrays and maps are false.
static int truth(const struct json *v)
{
  if (!v || v->type <= JSON_FALSE) return 0;
  if (v->type == JSON_NUMBER) return strtod(v->str, NULL) != 0;
  return v->type == JSON_TRUE || v->len > 0;
}

// The member after prev in key order (prev NULL: the first). Quadratic,
// which keeps walks over the small maps templates see allocation-free;
// of duplicate keys the last wins, as in json_get().
static const struct json *next_member(const struct json *obj, const struct json *prev)
{
  const struct json *e, *best = NULL;

  for (e = obj->child; e; e = e->next)
    if ((!prev || strcmp(e->key, prev->key) > 0) && (!best || strcmp(e->key, best->key) <= 0))
      best = e;
  return best;
}

// Arrays' elements in order, objects' members in key order.
static const struct json *after(const struct json *v, const struct json *e)
{
  if (v->type == JSON_OBJECT) return next_member(v, e);
  return e ? e->next : v->child;
}

// One fmt verb with its flags, width and precision (-1: none given).
struct spec {
  int width, prec;
  char verb, minus, plus, zero, space, sharp;
};

static void pad(struct buf *b, const struct spec *sp, const char *s, size_t n)
{
  int w = sp->width, i;
  size_t j;

  for (j = 0; j < n; j++) w -= (s[j] & 0xc0) != 0x80;  // Go counts characters
  for (i = w; !sp->minus && i > 0; i--) buf_addc(b, sp->zero ? '0' : ' ');
  buf_add(b, s, n);
  for (i = w; sp->minus && i > 0; i--) buf_addc(b, ' ');
}

// One value as fmt formats it for a verb; %v is Go's default format.
static void fmt_value(struct buf *b, const struct spec *sp, const struct json *v)
{
  static const struct spec plain = {.width = -1, .prec = -1, .verb = 'v'};
  struct buf t = {0};
  const struct json *e;
  char cf[16] = "%", *p = cf + 1, verb = sp->verb;
  long long i;
  size_t n;

  if (!v) v = &nil_value;
  switch (v->type) {
  case JSON_ARRAY:
  case JSON_OBJECT:  // [a b] and map[k:v], the verb applied to each element
    buf_adds(b, v->type == JSON_ARRAY ? "[" : "map[");
    for (e = after(v, NULL); e; e = after(v, e)) {
      if (e->key) {
        struct json key = {.type = JSON_STRING, .str = e->key, .len = strlen(e->key)};
        fmt_value(b, sp, &key);
        buf_addc(b, ':');
      }
      if (e->type == JSON_NULL) pad(b, sp, "<nil>", 5);  // whatever the verb
      else fmt_value(b, sp, e);
      if (after(v, e)) buf_addc(b, ' ');
    }
    buf_addc(b, ']');
    return;
  case JSON_STRING:
    if (verb == 's' || verb == 'v') {
      n = v->len;  // a precision counts characters
      if (sp->prec >= 0)
        for (n = 0, i = sp->prec; n < v->len && i; n++) i -= (v->str[n + 1] & 0xc0) != 0x80;
      pad(b, sp, v->str, n);
      return;
    }
    if (verb == 'q') {  // strconv.Quote, UTF-8 kept as it is
      buf_addc(&t, '"');
      for (n = 0; n < v->len; n++) {
        unsigned char c = v->str[n];
        const char *esc = c < 0x20 ? memchr("\aa\bb\ff\nn\rr\tt\vv", c, 14) : NULL;
        if (c == '"' || c == '\\' || esc) buf_printf(&t, "\\%c", esc ? esc[1] : c);
        else if (c < 0x20 || c == 0x7f) buf_printf(&t, "\\x%02x", c);
        else buf_addc(&t, c);
      }
      buf_addc(&t, '"');
    } else if (verb == 'x' || verb == 'X') {
      for (n = 0; n < v->len; n++)
        buf_printf(&t, verb == 'x' ? "%02x" : "%02X", (unsigned char)v->str[n]);
    } else goto bad;
    break;
  case JSON_NUMBER:
    if (verb == 'v' && !num_int(v, &i)) {  // other numbers as the JSON has them
      buf_adds(&t, v->str);
      break;
    }
    if (verb == 'c' && num_int(v, &i) && i >= 0 && i <= 0x10ffff) {
      put_utf8(&t, i);
      break;
    }
    if (!strchr("vdxXofFeEgG", verb) || (strchr("vdxXo", verb) && !num_int(v, &i))) goto bad;
    if (i < 0 && strchr("xXo", verb)) {  // Go's -ff, not two's complement
      buf_printf(&t, verb == 'o' ? "-%llo" : verb == 'x' ? "-%llx" : "-%llX", 0ULL - i);
      break;
    }
    if (sp->minus) *p++ = '-';
    if (sp->plus) *p++ = '+';
    if (sp->space) *p++ = ' ';
    if (sp->zero) *p++ = '0';
    if (sp->sharp) *p++ = '#';
    p = stpcpy(p, strchr("vdxXo", verb) ? "*.*ll" : "*.*");
    *p++ = verb == 'v' ? 'd' : verb;
    *p = 0;
    n = sp->width < 0 ? 0 : sp->width;
    if (strchr("vdxXo", verb)) buf_printf(b, cf, (int)n, sp->prec, i);
    else buf_printf(b, cf, (int)n, sp->prec, strtod(v->str, NULL));
    return;
  case JSON_NULL:
    if (verb != 'v') goto bad;
    buf_adds(&t, "<nil>");
    break;
  default:
    if (verb != 'v' && verb != 't') goto bad;
    buf_adds(&t, v->type == JSON_TRUE ? "true" : "false");
  }
  pad(b, sp, buf_str(&t), t.len);
  buf_free(&t);
  return;
bad:
  buf_printf(b, "%%!%c(", verb);
  if (v->type != JSON_NULL) buf_printf(b, "%s=", type_name(v));
  fmt_value(b, &plain, v);
  buf_addc(b, ')');
}

static void print_value(struct buf *b, const struct json *v)
{
  fmt_value(b, &(struct spec){.width = -1, .prec = -1, .verb = 'v'}, v);
}

// fmt.Sprintf with Go's complaints: %!d(string=x), %!s(MISSING), EXTRA.
static void sprintf_go(struct buf *b, const char *f, const struct json **av, int n)
{
  int ai = 0;

  while (*f) {
    struct spec sp = {.width = -1, .prec = -1};
    if (*f != '%' || f[1] == '%') {
      buf_addc(b, *f);
      f += 1 + (*f == '%');
      continue;
    }
    for (f++; *f && strchr("-+ 0#", *f); f++)
      *(*f == '-' ? &sp.minus : *f == '+' ? &sp.plus : *f == ' ' ? &sp.space :
        *f == '0' ? &sp.zero : &sp.sharp) = 1;
    if (*f >= '1' && *f <= '9') sp.width = strtol(f, (char **)&f, 10);
    if (*f == '.') sp.prec = strtol(f + 1, (char **)&f, 10);
    if (!(sp.verb = *f++)) {
      buf_adds(b, "%!(NOVERB)");
      break;
    }
    if (ai < n) fmt_value(b, &sp, av[ai++]);
    else buf_printf(b, "%%!%c(MISSING)", sp.verb);
  }
  if (ai < n) buf_adds(b, "%!(EXTRA ");
  for (; ai < n; ai++) {
    if (av[ai]->type != JSON_NULL) buf_printf(b, "%s=", type_name(av[ai]));
    print_value(b, av[ai]);
    buf_adds(b, ai + 1 < n ? ", " : ")");
  }
}

// fmt.Sprint (spaces between operands when neither is a string) and
// fmt.Sprintln (spaces always, and a newline).
static void sprint_go(struct buf *b, const struct json **av, int n, int ln)
{
  for (int i = 0; i < n; i++) {
    if (i && (ln || (av[i - 1]->type != JSON_STRING && av[i]->type != JSON_STRING)))
      buf_addc(b, ' ');
    print_value(b, av[i]);
  }
  if (ln) buf_addc(b, '\n');
}

static void escape(struct buf *b, int fn, const char *s)
{
  for (; *s; s++) {
    unsigned char c = *s;
    const char *html = strchr("\"'&<>", c);
    if (fn == F_HTML && c && html)
      buf_adds(b, (const char *[]){"&#34;", "&#39;", "&amp;", "&lt;", "&gt;"}[html - "\"'&<>"]);
    else if (fn == F_JS && (c < ' ' || strchr("<>&=", c))) buf_printf(b, "\\u%04X", c);
    else if (fn == F_JS && strchr("\\'\"", c)) buf_printf(b, "\\%c", c);
    else if (fn == F_URLQUERY && c == ' ') buf_addc(b, '+');
    else if (fn == F_URLQUERY && !ident(c) && !strchr("-.~", c)) buf_printf(b, "%%%02X", c);
    else buf_addc(b, c);
  }
}

// ---- running ------------------------------------------------------------

struct exec {
  const struct tpl *t;
  struct buf *out;
  struct json *made;      // values made while running, chained by next
  const struct node *at;  // the function call running, for messages
  int nvars;
  struct {
    const char *name;
    const struct json *v;
  } var[MAXVARS + 1];
  jmp_buf fail;
};

// "template: :1:8: executing "" at <index .a 5>: why"; pos -1: n's own.
static NORETURN PRINTF(4, 5) void exec_error(struct exec *x, const struct node *n, int pos,
                                              const char *fmt, ...)
{
  const char *s = x->t->src;
  char msg[300];
  int line = 1, col = 0, i;
  va_list ap;

  if (pos < 0) pos = n->pos;
  for (i = 0; i < pos; i++) s[i] == '\n' ? line++, col = 0 : col++;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  fail(EINVAL, "template: :%d:%d: executing \"\" at <%.*s>: %s", line, col,
       n->end - n->pos, s + n->pos, msg);
  longjmp(x->fail, 1);
}

static const struct json *keep(struct exec *x, struct json *j)
{
  j->next = x->made;
  return x->made = j;
}

static const struct json *made_str(struct exec *x, struct buf *b)
{
  struct json *j = new_json(JSON_STRING, NULL, 0);

  j->len = b->len;
  j->str = buf_steal(b);
  return keep(x, j);
}

static const struct json *made_int(struct exec *x, long long i)
{
  char text[24];

  return keep(x, new_json(JSON_NUMBER, text, snprintf(text, sizeof(text), "%lld", i)));
}

static struct json *copy(const struct json *v)
{
  struct json *c = new_json(v->type, v->str, v->str && v->type != JSON_STRING ? strlen(v->str) : v->len);
  struct json **tail = &c->child;
  const struct json *e;

  c->len = v->len;
  c->key = v->key ? xstrdup(v->key) : NULL;
  for (e = v->child; e; e = e->next, tail = &(*tail)->next) *tail = copy(e);
  return c;
}

// Follow .A.B from v: a missing key gives no value (printed <no value>),
// and Docker's Go-side names (ID, DNS...) find their JSON spellings.
static const struct json *walk(struct exec *x, const struct node *n, const struct json *v)
{
  static const char *const alias[] = {"ID", "Id", "DNS", "Dns", "DNSOptions",
    "DnsOptions", "DNSSearch", "DnsSearch", "HostIP", "HostIp"};
  const char *c;
  const struct json *f;
  size_t i;

  for (c = n->chain; c && *c; c += strlen(c) + 1) {
    if (!v || v->type == JSON_NULL) {
      v = NULL;
      continue;
    }
    if (v->type != JSON_OBJECT)  // reported where Go does: at .B of .A.B.C
      exec_error(x, n, n->chainpos + (n->type == N_FIELD && c != n->chain ? strlen(n->chain) + 1 : 0),
                 "can't evaluate field %s in type %s", c, type_name(v));
    f = json_get(v, c);
    for (i = 0; !f && i < ARRAY_LEN(alias); i += 2)
      if (!strcmp(c, alias[i])) f = json_get(v, alias[i + 1]);
    v = f;
  }
  return v;
}

static int find_var(struct exec *x, const char *name)
{
  int i = x->nvars;

  while (i-- > 0 && strcmp(x->var[i].name, name));
  return i;
}

// Declare a variable, or with assign set the innermost of that name.
static void set_var(struct exec *x, const struct node *at, const char *name,
                    const struct json *v, int assign)
{
  int i = assign ? find_var(x, name) : x->nvars;

  if (i < 0) exec_error(x, at, -1, "undefined variable: %s", name);
  if (i > MAXVARS) exec_error(x, at, -1, "too many variables");
  x->var[i].name = name;
  x->var[i].v = v;
  x->nvars += i == x->nvars;
}

static const struct json *pipe_run(struct exec *x, const struct node *p,
                                   const struct json *dot, int declare);
static const struct json *call(struct exec *x, const struct node *at, int fn,
                               const struct node *args, const struct json *dot,
                               const struct json *const *final);

static const struct json *arg(struct exec *x, const struct node *n, const struct json *dot)
{
  const struct json *v = dot;
  int i;

  switch (n->type) {
  case N_CONST: return n->lit;
  case N_NIL: return &nil_value;
  case N_FUNC: return call(x, n, n->fn, NULL, dot, NULL);
  case N_PAREN: v = pipe_run(x, n->pipe, dot, 1); break;
  case N_VAR:
    if ((i = find_var(x, n->str)) < 0) exec_error(x, n, -1, "undefined variable: %s", n->str);
    v = x->var[i].v;
  }
  return walk(x, n, v);
}

static const char *str_arg(struct exec *x, const struct json *v)
{
  if (!v || v->type != JSON_STRING)
    exec_error(x, x->at, -1, "wrong type for value; expected string; got %s", type_name(v));
  return v->str;
}

static long long int_arg(struct exec *x, const struct json *v)
{
  long long i;

  if (!v || v->type != JSON_NUMBER || !num_int(v, &i))
    exec_error(x, x->at, -1, "wrong type for value; expected int; got %s", type_name(v));
  return i;
}

// For eq and friends: <0, 0, >0 (eq: unequal kinds with a nil are just
// unequal); Go's errors for what can't be compared or ordered.
static int compare(struct exec *x, const char *fname, const struct json *a,
                   const struct json *b, int order)
{
  int ka = a ? (a->type == JSON_FALSE ? JSON_TRUE : a->type) : JSON_NULL;
  int kb = b ? (b->type == JSON_FALSE ? JSON_TRUE : b->type) : JSON_NULL;
  const char *why = NULL;
  long long i, j;
  double d, e;

  if (!order && (ka == JSON_NULL || kb == JSON_NULL)) return ka != kb;
  if (ka >= JSON_ARRAY || ka == JSON_NULL || (order && ka == JSON_TRUE))
    why = "invalid type for comparison";
  else if (ka != kb) why = "incompatible types for comparison";
  if (why) exec_error(x, x->at, -1, "error calling %s: %s", fname, why);
  if (ka == JSON_TRUE) return a->type != b->type;
  if (ka == JSON_STRING) {
    int c = memcmp(a->str, b->str, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
  }
  if (num_int(a, &i) && num_int(b, &j)) return (i > j) - (i < j);
  d = strtod(a->str, NULL);
  e = strtod(b->str, NULL);
  return (d > e) - (d < e);
}

// One step of index. A missing key gives the zero value: "" in maps of
// strings (Docker's labels, also when null), else no value.
static const struct json *index_of(struct exec *x, const struct json *v, const struct json *key)
{
  const struct json *e;
  long long k;

  if ((!v || v->type == JSON_NULL) && key && key->type == JSON_STRING) return &empty_string;
  if (v && v->type == JSON_OBJECT) {
    if ((e = json_get(v, str_arg(x, key)))) return e;
    for (e = v->child; e && e->type == JSON_STRING; e = e->next);
    return e ? NULL : &empty_string;
  }
  if (!v || (v->type != JSON_ARRAY && v->type != JSON_STRING))
    exec_error(x, x->at, -1, "error calling index: can't index item of type %s", type_name(v));
  if ((k = int_arg(x, key)) < 0 || k >= (long long)v->len)
    exec_error(x, x->at, -1, "error calling index: index out of range: %lld", k);
  return v->type == JSON_STRING ? made_int(x, (unsigned char)v->str[k]) : json_at(v, k);
}

static const struct json *call(struct exec *x, const struct node *at, int fn,
                               const struct node *args, const struct json *dot,
                               const struct json *const *final)
{
  const struct json *av[MAXARGS], *v, *e;
  const struct node *a, *saved = x->at;
  const char *name = funcs[fn].name, *s, *sep, *end;
  struct json *arr = NULL, **tail;
  struct buf b = {0};
  struct jw w;
  int n = !!final, i, c;
  long long k, lo, hi;

  for (a = args; a; a = a->next) n++;
  x->at = at;
  if (n < funcs[fn].min || (funcs[fn].max >= 0 && n > funcs[fn].max))
    exec_error(x, at->type == N_CMD ? at->list : at, -1, "wrong number of args for %s: want %s%d got %d",
               name, funcs[fn].max < 0 ? "at least " : "", funcs[fn].min, n);
  if (n > MAXARGS) exec_error(x, at, -1, "too many arguments");
  if (fn <= F_OR) {  // evaluated lazily: the deciding argument is the value
    for (a = args;; a = a->next) {
      v = a ? arg(x, a, dot) : *final;
      if (!a || truth(v) != (fn == F_AND) || (!a->next && !final)) break;
    }
    x->at = saved;
    return v;
  }
  for (i = 0, a = args; a; a = a->next) av[i++] = arg(x, a, dot);
  if (final) av[i] = *final;
  for (i = 0; fn >= F_PRINT && i < n; i++) if (!av[i]) av[i] = &nil_value;
  v = av[0];

  switch (fn) {
  case F_NOT: v = truth(v) ? &false_value : &true_value; break;
  case F_LEN:  // null is 0 like Docker's typed nil slices and maps
    if (v && v->type != JSON_NULL && v->type < JSON_STRING)
      exec_error(x, at, -1, "error calling len: len of type %s", type_name(v));
    v = made_int(x, v ? v->len : 0);
    break;
  case F_INDEX:
    for (i = 1; i < n; i++) v = index_of(x, v, av[i]);
    break;
  case F_SLICE:
    if (!v || (v->type != JSON_STRING && v->type != JSON_ARRAY))
      exec_error(x, at, -1, "error calling slice: can't slice item of type %s", type_name(v));
    if (n > 3) exec_error(x, at, -1, "error calling slice: too many slice indexes: %d", n - 1);
    lo = n > 1 ? int_arg(x, av[1]) : 0;
    hi = n > 2 ? int_arg(x, av[2]) : (long long)v->len;
    if (lo < 0 || hi > (long long)v->len)
      exec_error(x, at, -1, "error calling slice: index out of range: %lld", lo < 0 ? lo : hi);
    if (lo > hi) exec_error(x, at, -1, "error calling slice: invalid slice index: %lld > %lld", lo, hi);
    if (v->type == JSON_STRING) {
      buf_add(&b, v->str + lo, hi - lo);
      v = made_str(x, &b);
      break;
    }
    arr = new_json(JSON_ARRAY, NULL, 0);
    for (tail = &arr->child, e = json_at(v, lo); arr->len < (size_t)(hi - lo); arr->len++) {
      *tail = copy(e);
      tail = &(*tail)->next;
      e = e->next;
    }
    v = keep(x, arr);
    break;
  case F_EQ:
    if (n < 2) exec_error(x, at, -1, "error calling eq: missing argument for comparison");
    for (c = 1, i = 1; i < n && c; i++) c = compare(x, name, v, av[i], 0);
    v = c ? &false_value : &true_value;
    break;
  case F_NE: case F_LT: case F_LE: case F_GT: case F_GE:
    c = compare(x, name, v, av[1], fn != F_NE);
    c = fn == F_NE ? c != 0 : fn == F_LT ? c < 0 : fn == F_LE ? c <= 0 : fn == F_GT ? c > 0 : c >= 0;
    v = c ? &true_value : &false_value;
    break;
  case F_PRINT: case F_PRINTLN: sprint_go(&b, av, n, fn == F_PRINTLN); break;
  case F_PRINTF: sprintf_go(&b, str_arg(x, v), av + 1, n - 1); break;
  case F_HTML: case F_JS: case F_URLQUERY: {
    struct buf text = {0};
    sprint_go(&text, av, n, 0);
    escape(&b, fn, buf_str(&text));
    buf_free(&text);
    break;
  }
  case F_JSON:
    jw_init(&w, &b, 0);
    jw_value(&w, NULL, v);
    break;
  case F_SPLIT:  // strings.Split: an empty sep splits into UTF-8 characters
    s = str_arg(x, v);
    sep = str_arg(x, av[1]);
    arr = new_json(JSON_ARRAY, NULL, 0);
    for (tail = &arr->child; *sep || *s; s = end + strlen(sep), tail = &(*tail)->next) {
      if (*sep) end = strstr(s, sep);
      else for (end = s + 1; (*end & 0xc0) == 0x80; end++);
      *tail = new_json(JSON_STRING, s, end && *end ? (size_t)(end - s) : strlen(s));
      arr->len++;
      if (!end || !*end) break;
    }
    v = keep(x, arr);
    break;
  case F_JOIN:  // maps join their values, in key order
    sep = str_arg(x, av[1]);
    if (v->type == JSON_STRING) str_arg(x, NULL);
    for (e = v->type >= JSON_ARRAY ? after(v, NULL) : NULL; e; e = after(v, e)) {
      print_value(&b, e);
      if (after(v, e)) buf_adds(&b, sep);
    }
    break;
  case F_TITLE: case F_LOWER: case F_UPPER:  // ASCII letters only
    for (s = str_arg(x, v), c = ' '; *s; c = (unsigned char)*s++) {
      int up = fn == F_UPPER || (fn == F_TITLE && c < 0x80 && !ident(c));
      buf_addc(&b, *s >= 'a' && *s <= 'z' && up ? *s - 32 :
                   *s >= 'A' && *s <= 'Z' && fn == F_LOWER ? *s + 32 : *s);
    }
    break;
  case F_PAD:  // only when there is something to pad
    lo = int_arg(x, av[1]);
    hi = int_arg(x, av[2]);
    if (*str_arg(x, v)) buf_printf(&b, "%*s%s%*s", (int)lo, "", v->str, (int)hi, "");
    break;
  case F_TRUNCATE:  // bytes
    k = int_arg(x, av[1]);
    buf_add(&b, str_arg(x, v), k >= 0 && k < (long long)v->len ? k : (long long)v->len);
  }
  if (fn >= F_PRINT && fn != F_SPLIT) v = made_str(x, &b);
  x->at = saved;
  return v;
}

static const struct json *command(struct exec *x, const struct node *cmd,
                                  const struct json *dot, const struct json *const *final)
{
  const struct node *first = cmd->list;
  const char *c = first->chain;

  if (first->type == N_FUNC) return call(x, cmd, first->fn, first->next, dot, final);
  if ((first->next || final) && c) {
    while (c[strlen(c) + 1]) c += strlen(c) + 1;
    exec_error(x, first, -1, "%s is not a method but has arguments", c);
  }
  if (first->next || final)
    exec_error(x, first, -1, "can't give argument to non-function %.*s",
               first->end - first->pos, x->t->src + first->pos);
  if (first->type == N_NIL) exec_error(x, first, -1, "nil is not a command");
  return arg(x, first, dot);
}

static const struct json *pipe_run(struct exec *x, const struct node *p,
                                   const struct json *dot, int declare)
{
  const struct json *v = NULL;
  const struct node *cmd;

  for (cmd = p->list; cmd; cmd = cmd->next)
    v = command(x, cmd, dot, cmd == p->list ? NULL : &v);
  if (declare && p->ndecl) set_var(x, p, p->decl[0], v, p->assign);
  return v;
}

enum { R_NEXT, R_BREAK, R_CONTINUE };
static int run(struct exec *x, const struct node *n, const struct json *dot);

// Arrays in order, maps in key order; $i, $e get index (or key) and value.
static int range(struct exec *x, const struct node *n, const struct json *dot)
{
  const struct node *p = n->pipe;
  const struct json *v = pipe_run(x, p, dot, 0), *e;
  int r = R_NEXT, base = x->nvars;
  struct buf b = {0};
  long long i = 0;

  if (v && v->type != JSON_NULL && v->type < JSON_ARRAY) {
    print_value(&b, v);
    exec_error(x, p, -1, "range can't iterate over %s", made_str(x, &b)->str);
  }
  if (!v || !v->child) return run(x, n->elist, dot);
  for (e = after(v, NULL); e && r != R_BREAK; e = after(v, e), i++) {
    x->nvars = base;
    if (p->ndecl == 2 && e->key) buf_adds(&b, e->key);
    if (p->ndecl == 2) set_var(x, p, p->decl[0], e->key ? made_str(x, &b) : made_int(x, i), p->assign);
    if (p->ndecl) set_var(x, p, p->decl[p->ndecl - 1], e, p->assign);
    r = run(x, n->list, e);
  }
  return R_NEXT;
}

static int run(struct exec *x, const struct node *n, const struct json *dot)
{
  const struct json *v;
  int mark, r;

  for (; n; n = n->next) {
    mark = x->nvars;
    r = R_NEXT;
    switch (n->type) {
    case N_TEXT: buf_add(x->out, n->str, n->len); break;
    case N_ACTION:
      v = pipe_run(x, n->pipe, dot, 1);
      if (n->pipe->ndecl) continue;  // the variable lives on after the action
      if (v) print_value(x->out, v);
      else buf_adds(x->out, "<no value>");
      break;
    case N_BREAK: return R_BREAK;
    case N_CONTINUE: return R_CONTINUE;
    case N_RANGE: r = range(x, n, dot); break;
    default:  // if and with
      v = pipe_run(x, n->pipe, dot, 1);
      if (truth(v)) r = run(x, n->list, n->type == N_WITH ? v : dot);
      else r = run(x, n->elist, dot);
    }
    x->nvars = mark;
    if (r) return r;
  }
  return R_NEXT;
}

int tpl_exec(const struct tpl *t, const struct json *v, struct buf *out)
{
  struct exec x = {.t = t, .out = out, .nvars = 1};

  x.var[0].name = "$";
  x.var[0].v = v;
  if (setjmp(x.fail)) {
    json_free(x.made);
    return -1;
  }
  run(&x, t->root, v);
  json_free(x.made);
  return 0;
}

// Docker's formatter.Context.Write over rows (JSON objects, one a line):
// "json" prints them as they are; otherwise the template runs per row,
// and "table TEMPLATE" first runs it over header (the column titles) and
// aligns the columns. Spaces around are trimmed; the two characters \t
// and \n stand for tab and newline, as Docker's CLI reads them.
void format_rows(const char *format, const char *header, const char *rows)
{
  int table = !strncmp(format, "table", 5);
  struct buf out = {0};
  struct json_err err;
  struct tpl *t;
  char *text = xstrdup(format + (table ? 5 : 0)), *s, *d;

  if (!strcmp(format, "json")) {
    fputs(rows, stdout);
    free(text);
    return;
  }
  for (s = text + strspn(text, " "), d = text; *s; s++, d++) {
    *d = *s;
    if (*s == '\\' && (s[1] == 't' || s[1] == 'n')) *d = *++s == 't' ? '\t' : '\n';
  }
  while (d > text && d[-1] == ' ') d--;
  *d = 0;
  if (!(t = tpl_parse(text))) error_exit("template parsing error: %s", applet.why);
  for (const char *line = table ? header : rows, *end; line && *line;) {
    end = strchrnul(line, '\n');
    struct json *dot = json_parse(line, end - line, &err);
    if (!dot || tpl_exec(t, dot, &out) < 0) error_exit("template parsing error: %s", applet.why);
    buf_addc(&out, '\n');
    json_free(dot);
    line = line == header ? rows : end + !!*end;
  }
  if (table) table_flush(buf_str(&out), stdout);
  else fputs(buf_str(&out), stdout);
  tpl_free(t);
  free(text);
  buf_free(&out);
}
