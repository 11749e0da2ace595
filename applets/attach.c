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

void attach_main(void)
{
  struct store st;
  struct container c;
  char id[65], keys[8];
  int nkeys, sock;

  if ((nkeys = detach_keys_parse(FLAG(detach_keys) ? OPTSTR(detach_keys) : "ctrl-p,ctrl-q", keys, 8)) < 0)
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
  if (pty_relay(sock, pty_receive(sock), !FLAG(no_stdin), keys, nkeys)) {
    fputs("read escape sequence\n", stderr);
    xexit();
  }
  // The terminal closed: the container ended; its status is ours.
  container_wait_exit(&st, &c, 5000);
  applet.exitval = c.exit_code;
  container_free(&c);
}
