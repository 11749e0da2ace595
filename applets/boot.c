// boot.c: start, after a reboot, what the restart policies say: always,
// unless-stopped when not stopped by hand, on-failure when it was running
// as the machine went down. For an init script, inittab or a unit.
//
//applet:boot ""
//config:config BOOT
//config:	bool "boot: start containers by their restart policies at boot"
//config:	default y
//config:	depends on RUN && RESTART_POLICIES
//config:	help
//config:	  usage: boot
//config:
//config:	  Start every container whose restart policy says so, as the Docker
//config:	  daemon does when it starts: always; unless-stopped unless stopped
//config:	  by hand; on-failure if it was running when the host went down.
//config:	  Run it once at boot (see README). Prints the names started.

#define FOR_boot
#include "ocibox.h"
#include "generated/flags.h"

void boot_main(void)
{
  struct store st;
  struct strlist *ids;

  if (store_open(&st, STORE_USE) < 0) {
    if (errno == ENOENT) return;  // nothing ever made
    error_exit("%s", applet.why);
  }
  ids = container_ids(&st);
  for (struct strlist *l = ids; l; l = l->next) {
    struct container c;
    if (container_load(&st, l->s, &c) < 0) continue;
    const char *p = json_get_str(json_get(json_get(c.config, "HostConfig"), "RestartPolicy"), "Name");
    int by_hand = policy_stopped(&st, c.id), go = 0;
    if (!strcmp(c.status, "exited") || !strcmp(c.status, "created"))
      go = p && (!strcmp(p, "always") || (!strcmp(p, "unless-stopped") && !by_hand) ||
                 (!strcmp(p, "on-failure") && c.stale));
    if (c.stale && !go) {
      // Record the end the reboot made, so no recycled pid is taken for it.
      struct container_state cs = {.status = "exited", .exit_code = 255, .error = c.error};
      strcpy(cs.started_at, c.started_at);
      container_save_state(&st, c.id, &cs);
    }
    if (go) {
      // The Docker daemon's restart after a reboot is not a start by hand.
      if (container_start(&st, c.id, 1, 0, 0) < 0) error_msg("%s: %s", c.name, applet.why);
      else puts(c.name);
    }
    container_free(&c);
  }
  strlist_free(ids);
  store_close(&st);
}
