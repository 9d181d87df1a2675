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
 */
#include "lib/common.h"
#include "lib/path.h"
#include "lib/cgroup.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

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

#define O_ACCMODE 3
#define O_CREAT 0100
#define O_TRUNC 01000
#define AT_REMOVEDIR 0x200

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
#define CGROUP_SUPER_MAGIC 0x27e0eb
#define CGROUP2_SUPER_MAGIC 0x63677270
#define DEBUGFS_MAGIC 0x64626720
#define TRACEFS_MAGIC 0x74726163

#define BPF_PROG_LOAD 5

/* A basename (NUL-padded) whose read-only opens are reported. */
struct name_key {
	char name[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct name_key);
	__type(value, __u8);
} sensitive_names SEC(".maps");

/* A process's write-open of one file, for suppressing repeats. */
struct open_key {
	__u64 ino;
	__u32 dev;
	__u32 tgid;
	__u32 flags;
	__u32 pad;
};

/* open_seen[key] is when that write-open was last reported (boot ns). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct open_key);
	__type(value, __u64);
} open_seen SEC(".maps");

/* A write-open repeated within this many ns is not reported again; 0 reports every one. */
volatile const __u64 open_dedup_ns = 0;

/* suppressed[kind] counts records not sent because they repeated a recent one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} suppressed SEC(".maps");

/* repeated reports whether this write-open repeats one reported less than open_dedup_ns ago. */
static __always_inline int repeated(struct inode *inode, __u32 flags)
{
	if (!open_dedup_ns)
		return 0;
	struct open_key k = {
		.ino = inode->i_ino,
		.dev = inode->i_sb->s_dev,
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.flags = flags & (O_ACCMODE | O_CREAT | O_TRUNC),
	};
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 *last = bpf_map_lookup_elem(&open_seen, &k);
	if (last && now - *last < open_dedup_ns) {
		__u32 kind = EV_OPEN;
		__u64 *c = bpf_map_lookup_elem(&suppressed, &kind);
		if (c)
			(*c)++;
		return 1;
	}
	bpf_map_update_elem(&open_seen, &k, &now, BPF_ANY);
	return 0;
}

/* A process's connection to one peer (connect: the remote address and port; accept: the remote address and the local port). */
struct net_key {
	__u8 addr[16];
	__u32 tgid;
	__u16 port;
	__u16 kind;
	__u16 family;
	__u16 pad[3];
};

/* net_seen[key] is when that connection was last reported (boot ns). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct net_key);
	__type(value, __u64);
} net_seen SEC(".maps");

/* A connection repeated within this many ns is not reported again; 0 reports every one. */
volatile const __u64 net_dedup_ns = 0;

/* net_repeated reports whether connection k repeats one reported less than net_dedup_ns ago, counting it. */
static __always_inline int net_repeated(struct net_key *k)
{
	if (!net_dedup_ns)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	__u64 *last = bpf_map_lookup_elem(&net_seen, k);
	if (last && now - *last < net_dedup_ns) {
		__u32 kind = k->kind;
		__u64 *c = bpf_map_lookup_elem(&suppressed, &kind);
		if (c)
			(*c)++;
		return 1;
	}
	bpf_map_update_elem(&net_seen, k, &now, BPF_ANY);
	return 0;
}

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

/* Where a listening socket accepts: its netns, port and local address. */
struct listen_key {
	__u8 addr[16]; /* IPv6, or IPv4 as ::ffff:a.b.c.d; all zero for any address */
	__u32 netns;
	__u16 port;
	__u16 pad;
};

/* The process that made a socket listen, as a record header, and the socket. */
struct listen_owner {
	struct event_header h;
	__u64 sk;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct listen_key);
	__type(value, struct listen_owner);
} listeners SEC(".maps");

/* Bit n is set when some sensitive name is n bytes long. */
volatile const __u64 sensitive_len_mask = 0;

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

#define HDR sizeof(struct event_header)

