// docker-init.c: the init of `run --init`: pid 1 in the container runs the
// command as its child, passes it every signal it is sent and reaps the
// orphans that end up with pid 1, then exits with the command's status
// (what Docker's docker-init, tini, does). run execs ocibox itself under
// this name, so the image needs nothing.
//
//applet:docker-init "^"
//config:config DOCKER_INIT
//config:	bool "docker-init: the init of run --init"
//config:	default y
//config:	depends on RUN
//config:	help
//config:	  usage: docker-init [--] COMMAND [ARG...]
//config:
//config:	  Run COMMAND as a child, forward signals to it, reap zombies, and
//config:	  exit with its status (128+N when signal N ended it).

#include "ocibox.h"
#include <signal.h>
#include <sys/wait.h>

void docker_init_main(void)
{
  sigset_t all, old;
  pid_t child;
  int status;

  if (!applet.argc) error_exit("no command given");
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  if ((child = fork()) < 0) perror_exit("fork");
  if (!child) {
    // Its own process group, in the terminal's foreground: ^C goes to it
    // alone, not to it and again through us.
    setpgid(0, 0);
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(0, getpid());
    signal(SIGTTOU, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, 0);
    execvp(applet.argv[0], applet.argv);
    int err = errno;
    error_msg("exec %s failed: %s", applet.argv[0], strerror(err));
    _exit(err == ENOENT ? 127 : err == EACCES ? 126 : 1);
  }
  for (;;) {
    int sig = sigwaitinfo(&all, 0);
    if (sig != SIGCHLD) {
      if (sig > 0) kill(child, sig);
      continue;
    }
    for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;)
      if (p == child) {
        applet.exitval = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        xexit();
      }
  }
}
