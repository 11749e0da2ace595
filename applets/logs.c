// logs.c: docker logs: what a detached container wrote.
//
//applet:logs "<1 >1 f(follow)"
//config:config LOGS
//config:	bool "logs: show a container's output"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: logs [-f] CONTAINER
//config:
//config:	  Show the output of a container started with run -d.
//config:
//config:	  -f, --follow   Follow the output until the container stops

#define FOR_logs
#include "ocibox.h"
#include "generated/flags.h"

void logs_main(void)
{
  struct store st;
  struct container c;
  char id[65], buf[16384];
  ssize_t n;

  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  char *path = container_path(&st, id, "container.log");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  free(path);
  for (;;) {
    while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0) xwriteall(1, buf, n);
    if (!FLAG(f) || strcmp(c.status, "running")) break;
    usleep(100000);
    container_free(&c);
    if (container_load(&st, id, &c) < 0) break;
    if (strcmp(c.status, "running")) continue;  // one more read, then stop
  }
  if (fd >= 0) close(fd);
  container_free(&c);
  store_close(&st);
}