/* begin returns the scratch buffer with the header filled, or NULL when the task is ignored. */
static __always_inline __u8 *begin(struct task_struct *t, __u16 kind, __u16 nr, long ret)
{
	if (ignored(bpf_get_current_pid_tgid() >> 32))
		return NULL;
	__u8 *b = scratch_buf();
	if (!b)
		return NULL;
	fill_header((void *)b, t, kind, nr, ret);
	return b;
}

/* ---- scheduler events ---- */

static __always_inline int on_exec(struct linux_binprm *bprm)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 *b = begin(t, EV_EXEC, 0, 0);
	if (!b)
		return 0;
	struct exec_body *e = (void *)(b + HDR);
	__builtin_memset(e, 0, sizeof(*e));
	struct mm_struct *mm = t->mm;
	struct file *exe = mm->exe_file;
	__u32 pflags = 0;
	if (exe) {
		struct inode *inode = exe->f_inode;
		e->ino = inode->i_ino;
		e->dev = inode->i_sb->s_dev;
		e->mtime_sec = inode->i_mtime_sec;
		e->mtime_nsec = inode->i_mtime_nsec;
		e->ctime_sec = inode->i_ctime_sec;
		e->ctime_nsec = inode->i_ctime_nsec;
		e->nlink = inode->__i_nlink;
		e->mode = inode->i_mode;
	}
	__u64 astart = mm->arg_start, aend = mm->arg_end;
	__u64 alen = aend > astart ? aend - astart : 0;
	e->args_len = alen;
	fd_fill(&e->stdio[0], t, 0);
	fd_fill(&e->stdio[1], t, 1);
	fd_fill(&e->stdio[2], t, 2);

	__u32 off = HDR + sizeof(*e);
	off = put_kstr(b, off, kcast(bprm, struct linux_binprm)->filename, 1024);
	if (exe)
		off = put_path(b, off, &exe->f_path, &pflags, 0);
	else
		off = put_empty(b, off);
	__u32 n = alen < STR_MAX ? alen : STR_MAX - 1;
	n = room(off, n);
	if (alen > n)
		pflags |= EXEC_ARGS_TRUNCATED;
	n &= STR_MAX - 1;
	if (bpf_probe_read_user(b + at(off + 2), n, (void *)astart) < 0)
		n = 0;
	put_u16(b, off, n);
	off += 2 + n;
	struct fs_struct *fs = t->fs;
	off = put_path(b, off, &fs->pwd, &pflags, 8);
	e->flags = pflags;

	/* What attributes the process: its cgroups and its root. */
	__u32 aflags = 0;
	struct css_set *cs = t->cgroups;
	off = put_cgroup(b, off, cs->dfl_cgrp, &aflags, 0);
	struct cgroup *v1 = v1_cgroup(cs);
	if (v1) {
		e->v1_cgroup_id = v1->kn->id;
		e->v1_hierarchy = v1->root->hierarchy_id;
		off = put_cgroup(b, off, v1, &aflags, 8);
	} else {
		off = put_empty(b, off);
	}
	e->root_dev = fs->root.dentry->d_sb->s_dev;
	off = put_root(b, off, &fs->root, &aflags, 16);
	e->attr_flags = aflags;
	submit(b, off, EV_EXEC);
	return 0;
}

static __always_inline int on_fork(struct task_struct *child)
{
	child = kcast(child, struct task_struct);
	if (child->pid != child->tgid)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 *b = begin(t, EV_FORK, 0, 0);
	if (!b)
		return 0;
	struct fork_body *f = (void *)(b + HDR);
	f->child_tgid = child->tgid;
	f->pad = 0;
	f->child_cgroup_id = child->cgroups->dfl_cgrp->kn->id;
	submit(b, HDR + sizeof(*f), EV_FORK);
	return 0;
}

static __always_inline int on_exit(__u64 group_dead)
{
	if (!(group_dead & 0xff))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 *b = begin(t, EV_EXIT, 0, 0);
	if (!b)
		return 0;
	struct exit_body *x = (void *)(b + HDR);
	x->code = t->exit_code;
	x->pad = 0;
	submit(b, HDR + sizeof(*x), EV_EXIT);
	return 0;
}

