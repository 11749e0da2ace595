// syscalls: what a container may call: keyctl (Docker's profile refuses
// it) and getpid (anyone may); prints "NAME ok" or "NAME errno-name".
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *name, long rc)
{
  printf("%s %s\n", name, rc >= 0 ? "ok" : errno == EPERM ? "EPERM" : strerror(errno));
}

int main(void)
{
  show("getpid", syscall(SYS_getpid));
  show("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1));
  return 0;
}
