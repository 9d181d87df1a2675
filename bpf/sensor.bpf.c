//go:build ignore

/*
 * The runtime sensor's kernel side.
 *
 * Always: scheduler tracepoints for exec, fork and exit.
 * Default hook set (no syscall tracepoint): cgroup sock_addr programs for
 * connect and bind, inet_sock_set_state for listen and accept, and
 * cap_capable for privileged syscalls (read from the task's saved
 * registers at their capability check).
 * Syscall-tracepoint hook set: one sys_exit hook that reports every watched
 * syscall with its return value.
 * Every tracepoint hook has a tp_btf and a raw_tp version sharing one body.
 *
 * This file is the one translation unit bpf2go compiles: it includes the
 * headers of bpf/lib, which hold the programs' bodies by concern, and
 * defines every program (SEC) the Go loader attaches by name.
 *   lib/events.h   record layout shared with the Go decoder
 *   lib/common.h   maps, record header, string writers, task fields
 *   lib/path.h     paths of dentries and open files
 *   lib/cgroup.h   cgroup and root directory paths (attribution)
 *   lib/syscall.h  x86_64 syscall numbers, a task's saved registers
 *   lib/process.h  exec, fork, exit and cgroup records
 *   lib/file.h     open, rename, unlink, chmod (sys_exit)
 *   lib/net.h      connect, accept, bind, listen, dup (sys_exit),
 *                  sock_addr programs, inet_sock_set_state
 *   lib/priv.h     ptrace, set*id, mount, chroot, unshare, setns, module,
 *                  bpf, memfd (sys_exit), cap_capable
 */

#include "lib/common.h"
#include "lib/path.h"
#include "lib/cgroup.h"
#include "lib/syscall.h"
#include "lib/process.h"
#include "lib/file.h"
#include "lib/net.h"
#include "lib/priv.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Make the record types visible to bpf2go. */
struct record_types {
	struct event_header h;
	struct exec_body exec;
	struct fork_body fork;
	struct exit_body exit;
	struct file_body file;
	struct net_body net;
	struct sys_body sys;
	struct cgroup_body cgroup;
	struct host_ns host;
	struct name_key key;
	struct open_key open_key;
	struct cap_call cap_call;
	struct listen_key listen_key;
	struct listen_owner listener;
	struct net_key net_key;
	enum event_kind kind;
	enum event_flag event_flag;
	enum path_flag path_flag;
	enum exec_flag exec_flag;
	enum cgroup_op cgroup_op;
	enum fd_type fd_type;
};
const struct record_types *unused_record_types __attribute__((unused));

/* ---- syscalls ---- */

/* on_sys_exit reports a watched syscall as it returns: files (file.h), sockets (net.h), privileged calls and memfd (priv.h). */
static __always_inline int on_sys_exit(void *raw_regs, long ret)
{
	struct pt_regs *regs = kcast(raw_regs, struct pt_regs);
	long nr = regs->orig_ax;
	int class;
	switch (nr) {
	case NR_open:
	case NR_openat:
	case NR_creat:
	case NR_openat2:
		class = 0;
		break;
	case NR_rename:
	case NR_renameat:
	case NR_renameat2:
	case NR_unlink:
	case NR_unlinkat:
	case NR_rmdir:
	case NR_chmod:
	case NR_fchmod:
	case NR_fchmodat:
	case NR_fchmodat2:
		class = 1;
		break;
	case NR_connect:
	case NR_accept:
	case NR_accept4:
	case NR_bind:
	case NR_listen:
	case NR_dup:
	case NR_dup2:
	case NR_dup3:
		class = 2;
		break;
	case NR_ptrace:
	case NR_memfd_create:
	case NR_setuid:
	case NR_setgid:
	case NR_setreuid:
	case NR_setregid:
	case NR_setresuid:
	case NR_setresgid:
	case NR_setfsuid:
	case NR_setfsgid:
	case NR_mount:
	case NR_umount2:
	case NR_chroot:
	case NR_unshare:
	case NR_setns:
	case NR_init_module:
	case NR_finit_module:
	case NR_bpf:
		class = 3;
		break;
	default:
		return 0;
	}
	struct task_struct *t = bpf_get_current_task_btf();
	if (t->thread_info.status & TS_COMPAT)
		return 0;
	switch (class) {
	case 0:
		return on_open(regs, t, nr, ret);
	case 1:
		return on_file_op(regs, t, nr, ret);
	case 2:
		return on_net(regs, t, nr, ret);
	default: {
		__u16 kind = sys_kind(regs, nr);
		if (!kind)
			return 0;
		return on_sys(regs, t, nr, kind, ret, 0);
	}
	}
}

