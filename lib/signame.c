// signame.c: signal names as Docker accepts them: "KILL", "SIGKILL", "9".
#include "ocibox.h"
#include <signal.h>

static const struct { const char *name; int sig; } sigs[] = {
  {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL}, {"TRAP", SIGTRAP},
  {"ABRT", SIGABRT}, {"BUS", SIGBUS}, {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1},
  {"SEGV", SIGSEGV}, {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
  {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
  {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG}, {"XCPU", SIGXCPU},
  {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
  {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
};

int signal_parse(const char *s)
{
  char *end;
  long n = strtol(s, &end, 10);

  if (*s && !*end) return n > 0 && n < 65 ? (int)n : fail(EINVAL, "Invalid signal: %s", s);
  if (!strncasecmp(s, "SIG", 3)) s += 3;
  for (size_t i = 0; i < ARRAY_LEN(sigs); i++)
    if (!strcasecmp(s, sigs[i].name)) return sigs[i].sig;
  if (!strncasecmp(s, "RTMIN+", 6) && (n = strtol(s + 6, &end, 10)) >= 0 && !*end && SIGRTMIN + n <= SIGRTMAX)
    return SIGRTMIN + n;
  return fail(EINVAL, "Invalid signal: %s", s);
}
