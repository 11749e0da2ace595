// rename.c: docker rename: give a container a new name.
//
//applet:rename "<2>2"
//config:config RENAME
//config:	bool "rename: rename a container"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: rename CONTAINER NEW_NAME
//config:
//config:	  Rename a container (running or not).

#define FOR_rename
#include "ocibox.h"
#include "generated/flags.h"
#include <ctype.h>
#include <sys/file.h>

void rename_main(void)
{
  struct store st;
  struct container c;
  char id[65], other[65];
  const char *n = applet.argv[1];

  if (!*n || strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(n) ||
      !isalnum((unsigned char)*n))
    error_exit("Error when allocating new name: Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", n);
  if (store_open(&st, STORE_USE) < 0 || container_find(&st, applet.argv[0], id) < 0 ||
      container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  if (!strcmp(c.name, n)) error_exit("Renaming a container with the same name as its current name");
  // The same lock as create: a name is never given twice.
  int lock = openat(st.fd, "containers.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock(lock, LOCK_EX)) perror_exit("containers.lock");
  if (container_name_taken(&st, n, other))
    error_exit("Error when allocating new name: Conflict. The container name \"/%s\" is already in use by "
               "container \"%s\". You have to remove (or rename) that container to be able to reuse that name.", n, other);
  struct buf patch = {0};
  buf_adds(&patch, "{\"Name\":");
  char *slash = xmprintf("/%s", n);
  json_quote(&patch, slash, strlen(slash));
  buf_addc(&patch, '}');
  if (container_update_config(&st, id, patch.s) < 0) error_exit("%s", applet.why);
  close(lock);
  free(slash);
  buf_free(&patch);
  container_free(&c);
  store_close(&st);
}
