// ulimits.c: --ulimit NAME=SOFT[:HARD] as Docker parses it (go-units), and
// the limits set in the container's process before its command runs.
// A hard limit above ours needs CAP_SYS_RESOURCE: never assumed, the
// error says so.
#include "ocibox.h"
#include <sys/resource.h>

// By RLIMIT_ number; "as" (9) is not one Docker takes.
static const char rlimit_names[] =
  "cpu\0fsize\0data\0stack\0core\0rss\0nproc\0nofile\0memlock\0-\0locks\0sigpending\0"
  "msgqueue\0nice\0rtprio\0rttime\0";

static int limit_value(const char *s, long long *v)
{
  char *end;
  errno = 0;
  *v = strtoll(s, &end, 10);
  if (!*s || *end || errno) return fail(EINVAL, "strconv.ParseInt: parsing \"%s\": invalid syntax", s);
  return 0;
}

int ulimit_parse(const char *s, struct ulimit *u)
{
  const char *eq = strchr(s, '='), *colon;
  char *soft;
  int rc;

  if (!eq) return fail(EINVAL, "invalid ulimit argument: %s", s);
  if ((u->resource = strtab_index(rlimit_names, s, eq - s, 0)) < 0) return fail(EINVAL, "invalid ulimit type: %.*s", (int)(eq - s), s);
  u->name = strtab_at(rlimit_names, u->resource);
  colon = strchr(eq + 1, ':');
  if (colon && strchr(colon + 1, ':'))
    return fail(EINVAL, "too many limit value arguments - %s, can only have up to two, `soft[:hard]`", eq + 1);
  soft = colon ? xstrndup(eq + 1, colon - eq - 1) : xstrdup(eq + 1);
  rc = limit_value(soft, &u->soft);
  free(soft);
  if (rc < 0 || (colon ? limit_value(colon + 1, &u->hard) : (u->hard = u->soft, 0)) < 0) return -1;
  if (u->soft > u->hard)
    return fail(EINVAL, "ulimit soft limit must be less than or equal to hard limit: %lld > %lld", u->soft, u->hard);
  return 0;
}

// In the container's process, from HostConfig.Ulimits; -1 + why.
int ulimits_apply(const struct json *list)
{
  for (const struct json *e = list && list->type == JSON_ARRAY ? list->child : 0; e; e = e->next) {
    const char *name = json_get_str(e, "Name");
    long long soft, hard;
    int res = name ? strtab_index(rlimit_names, name, strlen(name), 0) : -1;
    if (res < 0 || json_int(json_get(e, "Soft"), &soft) || json_int(json_get(e, "Hard"), &hard)) continue;
    struct rlimit rl = {soft < 0 ? RLIM_INFINITY : (rlim_t)soft, hard < 0 ? RLIM_INFINITY : (rlim_t)hard}, cur;
    if (setrlimit(res, &rl)) {
      int err = errno;
      getrlimit(res, &cur);
      if (err == EPERM && rl.rlim_max > cur.rlim_max)
        return fail(err, "setting ulimit %s: hard limit %lld is above this host's (%llu): raising it needs CAP_SYS_RESOURCE",
                    name, hard, (unsigned long long)cur.rlim_max);
      return fail(err, "setting ulimit %s: %s", name, strerror(err));
    }
  }
  return 0;
}
