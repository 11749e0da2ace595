// runtime.c: the parent's side of starting a container: one clone() into
// new mount, pid, uts, ipc (and net) namespaces, a go-ahead pipe, and an
// error pipe that reports why the child could not exec.
#include "ocibox.h"
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int container_spawn(struct run_spec *rs, struct spawn *sp)
{
  int errp[2], syncp[2];
  long flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;

  if (!rs->net_host) flags |= CLONE_NEWNET;
  if (pipe2(errp, O_CLOEXEC) || pipe2(syncp, O_CLOEXEC)) return fail(errno, "pipe: %s", strerror(errno));
  fflush(0);
  // fork() semantics with namespaces: the raw syscall, no new stack.
  pid_t pid = syscall(SYS_clone, flags, 0, 0, 0, 0);
  if (pid < 0) {
    int e = errno;
    close(errp[0]), close(errp[1]), close(syncp[0]), close(syncp[1]);
    return fail(e, "clone: %s", strerror(e));
  }
  if (!pid) {
    close(errp[0]);
    close(syncp[1]);
    rs->err_fd = errp[1];
    rs->sync_fd = syncp[0];
    signal(SIGPIPE, SIG_DFL);
    if (rs->stdin_null) {
      int null = open("/dev/null", O_RDONLY);
      if (null > 0) dup2(null, 0), close(null);
    }
    container_init(rs);
  }
  close(errp[1]);
  close(syncp[0]);
  sp->pid = pid;
  sp->err_rd = errp[0];
  sp->sync_wr = syncp[1];
  return 0;
}

int container_go(struct spawn *sp)
{
  char msg[1024];
  ssize_t n;
  int code;

  if (write(sp->sync_wr, "g", 1) != 1) {}
  close(sp->sync_wr);
  n = readall(sp->err_rd, msg, sizeof(msg) - 1);
  close(sp->err_rd);
  if (n <= 0) return 0;  // the pipe closed on exec
  msg[n] = 0;
  code = atoi(msg);
  fail(EIO, "%s", strchrnul(msg, ' ') + !!*strchrnul(msg, ' '));
  return code ? code : 125;
}
