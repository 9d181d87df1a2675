/*
 * File records, from the syscall-tracepoint hook set only (sys_exit): opens
 * for writing and of sensitive files, renames, unlinks and execute-bit
 * chmods. The default hook set leaves files to a file-event source
 * (fanotify).
 */
#pragma once

#include "common.h"
#include "path.h"
#include "syscall.h"

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

/* Bit n is set when some sensitive name is n bytes long. */
volatile const __u64 sensitive_len_mask = 0;

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

/* ---- syscalls: files (sys_exit) ---- */

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
