// attach.c: docker attach: a detached container's terminal (run -dit) on
// ours, until ctrl-p ctrl-q detaches or the container ends; for one
// without a terminal, its output as it comes.
//
//applet:attach "<1 >1 (detach-keys): (no-stdin)"
//config:config ATTACH
//config:	bool "attach: attach to a running container"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: attach [--no-stdin] [--detach-keys KEYS] CONTAINER
//config:
//config:	  Attach the terminal to a running container's (started with -t -d);
//config:	  ctrl-p ctrl-q detaches and leaves it running.
//config:
//config:	      --detach-keys KEYS  Override the detach sequence (e.g. "ctrl-x,y")
//config:	      --no-stdin          Do not attach STDIN

#define FOR_attach
#include "ocibox.h"
#include "generated/flags.h"
#include <poll.h>
#include <termios.h>

// "ctrl-p,ctrl-q" → the bytes 0x10 0x11; plain letters as themselves.
static int detach_keys(const char *s, char *keys, int max)
{
  int n = 0;

  while (*s && n < max) {
    if (!strncmp(s, "ctrl-", 5) && s[5]) {
      char c = s[5];
      if (c >= 'a' && c <= 'z') keys[n++] = c - 'a' + 1;
      else if (c == '@') keys[n++] = 0;
      else if (c >= '[' && c <= '_') keys[n++] = c - '[' + 27;
      else return fail(EINVAL, "Invalid detach keys (%s) provided", s);
      s += 6;
    } else if (s[1] == ',' || !s[1]) keys[n++] = *s++;
    else return fail(EINVAL, "Invalid detach keys (%s) provided", s);
    if (*s == ',') s++;
  }
  return n;
}

void attach_main(void)
{
  struct store st;
  struct container c;
  char id[65], keys[8], buf[4096];
  int nkeys, matched = 0, sock, tty, in_open = !FLAG(no_stdin);
  struct termios saved, raw;

  if ((nkeys = detach_keys(FLAG(detach_keys) ? OPTSTR(detach_keys) : "ctrl-p,ctrl-q", keys, 8)) < 0)
    error_exit("%s", applet.why);
  if (store_open(&st, STORE_READ) < 0 || container_find(&st, applet.argv[0], id) < 0 ||
      container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  if (strcmp(c.status, "running")) error_exit("You cannot attach to a stopped container, start it first");
  struct json *t = json_get(json_get(c.config, "Config"), "Tty");
  if (!t || t->type != JSON_TRUE) {
    // No terminal: its output from here on, like logs -f, then its status.
    logs_show(&st, &c, &(struct log_opts){.tail = 0, .follow = 1});
    applet.exitval = c.exit_code;
    xexit();
  }
  if ((sock = pty_attach_connect(id)) < 0) error_exit("%s", applet.why);
  tty = isatty(0) && !tcgetattr(0, &saved);
  if (tty) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(0, TCSANOW, &raw);
  }
  for (;;) {
    struct pollfd p[2] = {{sock, POLLIN, 0}, {0, POLLIN, 0}};
    ssize_t n;
    if (poll(p, in_open ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[0].revents) {
      if ((n = read(sock, buf, sizeof(buf))) <= 0) break;
      xwriteall(1, buf, n);
    }
    if (in_open && p[1].revents) {
      if ((n = read(0, buf, sizeof(buf))) <= 0) {
        in_open = 0;
        continue;
      }
      // The detach sequence is swallowed; a partial one passes on later.
      for (ssize_t i = 0; i < n; i++) {
        if (buf[i] == keys[matched]) {
          if (++matched == nkeys) {
            if (tty) tcsetattr(0, TCSANOW, &saved);
            fputs("read escape sequence\n", stderr);
            xexit();
          }
          continue;
        }
        if (matched) writeall(sock, keys, matched), matched = 0;
        if (buf[i] == keys[0]) {
          matched = 1;
          continue;
        }
        writeall(sock, buf + i, 1);
      }
    }
  }
  if (tty) tcsetattr(0, TCSANOW, &saved);
  // The terminal closed: the container ended; its status is ours.
  container_wait_exit(&st, &c, 5000);
  applet.exitval = c.exit_code;
  container_free(&c);
}
