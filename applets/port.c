// port.c: docker port: a container's published ports.
//
//applet:port "<1>2"
//config:config PORT
//config:	bool "port: list a container's published ports"
//config:	default y
//config:	depends on RUN && PUBLISH
//config:	help
//config:	  usage: port CONTAINER [PRIVATE_PORT[/PROTO]]
//config:
//config:	  List the container's port mappings ("80/tcp -> 0.0.0.0:32768"),
//config:	  or the host addresses of one private port.

#define FOR_port
#include "ocibox.h"
#include "generated/flags.h"

void port_main(void)
{
  struct store st;
  struct container c;
  char id[65], want[24] = "";
  int found = 0;

  if (applet.argc > 1)
    snprintf(want, sizeof(want), strchr(applet.argv[1], '/') ? "%s" : "%s/tcp", applet.argv[1]);
  if (store_open(&st, STORE_READ) < 0 || container_find(&st, applet.argv[0], id) < 0 ||
      container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  struct json *ports = strcmp(c.status, "running") ? 0 : json_get(c.state, "Ports");
  for (struct json *e = ports && ports->type == JSON_OBJECT ? ports->child : 0; e; e = e->next) {
    if (*want && strcmp(want, e->key)) continue;
    for (struct json *h = e->type == JSON_ARRAY ? e->child : 0; h; h = h->next, found++) {
      const char *ip = json_get_str(h, "HostIp");
      if (!*want) printf("%s -> ", e->key);
      printf(strchr(ip ? ip : "", ':') ? "[%s]:%s\n" : "%s:%s\n", ip ? ip : "", json_get_str(h, "HostPort"));
    }
  }
  if (*want && !found) error_exit("No public port '%s' published for %s", want, applet.argv[0]);
  container_free(&c);
  store_close(&st);
}
