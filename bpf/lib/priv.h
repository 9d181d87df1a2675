/*
 * Privileged syscalls (ptrace, set*id, mount, umount2, chroot, unshare,
 * setns, init_module, finit_module, bpf) and memfd_create: the record of
 * each (on_sys) from the registers the task saved at entry, reported at
 * sys_exit (syscall-tracepoint hook set) or, without memfd_create, at the
 * call's capability check (cap_capable, default hook set).
 */
#pragma once

#include "common.h"
#include "path.h"
#include "syscall.h"

#define BPF_PROG_LOAD 5

/* The last privileged syscall reported from a capability check of a thread. */
struct cap_call {
	__u64 args[6];
	__u64 at; /* boot ns */
	__u32 nr;
	__u32 pad;
};

/* cap_seen[tid] suppresses the further capability checks of one syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct cap_call);
} cap_seen SEC(".maps");

/* A capability check repeating a thread's syscall and arguments within this many ns is the same call. */
volatile const __u64 entry_dedup_ns = 0;

/* ---- syscalls: privileged calls and memfd (sys_exit and cap_capable) ---- */

#define PTRACE_POKETEXT 4
#define PTRACE_POKEDATA 5
#define PTRACE_POKEUSER 6
#define PTRACE_SETREGS 13
#define PTRACE_SETFPREGS 15
#define PTRACE_ATTACH 16
#define PTRACE_SETREGSET 0x4205
#define PTRACE_SEIZE 0x4206

/* sys_kind returns the record kind of a watched privileged or memfd syscall, or 0. */
static __always_inline __u16 sys_kind(struct pt_regs *regs, long nr)
{
	switch (nr) {
	case NR_ptrace:
		switch (regs->di) {
		case PTRACE_POKETEXT:
		case PTRACE_POKEDATA:
		case PTRACE_POKEUSER:
		case PTRACE_SETREGS:
		case PTRACE_SETFPREGS:
		case PTRACE_ATTACH:
		case PTRACE_SETREGSET:
		case PTRACE_SEIZE:
			return EV_PTRACE;
		}
		return 0;
	case NR_memfd_create:
		return EV_MEMFD;
	case NR_mount:
		return EV_MOUNT;
	case NR_umount2:
		return EV_UMOUNT;
	case NR_chroot:
		return EV_CHROOT;
	case NR_unshare:
		return EV_UNSHARE;
	case NR_setns:
		return EV_SETNS;
	case NR_init_module:
	case NR_finit_module:
		return EV_MODULE;
	case NR_bpf:
		return regs->di == BPF_PROG_LOAD ? EV_BPF : 0;
	case NR_setuid:
	case NR_setgid:
	case NR_setreuid:
	case NR_setregid:
	case NR_setresuid:
	case NR_setresgid:
	case NR_setfsuid:
	case NR_setfsgid:
		return EV_SETID;
	}
	return 0;
}

/* on_sys reports a privileged or memfd syscall from its saved registers. */
static __always_inline int on_sys(struct pt_regs *regs, struct task_struct *t, long nr, __u16 kind, long ret, __u32 flags)
{
	__u8 *b = begin(t, kind, nr, ret);
	if (!b)
		return 0;
	((struct event_header *)b)->flags = flags;
	struct sys_body *sb = (void *)(b + HDR);
	sb->args[0] = regs->di;
	sb->args[1] = regs->si;
	sb->args[2] = regs->dx;
	sb->args[3] = regs->r10;
	sb->args[4] = regs->r8;
	sb->args[5] = regs->r9;
	sb->aux = 0;
	sb->aux2 = 0;
	__u32 pflags = 0;
	__u32 off = HDR + sizeof(*sb);
	switch (kind) {
	case EV_MEMFD:
		off = put_ustr(b, off, (void *)regs->di, 256);
		break;
	case EV_MOUNT:
		off = put_ustr(b, off, (void *)regs->di, 256);
		off = put_at_path(b, off, t, AT_FDCWD, (void *)regs->si, &pflags, 0);
		off = put_ustr(b, off, (void *)regs->dx, 64);
		break;
	case EV_UMOUNT:
	case EV_CHROOT:
		off = put_at_path(b, off, t, AT_FDCWD, (void *)regs->di, &pflags, 0);
		break;
	case EV_SETNS: {
		struct file *f = fd_file(t, (int)regs->di);
		if (f)
			sb->aux = f->f_inode->i_ino;
		break;
	}
	case EV_MODULE:
		if (nr == NR_finit_module) {
			struct file *f = fd_file(t, (int)regs->di);
			off = put_empty(b, off);
			if (f)
				off = put_file_path(b, off, f, &pflags, 0);
			else
				off = put_empty(b, off);
		}
		break;
	case EV_BPF: {
		__u8 attr[72] = {};
		bpf_probe_read_user(attr, sizeof(attr), (void *)regs->si);
		sb->aux = *(__u32 *)attr | (__u64) * (__u32 *)(attr + 4) << 32;
		sb->aux2 = *(__u32 *)(attr + 68);
		__u32 o = at(off + 2);
		__builtin_memcpy(b + o, attr + 48, 16);
		__u32 n = 0;
		for (; n < 15; n++)
			if (!attr[48 + n])
				break;
		put_u16(b, off, n);
		off += 2 + n;
		break;
	}
	}
	sb->path_flags = pflags;
	submit(b, off, kind);
	return 0;
}

