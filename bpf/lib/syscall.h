/*
 * Syscalls on x86_64: their numbers, and the syscall a task is in, read
 * from the registers it saved on entry (the default hook set's programs
 * run inside the syscall, not at its tracepoints).
 */
#pragma once

#include "common.h"

/* x86_64 syscall numbers. */
#define NR_dup 32
#define NR_dup2 33
#define NR_connect 42
#define NR_accept 43
#define NR_bind 49
#define NR_listen 50
#define NR_open 2
#define NR_rename 82
#define NR_rmdir 84
#define NR_creat 85
#define NR_unlink 87
#define NR_chmod 90
#define NR_fchmod 91
#define NR_ptrace 101
#define NR_setuid 105
#define NR_setgid 106
#define NR_setreuid 113
#define NR_setregid 114
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_setfsuid 122
#define NR_setfsgid 123
#define NR_chroot 161
#define NR_mount 165
#define NR_umount2 166
#define NR_init_module 175
#define NR_openat 257
#define NR_unlinkat 263
#define NR_renameat 264
#define NR_fchmodat 268
#define NR_unshare 272
#define NR_accept4 288
#define NR_dup3 292
#define NR_setns 308
#define NR_finit_module 313
#define NR_renameat2 316
#define NR_memfd_create 319
#define NR_bpf 321
#define NR_openat2 437
#define NR_fchmodat2 452

#define PF_KTHREAD 0x00200000

/* task_regs returns the user registers a task saved on syscall entry. */
static __always_inline struct pt_regs *task_regs(struct task_struct *t)
{
	return (struct pt_regs *)bpf_task_pt_regs(t);
}

/* task_nr returns the (x86-64) syscall the current task is in, or 0 for a kernel thread or a 32-bit call. */
static __always_inline long task_nr(struct task_struct *t)
{
	if (t->flags & PF_KTHREAD || t->thread_info.status & TS_COMPAT)
		return 0;
	return task_regs(t)->orig_ax;
}
