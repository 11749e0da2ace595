// policy.c: restart policies (--restart no|always|unless-stopped|
// on-failure[:N]) with Docker's rules: the grammar and its messages,
// whether an exit calls for a restart, the back-off between restarts, and
// the "stopped by hand" mark that stop and kill leave for the supervisor.
#include "ocibox.h"
#include <ctype.h>

int policy_parse(const char *s, char name[16], int *max)
{
  const char *colon = strchr(s, ':');
  size_t n = colon ? (size_t)(colon - s) : strlen(s);
  char *end;

  *max = 0;
  if (colon && !n) return fail(EINVAL, "invalid restart policy format: no policy provided before colon");
  if (colon && colon[1]) {
    *max = strtol(colon + 1, &end, 10);
    if (*end || (!isdigit(colon[1]) && colon[1] != '-'))
      return fail(EINVAL, "invalid restart policy format: maximum retry count must be an integer");
  }
  snprintf(name, 16, "%.*s", (int)n, s);
  if (n > 15 || (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
                 strcmp(name, "on-failure") && *name))
    return fail(EINVAL, "invalid restart policy: unknown policy '%.*s'; use one of 'no', 'always', "
                "'on-failure', or 'unless-stopped'", (int)n, s);
  if (*max && strcmp(name, "on-failure"))
    return fail(EINVAL, "invalid restart policy: maximum retry count can only be used with 'on-failure'");
  if (*max < 0) return fail(EINVAL, "invalid restart policy: maximum retry count cannot be negative");
  if (!*name) strcpy(name, "no");
  return 0;
}

// containers/<id>/stopped: present while a stop or kill by hand holds.
int policy_mark_stopped(struct store *st, const char *id, int on)
{
  char path[96];
  snprintf(path, sizeof(path), "containers/%s/stopped", id);
  if (!on) return unlinkat(st->fd, path, 0) && errno != ENOENT ? -1 : 0;
  int fd = openat(st->fd, path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  return fd < 0 ? fail(errno, "%s: %s", path, strerror(errno)) : 0;
}

int policy_stopped(struct store *st, const char *id)
{
  char path[96];
  snprintf(path, sizeof(path), "containers/%s/stopped", id);
  return exists_at(st->fd, path);
}

// Docker's restart manager: always and unless-stopped restart whatever the
// code, on-failure on a non-zero code (at most N times when N is set);
// never after a stop by hand. The config is read afresh: update may have
// changed the policy meanwhile.
int policy_should_restart(struct store *st, const char *id, int exit_code, int count)
{
  char path[96], *text;
  size_t len;
  struct json_err err;
  struct json *j;
  int yes = 0;
  long long max = 0;

  if (policy_stopped(st, id)) return 0;
  snprintf(path, sizeof(path), "containers/%s/config.json", id);
  if (readfile_at(st->fd, path, 1 << 20, &text, &len) < 0) return 0;
  j = json_parse(text, len, &err);
  free(text);
  struct json *p = json_get(json_get(j, "HostConfig"), "RestartPolicy");
  const char *name = json_get_str(p, "Name");
  json_int(json_get(p, "MaximumRetryCount"), &max);
  if (name && (!strcmp(name, "always") || !strcmp(name, "unless-stopped"))) yes = 1;
  if (name && !strcmp(name, "on-failure")) yes = exit_code && (!max || count < max);
  json_free(j);
  return yes;
}

// The wait before restart number count (1, 2, ...): 100 ms doubling up to
// a minute, from 100 ms again when the last run lasted 10 s. Returns 0 if
// a stop by hand came meanwhile.
int policy_backoff(struct store *st, const char *id, int *delay_ms, int64_t ran_ms)
{
  *delay_ms = ran_ms >= 10000 || !*delay_ms ? 100 : *delay_ms * 2;
  if (*delay_ms > 60000) *delay_ms = 60000;
  for (int slept = 0; slept < *delay_ms; slept += 50) {
    if (policy_stopped(st, id)) return 0;
    usleep(50000);
  }
  return !policy_stopped(st, id);
}
