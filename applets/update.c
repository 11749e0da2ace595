// update.c: docker update: change a container's restart policy and
// resource limits; a running container's cgroups follow at once.
//
//applet:update "<1 (restart): m(memory): (memory-swap): (cpus): c(cpu-shares)# (pids-limit)#"
//config:config UPDATE
//config:	bool "update: change a container's restart policy and limits"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: update [OPTIONS] CONTAINER...
//config:
//config:	  Update the configuration of one or more containers.
//config:
//config:	      --restart POLICY   no, always, unless-stopped, on-failure[:N]
//config:	  -m, --memory BYTES     Memory limit
//config:	      --memory-swap BYTES  Memory plus swap limit (-1: unlimited swap)
//config:	      --cpus N           Number of CPUs
//config:	  -c, --cpu-shares N     CPU shares (relative weight)
//config:	      --pids-limit N     Most tasks (-1: unlimited)

#define FOR_update
#include "ocibox.h"
#include "generated/flags.h"

void update_main(void)
{
  struct create_opts o = {.memory = OPTSTR(m), .memory_swap = OPTSTR(memory_swap), .cpus = OPTSTR(cpus)};
  struct buf patch = {0};
  struct store st;
  char policy[16], *sep = "";
  int retries = 0;

  if (!FLAG(restart) && !FLAG(m) && !FLAG(memory_swap) && !FLAG(cpus) && !FLAG(c) && !FLAG(pids_limit))
    error_exit("You must provide one or more flags when using this command.");
  xcheck_limits(&o);
  if (FLAG(restart) && (CFG_RESTART_POLICIES ? policy_parse(OPTSTR(restart), policy, &retries) < 0
                                    : fail(ENOTSUP, "--restart needs a build with CONFIG_RESTART_POLICIES")))
    error_exit("%s", applet.why);
  buf_adds(&patch, "{\"HostConfig\":{");
  if (FLAG(restart)) {
    buf_printf(&patch, "\"RestartPolicy\":{\"Name\":\"%s\",\"MaximumRetryCount\":%d}", policy, retries);
    sep = ",";
  }
  if (FLAG(m)) buf_printf(&patch, "%s\"Memory\":%lld", sep, (long long)parse_ram(OPTSTR(m))), sep = ",";
  if (FLAG(memory_swap))
    buf_printf(&patch, "%s\"MemorySwap\":%lld", sep,
               !strcmp(OPTSTR(memory_swap), "-1") ? -1LL : (long long)parse_ram(OPTSTR(memory_swap))), sep = ",";
  if (FLAG(cpus)) buf_printf(&patch, "%s\"NanoCpus\":%lld", sep, (long long)parse_nanocpus(OPTSTR(cpus))), sep = ",";
  if (FLAG(c)) buf_printf(&patch, "%s\"CpuShares\":%lld", sep, OPTNUM(c)), sep = ",";
  if (FLAG(pids_limit)) buf_printf(&patch, "%s\"PidsLimit\":%lld", sep, OPTNUM(pids_limit));
  buf_adds(&patch, "}}");

  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  for (int i = 0; i < applet.argc; i++) {
    struct container c;
    char id[65];
    if (container_arg(&st, applet.argv[i], id, &c) < 0) continue;
    struct json *host = json_get(c.config, "HostConfig"), *rm = json_get(host, "AutoRemove");
    if (FLAG(restart) && strcmp(policy, "no") && rm && rm->type == JSON_TRUE)
      error_msg("Restart policy cannot be updated because AutoRemove is enabled for the container");
    else if (container_update_config(&st, id, patch.s) < 0) error_msg("%s", applet.why);
    else {
      // Running: its cgroups take the limits now.
      container_free(&c);
      if (CFG_CGROUPS && !container_load(&st, id, &c) && !strcmp(c.status, "running") && c.pid > 0) {
        struct cg_limits lim;
        cg_limits_of(json_get(c.config, "HostConfig"), &lim);
        if (cgroup_setup(id, &lim, c.pid) < 0) {
          error_msg("%s", applet.why);
          container_free(&c);
          continue;
        }
      }
      puts(applet.argv[i]);
    }
    container_free(&c);
  }
  buf_free(&patch);
  store_close(&st);
}