/* ---- cgroups ---- */

/* on_cgroup reports a cgroup made, removed, or a process moved into it. */
static __always_inline int on_cgroup(struct cgroup *cg, struct task_struct *moved, __u16 op)
{
	cg = kcast(cg, struct cgroup);
	if (!cg)
		return 0;
	__u32 pid = 0;
	if (moved) {
		moved = kcast(moved, struct task_struct);
		if (moved->pid != moved->tgid)
			return 0; /* a thread: its process is reported */
		pid = moved->tgid;
	}
	/* Not subject to ignore_pids: whoever makes a cgroup, its name is needed. */
	if ((bpf_get_current_pid_tgid() >> 32) == self_tgid)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 *b = scratch_buf();
	if (!b)
		return 0;
	fill_header((void *)b, t, EV_CGROUP, 0, 0);
	struct cgroup_body *c = (void *)(b + HDR);
	struct kernfs_node *kn = cg->kn;
	c->id = kn->id;
	c->hierarchy = cg->root->hierarchy_id;
	c->op = op;
	c->level = cg->level;
	c->pid = pid;
	__u32 pflags = 0;
	__u32 off = put_cgroup(b, HDR + sizeof(*c), cg, &pflags, 0);
	c->flags = pflags;
	submit(b, off, EV_CGROUP);
	return 0;
}

/* ---- syscalls ---- */

static __always_inline int pseudo_fs(__u64 magic)
{
	return magic == PROC_SUPER_MAGIC || magic == SYSFS_MAGIC || magic == CGROUP_SUPER_MAGIC ||
	       magic == CGROUP2_SUPER_MAGIC || magic == DEBUGFS_MAGIC || magic == TRACEFS_MAGIC;
}

static __always_inline int sensitive(struct dentry *d)
{
	__u32 len = d->d_name.len;
	if (len >= 32 || !(sensitive_len_mask & (1ULL << len)))
		return 0;
	struct name_key k = {};
	bpf_probe_read_kernel(k.name, len & 31, d->d_name.name);
	return bpf_map_lookup_elem(&sensitive_names, &k) != NULL;
}

static __always_inline int on_open(struct pt_regs *regs, struct task_struct *t, long nr, long ret)
{
	long dirfd = AT_FDCWD;
	const char *upath;
	__u32 flags, mode;
	switch (nr) {
	case NR_open:
		upath = (void *)regs->di;
		flags = regs->si;
		mode = regs->dx;
		break;
	case NR_creat:
		upath = (void *)regs->di;
		flags = O_CREAT | O_TRUNC | 1;
		mode = regs->si;
		break;
	case NR_openat:
		dirfd = (int)regs->di;
		upath = (void *)regs->si;
		flags = regs->dx;
		mode = regs->r10;
		break;
	default: { /* openat2 */
		__u64 how[2] = {};
		dirfd = (int)regs->di;
		upath = (void *)regs->si;
		bpf_probe_read_user(how, sizeof(how), (void *)regs->dx);
		flags = how[0];
		mode = how[1];
	}
	}
	int write = (flags & O_ACCMODE) != 0 || (flags & (O_CREAT | O_TRUNC));
	struct file *f = NULL;
	if (ret >= 0) {
		f = fd_file(t, ret);
		if (!f)
			return 0;
		struct inode *inode = f->f_inode;
		if ((inode->i_mode & S_IFMT) != S_IFREG)
			return 0;
		if (write) {
			if (pseudo_fs(inode->i_sb->s_magic) || repeated(inode, flags))
				return 0;
		} else if (!sensitive(f->f_path.dentry)) {
			return 0;
		}
	} else if (!write) {
		return 0;
	}

	__u8 *b = begin(t, EV_OPEN, nr, ret);
	if (!b)
		return 0;
	struct file_body *fb = (void *)(b + HDR);
	__u32 pflags = 0;
	fb->fd = ret;
	fb->flags = flags;
	fb->mode = mode;
	__u32 off = HDR + sizeof(*fb);
	if (f) {
		struct inode *inode = f->f_inode;
		fb->ino = inode->i_ino;
		fb->dev = inode->i_sb->s_dev;
		fb->imode = inode->i_mode;
		off = put_empty(b, off);
		off = put_file_path(b, off, f, &pflags, 0);
	} else {
		fb->ino = 0;
		fb->dev = 0;
		fb->imode = 0;
		off = put_at_path(b, off, t, dirfd, upath, &pflags, 0);
	}
	fb->path_flags = pflags;
	submit(b, off, EV_OPEN);
	return 0;
}

