// login.c: docker login: check credentials against a registry, then keep
// them in ~/.docker/config.json as Docker does.
//
//applet:login "<0 >1 u(username): p(password): (password-stdin)"
//config:config LOGIN
//config:	bool "login: log in to a registry"
//config:	default y
//config:	help
//config:	  usage: login [-u USER] [-p PASS | --password-stdin] [SERVER]
//config:
//config:	  Log in to a registry (Docker Hub when SERVER is not given).
//config:
//config:	  -u, --username USER     Username
//config:	  -p, --password PASS     Password
//config:	      --password-stdin    Take the password from stdin

#define FOR_login
#include "ocibox.h"
#include "generated/flags.h"
#include <termios.h>

// Ask on the terminal; the password without echo.
static char *prompt(const char *what, int echo)
{
  struct termios t, saved;
  char line[512];
  int tty = isatty(0);

  if (!tty) error_exit("Cannot perform an interactive login from a non TTY device");
  fprintf(stderr, "%s", what);
  if (!echo && !tcgetattr(0, &saved)) {
    t = saved;
    t.c_lflag &= ~ECHO;
    tcsetattr(0, TCSANOW, &t);
  }
  char *got = fgets(line, sizeof(line), stdin);
  if (!echo) tcsetattr(0, TCSANOW, &saved), fputc('\n', stderr);
  if (!got) error_exit("no input");
  line[strcspn(line, "\r\n")] = 0;
  return xstrdup(line);
}

void login_main(void)
{
  char key[300], *user, *pass;
  struct registry reg;
  struct ref r;
  struct buf up = {0}, b64 = {0};
  struct http_resp resp;
  struct url u;

  creds_key(applet.argc ? applet.argv[0] : 0, key);
  if (FLAG(p) && FLAG(password_stdin)) error_exit("--password and --password-stdin are mutually exclusive");
  if (FLAG(password_stdin) && !FLAG(u)) error_exit("Must provide --username with --password-stdin");
  user = FLAG(u) ? xstrdup(OPTSTR(u)) : prompt("Username: ", 1);
  if (FLAG(p)) {
    fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
    pass = xstrdup(OPTSTR(p));
  } else if (FLAG(password_stdin)) {
    char line[4096];
    size_t n = fread(line, 1, sizeof(line) - 1, stdin);
    line[n] = 0;
    line[strcspn(line, "\r\n")] = 0;
    pass = xstrdup(line);
  } else pass = prompt("Password: ", 0);
  if (!*user || !*pass) error_exit("Error: Username and password are required");

  // The registry answers /v2/ with our Basic credentials, or a token for them.
  memset(&r, 0, sizeof(r));
  snprintf(r.domain, sizeof(r.domain), "%.255s", strncmp(key, "https://index.docker.io", 23) ? key : "docker.io");
  strcpy(r.path, "x");
  if (reg_open(&reg, &r, "pull") < 0) error_exit("%s", applet.why);
  free(reg.scope);
  reg.scope = xstrdup("");
  buf_printf(&up, "%s:%s", user, pass);
  base64_encode(up.s, up.len, &b64);
  free(reg.basic);
  reg.basic = xstrdup(b64.s);
  char *s = xmprintf("%s://%s/v2/", reg.scheme, reg.endpoint);
  if (url_parse(s, &u) < 0 || reg_send(&reg, "GET", &u, 0, 0, &resp) < 0)
    error_exit("%s", applet.why);
  if (resp.status == 401) error_exit("unauthorized: incorrect username or password");
  if (resp.status != 200) {
    struct buf why = {0};
    reg_error(&reg, &resp, &why);
    error_exit("%s", buf_str(&why));
  }
  http_done(&reg.http, &resp);
  if (creds_set(key, b64.s) < 0) error_exit("%s", applet.why);
  puts("Login Succeeded");
  free(s);
  free(user);
  free(pass);
  buf_free(&up);
  buf_free(&b64);
  reg_close(&reg);
}
