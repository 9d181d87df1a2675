/* Path resolution: walks dentries and mounts up to the task's root. */
#pragma once

#include "common.h"

static __always_inline struct mount *real_mount(struct vfsmount *vm)
{
	return kcast((void *)vm - bpf_core_field_offset(struct mount, mnt), struct mount);
}

/*
 * walk_path appends, at cursor off of the scratch buffer, the path of
 * dentry d on mount vm as one string holding its components from leaf to
 * root, each ending in NUL. It returns the new cursor | PATH_* flags << 32.
 * It is a global function so the verifier checks it once, not per caller;
 * its arguments are plain numbers.
 */
__noinline __u64 walk_path(__u64 dp, __u64 vmp, __u32 off)
{
	__u8 *b = scratch_buf();
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 pflags = 0;
	if (!b || !dp || !vmp || off > OFF_MASK)
		return off;
	struct dentry *d = kcast(dp, struct dentry);
	struct vfsmount *vm = kcast(vmp, struct vfsmount);
	struct fs_struct *fs = t->fs;
	struct dentry *root_d = fs->root.dentry;
	struct vfsmount *root_m = fs->root.mnt;
	struct mount *mnt = real_mount(vm);
	__u32 start = off + 2, cur = start;

	struct inode *inode = d->d_inode;
	if (inode) {
		if (inode->__i_nlink == 0)
			pflags |= PATH_DELETED;
		if (inode->i_sb->s_magic == TMPFS_MAGIC)
			pflags |= PATH_TMPFS;
	}
	for (int i = 0; i < PATH_DEPTH; i++) {
		if (d == root_d && vm == root_m)
			break;
		struct dentry *parent = d->d_parent;
		if (d == vm->mnt_root) {
			struct mount *mp = mnt->mnt_parent;
			if (mp == mnt)
				break;
			d = mnt->mnt_mountpoint;
			mnt = kcast(mp, struct mount);
			vm = &mnt->mnt;
			continue;
		}
		if (cur - start > STR_MAX - NAME_MAX_LEN || cur > REC_MAX - NAME_MAX_LEN) {
			pflags |= PATH_TRUNCATED;
			break;
		}
		long n = bpf_probe_read_kernel_str(b + at(cur), NAME_MAX_LEN, d->d_name.name);
		if (n > 0)
			cur += n;
		if (d == parent) {
			pflags |= PATH_DISCONNECTED;
			break;
		}
		d = parent;
		if (i == PATH_DEPTH - 1)
			pflags |= PATH_TRUNCATED;
	}
	put_u16(b, off, cur - start);
	return cur | (__u64)pflags << 32;
}

/* put_path appends the path of (d, vm) read from a struct path at p; see walk_path. */
static __always_inline __u32 put_path(__u8 *b, __u32 off, const struct path *p, __u32 *pflags, int shift)
{
	__u64 d = (__u64)BPF_CORE_READ(p, dentry);
	__u64 vm = (__u64)BPF_CORE_READ(p, mnt);
	__u64 r = walk_path(d, vm, off);
	*pflags |= (__u32)(r >> 32) << shift;
	return (__u32)r & 0x7fff;
}

/* put_file_path appends the path of an open file. */
static __always_inline __u32 put_file_path(__u8 *b, __u32 off, struct file *f, __u32 *pflags, int shift)
{
	*pflags |= PATH_FROM_FD << shift;
	return put_path(b, off, &f->f_path, pflags, shift);
}

#define AT_FDCWD -100

/*
 * put_at_path appends a path given to a syscall as two strings: the user's
 * string, then (when it is relative) the directory it is relative to:
 * dirfd's path or the working directory.
 */
static __always_inline __u32 put_at_path(__u8 *b, __u32 off, struct task_struct *t, long dirfd, const char *upath,
					 __u32 *pflags, int shift)
{
	__u32 name = off;
	off = put_ustr(b, off, upath, STR_MAX);
	if (off - name > 2 && b[at(name + 2)] == '/')
		return put_empty(b, off);
	if (dirfd == AT_FDCWD) {
		struct fs_struct *fs = t->fs;
		return put_path(b, off, &fs->pwd, pflags, shift);
	}
	struct file *f = fd_file(t, dirfd);
	if (!f)
		return put_empty(b, off);
	return put_path(b, off, &f->f_path, pflags, shift);
}