/* ---- default hook set: privileged syscalls at their capability check ---- */

/* cap_repeated reports whether this capability check belongs to a syscall already reported. */
static __always_inline int cap_repeated(struct pt_regs *regs, long nr, __u16 kind, __u32 tid)
{
	struct cap_call c = {
		.args = {regs->di, regs->si, regs->dx, regs->r10, regs->r8, regs->r9},
		.at = bpf_ktime_get_boot_ns(),
		.nr = nr,
	};
	struct cap_call *last = bpf_map_lookup_elem(&cap_seen, &tid);
	if (last && last->nr == c.nr && c.at - last->at < entry_dedup_ns && last->args[0] == c.args[0] &&
	    last->args[1] == c.args[1] && last->args[2] == c.args[2] && last->args[3] == c.args[3] &&
	    last->args[4] == c.args[4] && last->args[5] == c.args[5]) {
		__u32 k = kind;
		__u64 *n = bpf_map_lookup_elem(&suppressed, &k);
		if (n)
			(*n)++;
		return 1;
	}
	bpf_map_update_elem(&cap_seen, &tid, &c, BPF_ANY);
	return 0;
}

/*
 * on_cap runs at every capability check. Inside a watched privileged
 * syscall it reports that syscall once, from the registers saved at entry.
 */
static __always_inline int on_cap(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->flags & PF_KTHREAD)
		return 0;
	struct pt_regs *regs = task_regs(t);
	long nr = regs->orig_ax;
	switch (nr) {
	case NR_ptrace:
	case NR_setuid:
	case NR_setgid:
	case NR_setreuid:
	case NR_setregid:
	case NR_setresuid:
	case NR_setresgid:
	case NR_setfsuid:
	case NR_setfsgid:
	case NR_chroot:
	case NR_mount:
	case NR_umount2:
	case NR_init_module:
	case NR_unshare:
	case NR_setns:
	case NR_finit_module:
	case NR_bpf:
		break;
	default:
		return 0;
	}
	if (t->thread_info.status & TS_COMPAT)
		return 0;
	__u16 kind = sys_kind(regs, nr);
	if (!kind)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (ignored(pid_tgid >> 32) || cap_repeated(regs, nr, kind, (__u32)pid_tgid))
		return 0;
	return on_sys(regs, t, nr, kind, 0, EVF_ENTRY);
}

/*
 * on_signal sees PTRACE_ATTACH without a syscall hook: the stop signal
 * ptrace_attach sends its new tracee, once the tracee is linked to the
 * tracer (the current task), from the kernel (SEND_SIG_PRIV). It reports
 * the ptrace call from the tracer's saved registers, unless cap_capable
 * already did. PTRACE_SEIZE sends no signal and is not seen here.
 */
#define SIGSTOP 19
#define PT_PTRACED 1
static __always_inline int on_signal(int sig, void *info, struct task_struct *task)
{
	if (sig != SIGSTOP || (__u64)info != 1)
		return 0;
	task = kcast(task, struct task_struct);
	if (!task || !(task->ptrace & PT_PTRACED))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	if ((__u64)task->parent != (__u64)t || t->flags & PF_KTHREAD)
		return 0;
	struct pt_regs *regs = task_regs(t);
	long nr = regs->orig_ax;
	if (nr != NR_ptrace || t->thread_info.status & TS_COMPAT)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (ignored(pid_tgid >> 32) || cap_repeated(regs, nr, EV_PTRACE, (__u32)pid_tgid))
		return 0;
	return on_sys(regs, t, nr, EV_PTRACE, 0, 0);
}
