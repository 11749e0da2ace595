// run.c: docker run: create a container from an image and run its command,
// in the foreground (stdio passed through, its exit status ours) or
// detached (-d: a supervisor keeps it and its log; the id is printed).
//
//applet:run "^<1 d(detach) (detach-keys): i(interactive) t(tty) (rm) (name): e(env)* (env-file)* w(workdir): u(user): h(hostname): (entrypoint): (network): (read-only) (privileged) m(memory): (memory-swap): (cpus): c(cpu-shares)# (pids-limit)# p(publish)* P(publish-all) (restart): v(volume)* (stop-signal): (stop-timeout)# (add-host)* (dns)* (cap-add)* (cap-drop)* (ulimit)* (init)" err125
//config:config RUN
//config:	bool "run: run a command in a new container"
//config:	default y
//config:	help
//config:	  usage: run [OPTIONS] IMAGE [COMMAND] [ARG...]
//config:
//config:	  Create and run a new container from an image; pulls the image
//config:	  when it is not in the store. Options go before IMAGE.
//config:
//config:	  -d, --detach           Run in the background and print the container ID
//config:	      --detach-keys KEYS  The sequence that detaches from -it and leaves
//config:	                         the container running (default "ctrl-p,ctrl-q")
//config:	  @shared
//config:	  -i, --interactive      Keep STDIN open
//config:	  -t, --tty              Allocate a pseudo-TTY (from the container's devpts)
//config:	      --rm               Remove the container when it exits
//config:	      --name NAME        Assign a name to the container
//config:	  -e, --env K[=V]        Set an environment variable (repeatable)
//config:	      --env-file FILE    Read environment variables from a file
//config:	  -w, --workdir DIR      Working directory inside the container
//config:	  -u, --user USER[:GROUP]  Username or UID (and group)
//config:	  -h, --hostname NAME    Container host name
//config:	      --entrypoint CMD   Overwrite the image's ENTRYPOINT
//config:	      --network MODE     bridge (the default: ocibox0), none or host
//config:	      --read-only        Mount the container's root read-only
//config:	      --privileged       Keep every capability
//config:	  -m, --memory BYTES     Memory limit (e.g. 100m, 1g)
//config:	      --memory-swap BYTES  Memory plus swap limit (-1: unlimited swap)
//config:	      --cpus N           Number of CPUs (e.g. 0.5)
//config:	  -c, --cpu-shares N     CPU shares (relative weight)
//config:	      --pids-limit N     Most tasks in the container
//config:	  -p, --publish [IP:][HOST:]PORT[/udp]  Publish a container's port
//config:	                         (a userland proxy; HOST left out: any free port)
//config:	  -P, --publish-all      Publish every exposed port to a free port
//config:	      --restart POLICY   no, always, unless-stopped, on-failure[:N]
//config:	  -v, --volume [SRC:]DST[:ro]  Bind a host path (SRC absolute) or a
//config:	                         named volume (SRC a name; none: anonymous)
//config:	      --stop-signal SIG  Signal stop sends (default SIGTERM)
//config:	      --stop-timeout N   Seconds stop waits before SIGKILL (default 10)
//config:	      --add-host HOST:IP  A line in /etc/hosts (repeatable)
//config:	      --dns IP           Name server in /etc/resolv.conf (repeatable)
//config:	      --cap-add CAP      Add a Linux capability (repeatable; ALL: every one)
//config:	      --cap-drop CAP     Drop a Linux capability (repeatable; ALL: every one)
//config:	      --ulimit NAME=SOFT[:HARD]  Set a ulimit (repeatable; e.g. nofile=1024:2048)
//config:	      --init             Run an init (docker-init) as PID 1 that forwards
//config:	                         signals and reaps processes

#define FOR_run
#include "ocibox.h"
#include "generated/flags.h"

// run -it: the supervisor runs detached from the start and we are its
// terminal's first client, so the detach keys leave it running (Docker's
// client does the same); the exit status comes back through status_fd.
static int run_attached(struct store *st, const char *id, int status_fd, const char *keys, int nkeys)
{
  char num[16];
  int sock;
  struct container c;
  ssize_t n;

  if (container_load(st, id, &c) == 0) sig_proxy(c.pid), container_free(&c);
  // (the supervisor listens once the container's terminal is there)
  for (int tries = 0; (sock = pty_attach_connect(id)) < 0; tries++) {
    if (tries == 500) error_exit("%s", applet.why);
    usleep(10000);
  }
  if (pty_relay(sock, pty_receive(sock), 1, keys, nkeys)) return 0;
  n = readall(status_fd, num, sizeof(num) - 1);
  num[n > 0 ? n : 0] = 0;
  return n > 0 ? atoi(num) : 125;
}

void run_main(void)
{
  struct create_opts o = CREATE_OPTS_FROM_FLAGS;
  struct store st;
  char id[65];
  int code;

  // (without the attach applet, as in tiny, there is no coming back:
  // the terminal is relayed by the supervisor we are)
  int attach = CFG_ATTACH && FLAG(t) && FLAG(i) && !FLAG(d), status_fd = -1;
  char keys[8];
  int nkeys = 0;

  if (CFG_ATTACH &&
      (nkeys = detach_keys_parse(FLAG(detach_keys) ? OPTSTR(detach_keys) : "ctrl-p,ctrl-q", keys, 8)) < 0)
    error_exit("%s", applet.why);
  xcontainer_create(&o, id);
  if (store_open(&st, STORE_USE) < 0) error_exit("%s", applet.why);
  code = container_start(&st, id, FLAG(d) || attach, FLAG(i), attach ? &status_fd : 0);
  if (code < 0) {
    error_msg("%s", applet.why);
    applet.exitval = -code;  // 125, or Docker's 126/127 for the command
    xexit();
  }
  if (FLAG(d)) puts(id);
  else if (attach) code = run_attached(&st, id, status_fd, keys, nkeys);
  applet.exitval = code;
  xexit();
}
