// logs.c: docker logs: what a container wrote, from its json-file log
// (lib/logger.c), stdout entries to stdout and stderr entries to stderr.
//
//applet:logs "<1 >1 f(follow) t(timestamps) n(tail): (since): (until): (details)"
//config:config LOGS
//config:	bool "logs: show a container's output"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: logs [OPTIONS] CONTAINER
//config:
//config:	  Show the output of a container (its rotated log files too).
//config:
//config:	      --details      Show extra details provided to logs
//config:	  -f, --follow       Follow log output until the container stops
//config:	      --since T      Show logs since T (2013-01-02T13:23:37Z, Unix
//config:	                     seconds, or relative: 42m for 42 minutes)
//config:	  -n, --tail N       Number of lines to show from the end (all)
//config:	  -t, --timestamps   Show timestamps
//config:	      --until T      Show logs before T (the same forms)

#define FOR_logs
#include "ocibox.h"
#include "generated/flags.h"

// Docker's --since/--until: "invalid value for ..." on a bad one.
static void when(const char *name, const char *s, struct timespec *t)
{
  if (s && parse_timestamp(s, t) < 0) error_exit("invalid value for \"%s\": %s", name, applet.why);
}

void logs_main(void)
{
  struct store st;
  struct container c;
  struct log_opts o = {.follow = FLAG(f), .timestamps = FLAG(t), .details = FLAG(details)};
  char id[65], *end;

  // Docker: anything but a number >= 0 ("all") means every line
  o.tail = OPTSTR(tail) ? strtoll(OPTSTR(tail), &end, 10) : -1;
  if (OPTSTR(tail) && (!*OPTSTR(tail) || *end || o.tail < 0)) o.tail = -1;
  when("since", OPTSTR(since), &o.since);
  when("until", OPTSTR(until), &o.until);
  if (store_open(&st, STORE_READ) < 0) error_exit("%s", applet.why);
  if (container_find(&st, applet.argv[0], id) < 0 || container_load(&st, id, &c) < 0)
    error_exit("%s", applet.why);
  logs_show(&st, &c, &o);
  container_free(&c);
  store_close(&st);
}