/* ---- default hook set: privileged syscalls at their capability check ---- */

SEC("tp_btf/cap_capable")
int tp_cap(__u64 *ctx)
{
	return on_cap();
}

SEC("raw_tp/cap_capable")
int raw_cap(__u64 *ctx)
{
	return on_cap();
}

/* ---- default hook set: connect and bind from cgroup sock_addr programs ---- */

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	return on_sock_addr(ctx, EV_CONNECT, AF_INET);
}

SEC("cgroup/connect6")
int sock_connect6(struct bpf_sock_addr *ctx)
{
	return on_sock_addr(ctx, EV_CONNECT, AF_INET6);
}

SEC("cgroup/connect_unix")
int sock_connect_unix(struct bpf_sock_addr *ctx)
{
	return on_sock_addr(ctx, EV_CONNECT, AF_UNIX);
}

SEC("cgroup/bind4")
int sock_bind4(struct bpf_sock_addr *ctx)
{
	return on_sock_addr(ctx, EV_BIND, AF_INET);
}

SEC("cgroup/bind6")
int sock_bind6(struct bpf_sock_addr *ctx)
{
	return on_sock_addr(ctx, EV_BIND, AF_INET6);
}

/* ---- default hook set: listen and accept from TCP state changes ---- */

SEC("tp_btf/inet_sock_set_state")
int tp_sock_state(__u64 *ctx)
{
	return on_sock_state((void *)ctx[0], ctx[1], ctx[2]);
}

SEC("raw_tp/inet_sock_set_state")
int raw_sock_state(__u64 *ctx)
{
	return on_sock_state((void *)ctx[0], ctx[1], ctx[2]);
}

/* ---- syscall-tracepoint hook set ---- */

SEC("tp_btf/sys_exit")
int tp_sys_exit(__u64 *ctx)
{
	return on_sys_exit((void *)ctx[0], ctx[1]);
}

SEC("raw_tp/sys_exit")
int raw_sys_exit(__u64 *ctx)
{
	return on_sys_exit((void *)ctx[0], ctx[1]);
}

/* ---- scheduler events ---- */

SEC("tp_btf/sched_process_exec")
int tp_exec(__u64 *ctx)
{
	return on_exec((void *)ctx[2]);
}

SEC("raw_tp/sched_process_exec")
int raw_exec(__u64 *ctx)
{
	return on_exec((void *)ctx[2]);
}

SEC("tp_btf/sched_process_fork")
int tp_fork(__u64 *ctx)
{
	return on_fork((void *)ctx[1]);
}

SEC("raw_tp/sched_process_fork")
int raw_fork(__u64 *ctx)
{
	return on_fork((void *)ctx[1]);
}

SEC("tp_btf/sched_process_exit")
int tp_exit(__u64 *ctx)
{
	return on_exit(ctx[1]);
}

SEC("raw_tp/sched_process_exit")
int raw_exit(__u64 *ctx)
{
	return on_exit(ctx[1]);
}

/* ---- cgroups ---- */

SEC("tp_btf/cgroup_mkdir")
int tp_cgroup_mkdir(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], NULL, CG_MKDIR);
}

SEC("raw_tp/cgroup_mkdir")
int raw_cgroup_mkdir(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], NULL, CG_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int tp_cgroup_rmdir(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], NULL, CG_RMDIR);
}

SEC("raw_tp/cgroup_rmdir")
int raw_cgroup_rmdir(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], NULL, CG_RMDIR);
}

SEC("tp_btf/cgroup_attach_task")
int tp_cgroup_attach(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], (void *)ctx[2], CG_ATTACH);
}

SEC("raw_tp/cgroup_attach_task")
int raw_cgroup_attach(__u64 *ctx)
{
	return on_cgroup((void *)ctx[0], (void *)ctx[2], CG_ATTACH);
}

SEC("tp_btf/signal_generate")
int tp_signal(__u64 *ctx)
{
	return on_signal((int)ctx[0], (void *)ctx[1], (void *)ctx[2]);
}

SEC("raw_tp/signal_generate")
int raw_signal(__u64 *ctx)
{
	return on_signal((int)ctx[0], (void *)ctx[1], (void *)ctx[2]);
}

/* Never attached: run once by user space (BPF_PROG_TEST_RUN). */
SEC("raw_tp/host_ns")
int find_host_ns(void *ctx)
{
	return read_host_ns();
}
