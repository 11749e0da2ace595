// seccomp.c: the syscall filter of every container process: what Docker's
// default profile refuses to a container without CAP_SYS_ADMIN (module
// and kexec loading, keyrings, bpf, perf, mount and namespace calls,
// clock and swap changes, ...) gets EPERM; so does another ABI than the
// native one (x32 or i386 through int 0x80), which would dodge the list.
#include "ocibox.h"
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

static const unsigned short denied[] = {
  SYS_acct, SYS_add_key, SYS_bpf, SYS_clock_adjtime, SYS_clock_settime, SYS_delete_module,
  SYS_finit_module, SYS_fsconfig, SYS_fsmount, SYS_fsopen, SYS_fspick, SYS_init_module,
  SYS_kcmp, SYS_kexec_file_load, SYS_kexec_load, SYS_keyctl, SYS_lookup_dcookie, SYS_mount,
  SYS_move_mount, SYS_name_to_handle_at, SYS_open_by_handle_at, SYS_open_tree, SYS_perf_event_open,
  SYS_pivot_root, SYS_process_vm_readv, SYS_process_vm_writev, SYS_quotactl, SYS_reboot,
  SYS_request_key, SYS_setns, SYS_settimeofday, SYS_swapoff, SYS_swapon, SYS_syslog, SYS_umount2,
  SYS_unshare, SYS_userfaultfd,
#ifdef __x86_64__
  SYS_create_module, SYS_get_kernel_syms, SYS_ioperm, SYS_iopl, SYS_nfsservctl,
  SYS_query_module, SYS_sysfs, SYS__sysctl, SYS_uselib, SYS_ustat,
#endif
};

int seccomp_apply(void)
{
#ifdef NATIVE_ARCH
  enum { HEAD = 5, N = ARRAY_LEN(denied) };
  struct sock_filter f[HEAD + N + 2] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40000000, N + 1, 0),  // x32
  };
  // Each match jumps over the rest and the ALLOW to the final EPERM.
  for (size_t i = 0; i < N; i++)
    f[HEAD + i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, denied[i], N - i, 0);
  f[HEAD + N] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[HEAD + N + 1] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM);
  struct sock_fprog prog = {.len = ARRAY_LEN(f), .filter = f};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) return fail(errno, "seccomp: %s", strerror(errno));
#endif
  return 0;
}