static __always_inline int on_file_op(struct pt_regs *regs, struct task_struct *t, long nr, long ret)
{
	long dirfd = AT_FDCWD, newdirfd = AT_FDCWD, fd = -1;
	const char *p1 = NULL, *p2 = NULL;
	__u32 flags = 0, mode = 0;
	__u16 kind;
	switch (nr) {
	case NR_rename:
		kind = EV_RENAME;
		p1 = (void *)regs->di;
		p2 = (void *)regs->si;
		break;
	case NR_renameat:
	case NR_renameat2:
		kind = EV_RENAME;
		dirfd = (int)regs->di;
		p1 = (void *)regs->si;
		newdirfd = (int)regs->dx;
		p2 = (void *)regs->r10;
		if (nr == NR_renameat2)
			flags = regs->r8;
		break;
	case NR_unlink:
		kind = EV_UNLINK;
		p1 = (void *)regs->di;
		break;
	case NR_rmdir:
		kind = EV_UNLINK;
		p1 = (void *)regs->di;
		flags = AT_REMOVEDIR;
		break;
	case NR_unlinkat:
		kind = EV_UNLINK;
		dirfd = (int)regs->di;
		p1 = (void *)regs->si;
		flags = regs->dx;
		break;
	case NR_chmod:
		kind = EV_CHMOD;
		p1 = (void *)regs->di;
		mode = regs->si;
		break;
	case NR_fchmod:
		kind = EV_CHMOD;
		fd = (int)regs->di;
		mode = regs->si;
		break;
	default: /* fchmodat, fchmodat2 */
		kind = EV_CHMOD;
		dirfd = (int)regs->di;
		p1 = (void *)regs->si;
		mode = regs->dx;
		if (nr == NR_fchmodat2)
			flags = regs->r10;
		break;
	}
	if (kind == EV_CHMOD) {
		if (!(mode & 06111))
			return 0;
	} else if (ret != 0) {
		return 0;
	}
	__u8 *b = begin(t, kind, nr, ret);
	if (!b)
		return 0;
	struct file_body *fb = (void *)(b + HDR);
	__u32 pflags = 0;
	fb->fd = p1 ? dirfd : fd;
	fb->flags = flags;
	fb->mode = mode;
	fb->ino = 0;
	fb->dev = 0;
	fb->imode = 0;
	__u32 off = HDR + sizeof(*fb);
	if (p1) {
		off = put_at_path(b, off, t, dirfd, p1, &pflags, 0);
	} else {
		struct file *f = fd_file(t, fd);
		off = put_empty(b, off);
		if (f) {
			fb->ino = f->f_inode->i_ino;
			fb->imode = f->f_inode->i_mode;
			off = put_file_path(b, off, f, &pflags, 0);
		} else {
			off = put_empty(b, off);
		}
	}
	if (p2)
		off = put_at_path(b, off, t, newdirfd, p2, &pflags, 8);
	fb->path_flags = pflags;
	submit(b, off, kind);
	return 0;
}

