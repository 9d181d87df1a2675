/*
 * Process records, always reported: exec, fork and exit from the scheduler
 * tracepoints, and cgroups made, removed and joined from the cgroup
 * tracepoints, with what attributes a process to a container (cgroup.h).
 */
#pragma once

#include "common.h"
#include "path.h"
#include "cgroup.h"

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

/* ---- the host's namespaces ---- */

/* host_namespaces[0] holds the namespaces of the host's init process (pid 1 of the initial pid namespace). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct host_ns);
} host_namespaces SEC(".maps");

/*
 * read_host_ns finds the host's init process by walking up from the
 * current task's parents (through container init processes to the host's
 * pid 1) and records its mount, pid and network namespaces. User space
 * runs it once (BPF_PROG_TEST_RUN), so that it knows them even where
 * /proc/1/ns cannot be read.
 */
static __always_inline int read_host_ns(void)
{
	struct task_struct *t = bpf_get_current_task_btf();
	for (int i = 0; i < 64 && t; i++) {
		if (t->tgid == 1)
			break;
		struct task_struct *p = kcast(t->real_parent, struct task_struct);
		if (!p || p == t)
			return 0;
		t = p;
	}
	if (!t || t->tgid != 1)
		return 0;
	struct nsproxy *ns = t->nsproxy;
	if (!ns)
		return 0;
	struct host_ns h = {};
	h.mnt = ns->mnt_ns->ns.inum;
	h.net = ns->net_ns->ns.inum;
	struct pid *pid = t->thread_pid;
	struct upid *up = kcast((void *)pid + bpf_core_field_offset(struct pid, numbers), struct upid);
	struct pid_namespace *pns = up->ns;
	h.pid = pns ? pns->ns.inum : 0;
	h.found = 1;
	__u32 zero = 0;
	bpf_map_update_elem(&host_namespaces, &zero, &h, BPF_ANY);
	return 0;
}
