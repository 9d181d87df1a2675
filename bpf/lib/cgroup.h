/*
 * What attributes a process to a container, read from the kernel: the
 * names of its cgroups (kernfs nodes) and of its root directory. User space
 * derives the runtime and container id from these alone, so that a
 * container whose processes are all gone before their records are read is
 * still attributed.
 */
#pragma once

#include "common.h"

#define CGROUP_DEPTH 16

/* Before 6.15 the kernfs parent pointer was called parent. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return kcast(kn->__parent, struct kernfs_node);
	struct kernfs_node___old *old = (void *)kn;
	return kcast(BPF_CORE_READ(old, parent), struct kernfs_node);
}

/*
 * walk_kernfs appends, at cursor off of the scratch buffer, the path of
 * kernfs node knp below its root as one string of its components from leaf
 * to root, each ending in NUL (the layout of walk_path). It returns the new
 * cursor | PATH_* flags << 32; the deepest CGROUP_DEPTH components are kept.
 */
__noinline __u64 walk_kernfs(__u64 knp, __u32 off)
{
	__u8 *b = scratch_buf();
	__u32 pflags = 0;
	if (!b || off > OFF_MASK)
		return off;
	__u32 start = off + 2, cur = start;
	struct kernfs_node *kn = kcast(knp, struct kernfs_node);
	for (int i = 0; i < CGROUP_DEPTH && kn; i++) {
		struct kernfs_node *parent = kn_parent(kn);
		if (!parent)
			break; /* the root has no name of its own */
		if (cur > REC_MAX - NAME_MAX_LEN) {
			pflags |= PATH_TRUNCATED;
			break;
		}
		long n = bpf_probe_read_kernel_str(b + at(cur), NAME_MAX_LEN, kn->name);
		if (n > 0)
			cur += n;
		kn = parent;
		if (i == CGROUP_DEPTH - 1 && kn_parent(kn))
			pflags |= PATH_TRUNCATED;
	}
	put_u16(b, off, cur - start);
	return cur | (__u64)pflags << 32;
}

/*
 * walk_dentry appends the path of dentry dp within its file system: its
 * components up to the file system's root, mounts not crossed, in the
 * layout of walk_path.
 */
__noinline __u64 walk_dentry(__u64 dp, __u32 off)
{
	__u8 *b = scratch_buf();
	__u32 pflags = 0;
	if (!b || off > OFF_MASK)
		return off;
	__u32 start = off + 2, cur = start;
	struct dentry *d = kcast(dp, struct dentry);
	for (int i = 0; i < PATH_DEPTH && d; i++) {
		struct dentry *parent = d->d_parent;
		if (parent == d)
			break;
		if (cur - start > STR_MAX - NAME_MAX_LEN || cur > REC_MAX - NAME_MAX_LEN) {
			pflags |= PATH_TRUNCATED;
			break;
		}
		long n = bpf_probe_read_kernel_str(b + at(cur), NAME_MAX_LEN, d->d_name.name);
		if (n > 0)
			cur += n;
		d = kcast(parent, struct dentry);
		if (i == PATH_DEPTH - 1)
			pflags |= PATH_TRUNCATED;
	}
	put_u16(b, off, cur - start);
	return cur | (__u64)pflags << 32;
}

/* put_cgroup appends the path of cgroup cg below its hierarchy's root; see walk_kernfs. */
static __always_inline __u32 put_cgroup(__u8 *b, __u32 off, struct cgroup *cg, __u32 *pflags, int shift)
{
	/* Read as a number: a global function takes no kernel pointers. */
	__u64 r = walk_kernfs((__u64)BPF_CORE_READ(cg, kn), off);
	*pflags |= (__u32)(r >> 32) << shift;
	return (__u32)r & 0x7fff;
}

/* put_root appends the path of a struct path's dentry within its file system; see walk_dentry. */
static __always_inline __u32 put_root(__u8 *b, __u32 off, const struct path *p, __u32 *pflags, int shift)
{
	__u64 r = walk_dentry((__u64)BPF_CORE_READ(p, dentry), off);
	*pflags |= (__u32)(r >> 32) << shift;
	return (__u32)r & 0x7fff;
}

/* v1_cgroup returns the cgroup of task set cs in the v1 hierarchy of the pids controller, or NULL. */
static __always_inline struct cgroup *v1_cgroup(struct css_set *cs)
{
	if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, pids_cgrp_id))
		return NULL;
	__u32 i = bpf_core_enum_value(enum cgroup_subsys_id, pids_cgrp_id);
	struct cgroup_subsys_state *css = NULL;
	if (i >= bpf_core_field_size(cs->subsys) / sizeof(css) || i >= 16)
		return NULL;
	bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[i & 15]);
	if (!css)
		return NULL;
	css = kcast(css, struct cgroup_subsys_state);
	struct cgroup *cg = kcast(css->cgroup, struct cgroup);
	if (!cg || cg->root->hierarchy_id == 0)
		return NULL; /* the controller is on cgroup v2 */
	return cg;
}