/* read_sockaddr fills fi's remote (or local) address from a user sockaddr; returns the family. */
static __always_inline __u16 read_sockaddr(struct fd_info *fi, const void *uaddr, int local)
{
	__u8 sa[28] = {};
	if (bpf_probe_read_user(sa, sizeof(sa), uaddr) < 0 && bpf_probe_read_user(sa, 16, uaddr) < 0)
		return 0;
	__u16 family = *(__u16 *)sa;
	__u16 port = (__u16)sa[2] << 8 | sa[3];
	__u8 *addr = local ? fi->laddr : fi->raddr;
	if (family == AF_INET) {
		__builtin_memcpy(addr, sa + 4, 4);
	} else if (family == AF_INET6) {
		__builtin_memcpy(addr, sa + 8, 16);
	} else {
		return family;
	}
	if (local)
		fi->lport = port;
	else
		fi->rport = port;
	fi->family = family;
	return family;
}

static __always_inline int on_net(struct pt_regs *regs, struct task_struct *t, long nr, long ret)
{
	__u16 kind;
	long fd, fd2 = -1;
	const void *uaddr = NULL;
	__u64 alen = 0;
	switch (nr) {
	case NR_connect:
	case NR_bind:
		kind = nr == NR_connect ? EV_CONNECT : EV_BIND;
		fd = (int)regs->di;
		uaddr = (void *)regs->si;
		alen = regs->dx;
		break;
	case NR_listen:
		kind = EV_LISTEN;
		fd = (int)regs->di;
		break;
	case NR_accept:
	case NR_accept4:
		if (ret < 0)
			return 0;
		kind = EV_ACCEPT;
		fd = (int)regs->di;
		fd2 = ret;
		break;
	default: /* dup, dup2, dup3 */
		kind = EV_DUP;
		fd = (int)regs->di;
		fd2 = nr == NR_dup ? ret : (int)regs->si;
		if (ret < 0 || fd2 < 0 || fd2 > 2)
			return 0;
		break;
	}
	struct file *f = fd_file(t, fd2 >= 0 ? fd2 : fd);
	if (!f || (f->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	__u16 family = kcast(f->private_data, struct socket)->sk->__sk_common.skc_family;
	if (uaddr) {
		__u16 ufamily = 0;
		bpf_probe_read_user(&ufamily, 2, uaddr);
		if (ufamily != AF_INET && ufamily != AF_INET6 && ufamily != AF_UNIX)
			return 0;
	} else if (family != AF_INET && family != AF_INET6 && !(family == AF_UNIX && kind != EV_ACCEPT)) {
		return 0;
	}

	__u8 *b = begin(t, kind, nr, ret);
	if (!b)
		return 0;
	struct net_body *nb = (void *)(b + HDR);
	__builtin_memset(nb, 0, sizeof(*nb));
	nb->fd = fd;
	nb->fd2 = fd2;
	nb->sock.type = FD_SOCK;
	sock_fill(&nb->sock, f);
	__u32 off = HDR + sizeof(*nb);
	if (uaddr) {
		__u16 ufamily = read_sockaddr(&nb->sock, uaddr, kind == EV_BIND);
		if (ufamily == AF_UNIX && alen > 2) {
			__u32 n = alen - 2 < 108 ? alen - 2 : 108;
			n &= 127;
			nb->sock.family = AF_UNIX;
			if (bpf_probe_read_user(b + at(off + 2), n, uaddr + 2) < 0)
				n = 0;
			put_u16(b, off, n);
			off += 2 + n;
		} else {
			off = put_empty(b, off);
		}
	} else {
		off = put_empty(b, off);
	}
	submit(b, off, kind);
	return 0;
}

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

#define SUN_PATH_MAX 108

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * on_sock_addr reports a connect or bind about to happen (the program runs
 * before the kernel does it) and always allows it. family is a constant:
 * which context fields a program may read depends on its attach type.
 */
static __always_inline int on_sock_addr(struct bpf_sock_addr *ctx, __u16 kind, __u16 family)
{
	if (kind == EV_CONNECT && family != AF_UNIX) {
		struct net_key k = {
			.tgid = bpf_get_current_pid_tgid() >> 32,
			.port = (__u16)ctx->user_port,
			.kind = kind,
			.family = family,
		};
		if (family == AF_INET) {
			*(__u32 *)k.addr = ctx->user_ip4;
		} else {
			((__u32 *)k.addr)[0] = ctx->user_ip6[0];
			((__u32 *)k.addr)[1] = ctx->user_ip6[1];
			((__u32 *)k.addr)[2] = ctx->user_ip6[2];
			((__u32 *)k.addr)[3] = ctx->user_ip6[3];
		}
		if (net_repeated(&k))
			return 1;
	}
	struct task_struct *t = bpf_get_current_task_btf();
	__u8 *b = begin(t, kind, task_nr(t), 0);
	if (!b)
		return 1;
	((struct event_header *)b)->flags = EVF_ENTRY;
	struct net_body *nb = (void *)(b + HDR);
	__builtin_memset(nb, 0, sizeof(*nb));
	nb->fd = -1;
	nb->fd2 = -1;
	nb->sock.type = FD_SOCK;
	nb->sock.family = family;
	nb->sock.sock_type = ctx->type;
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u8 *addr = kind == EV_CONNECT ? nb->sock.raddr : nb->sock.laddr;
	__u32 off = HDR + sizeof(*nb);
	if (family == AF_INET) {
		*(__u32 *)addr = ctx->user_ip4;
	} else if (family == AF_INET6) {
		((__u32 *)addr)[0] = ctx->user_ip6[0];
		((__u32 *)addr)[1] = ctx->user_ip6[1];
		((__u32 *)addr)[2] = ctx->user_ip6[2];
		((__u32 *)addr)[3] = ctx->user_ip6[3];
	}
	if (family == AF_UNIX) {
		struct bpf_sock_addr_kern *k = bpf_cast_to_kern_ctx(ctx);
		__u32 n = k->uaddrlen;
		n = n > 2 ? n - 2 : 0;
		if (n > SUN_PATH_MAX)
			n = SUN_PATH_MAX;
		n &= 127;
		if (bpf_probe_read_kernel(b + at(off + 2), n, (void *)k->uaddr + 2) < 0)
			n = 0;
		put_u16(b, off, n);
		off += 2 + n;
	} else {
		if (kind == EV_CONNECT) {
			nb->sock.rport = port;
			struct bpf_sock *sk = ctx->sk;
			if (sk) {
				nb->sock.lport = sk->src_port;
				if (family == AF_INET) {
					*(__u32 *)nb->sock.laddr = sk->src_ip4;
				} else {
					((__u32 *)nb->sock.laddr)[0] = sk->src_ip6[0];
					((__u32 *)nb->sock.laddr)[1] = sk->src_ip6[1];
					((__u32 *)nb->sock.laddr)[2] = sk->src_ip6[2];
					((__u32 *)nb->sock.laddr)[3] = sk->src_ip6[3];
				}
			}
		} else {
			nb->sock.lport = port;
		}
		off = put_empty(b, off);
	}
	submit(b, off, kind);
	return 1;
}

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

#define IPPROTO_TCP 6
#define TCP_ESTABLISHED 1
#define TCP_SYN_RECV 3
#define TCP_CLOSE 7
#define TCP_LISTEN 10

/* listen_key_of fills k for socket sk: its local address, or (any) the any address. */
static __always_inline void listen_key_of(struct listen_key *k, struct sock *sk, int any)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = sk->__sk_common.skc_net.net->ns.inum;
	k->port = sk->__sk_common.skc_num;
	if (any)
		return;
	if (sk->__sk_common.skc_family == AF_INET) {
		__u32 a = sk->__sk_common.skc_rcv_saddr;
		if (!a)
			return;
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		*(__u32 *)(k->addr + 12) = a;
	} else {
		bpf_probe_read_kernel(k->addr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
	}
}

/* sock_record fills the body of a listen or accept record for socket sk and sends it. */
static __always_inline void sock_record(__u8 *b, struct sock *sk, __u32 kind)
{
	struct net_body *nb = (void *)(b + HDR);
	__builtin_memset(nb, 0, sizeof(*nb));
	nb->fd = -1;
	nb->fd2 = -1;
	nb->sock.type = FD_SOCK;
	sk_fill(&nb->sock, sk);
	__u32 off = put_empty(b, HDR + sizeof(*nb));
	submit(b, off, kind);
}

/* on_listen runs in the task making sk listen: it reports it and remembers the task for accepts. */
static __always_inline int on_listen(struct sock *sk)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct listen_owner l;
	fill_header(&l.h, t, EV_LISTEN, task_nr(t), 0);
	l.h.flags = EVF_ENTRY;
	l.h.size = 0;
	l.sk = (__u64)sk;
	struct listen_key k;
	listen_key_of(&k, sk, 0);
	bpf_map_update_elem(&listeners, &k, &l, BPF_ANY);
	if (ignored(l.h.tgid))
		return 0;
	__u8 *b = scratch_buf();
	if (!b)
		return 0;
	__builtin_memcpy(b, &l.h, sizeof(l.h));
	sock_record(b, sk, EV_LISTEN);
	return 0;
}

/*
 * on_accept runs when a passive connection (child socket sk) is
 * established, usually in softirq: the record's process is the listener's.
 */
static __always_inline int on_accept(struct sock *sk)
{
	struct listen_key k;
	listen_key_of(&k, sk, 0);
	struct listen_owner *l = bpf_map_lookup_elem(&listeners, &k);
	if (!l) {
		listen_key_of(&k, sk, 1);
		l = bpf_map_lookup_elem(&listeners, &k);
	}
	if (l && ignored(l->h.tgid))
		return 0;
	struct net_key nk = {
		.tgid = l ? l->h.tgid : 0,
		.port = k.port,
		.kind = EV_ACCEPT,
		.family = sk->__sk_common.skc_family,
	};
	if (nk.family == AF_INET)
		*(__u32 *)nk.addr = sk->__sk_common.skc_daddr;
	else
		bpf_probe_read_kernel(nk.addr, 16, &sk->__sk_common.skc_v6_daddr);
	if (net_repeated(&nk))
		return 0;
	__u8 *b = scratch_buf();
	if (!b)
		return 0;
	struct event_header *h = (void *)b;
	if (l) {
		__builtin_memcpy(h, &l->h, sizeof(*h));
	} else {
		/* The listener predates the sensor: what the socket itself says. */
		__builtin_memset(h, 0, sizeof(*h));
		h->uid = sk->sk_uid.val;
		h->euid = h->uid;
		h->gid = (__u32)-1;
		h->auid = (__u32)-1;
		h->netns = k.netns;
		struct cgroup *cg = sk->sk_cgrp_data.cgroup;
		if (cg)
			h->cgroup_id = cg->kn->id;
	}
	h->ktime = bpf_ktime_get_boot_ns();
	h->kind = EV_ACCEPT;
	h->nr = 0;
	h->ret = 0;
	h->flags = EVF_LISTENER;
	sock_record(b, sk, EV_ACCEPT);
	return 0;
}

/* on_unlisten forgets a socket that stops listening. */
static __always_inline int on_unlisten(struct sock *sk)
{
	struct listen_key k;
	listen_key_of(&k, sk, 0);
	struct listen_owner *l = bpf_map_lookup_elem(&listeners, &k);
	if (l && l->sk == (__u64)sk)
		bpf_map_delete_elem(&listeners, &k);
	return 0;
}

static __always_inline int on_sock_state(struct sock *sk, int old, int new)
{
	int what;
	if (old == TCP_CLOSE && new == TCP_LISTEN)
		what = 0;
	else if (old == TCP_SYN_RECV && new == TCP_ESTABLISHED)
		what = 1;
	else if (old == TCP_LISTEN && new == TCP_CLOSE)
		what = 2;
	else
		return 0;
	sk = kcast(sk, struct sock);
	__u16 family = sk->__sk_common.skc_family;
	if (sk->sk_protocol != IPPROTO_TCP || (family != AF_INET && family != AF_INET6))
		return 0;
	switch (what) {
	case 0:
		return on_listen(sk);
	case 1:
		return on_accept(sk);
	default:
		return on_unlisten(sk);
	}
}

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
