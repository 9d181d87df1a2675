/* Helpers shared by the sensor's programs: scratch buffer, string writers, task fields. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "events.h"

#define BUF_SIZE 32768 /* the largest per-CPU map value */
#define REC_MAX 16384  /* the largest record */
#define OFF_MASK 16383 /* the cursor stays below REC_MAX; a single write is at most 4 KiB */
#define STR_MAX 4096
#define NAME_MAX_LEN 256
#define PATH_DEPTH 40

#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

#define TMPFS_MAGIC 0x01021994
#define TS_COMPAT 0x0002

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
/* kcast turns a kernel pointer into one the verifier lets us load from directly. */
#define kcast(ptr, type) ((type *)bpf_rdonly_cast((const void *)(ptr), bpf_core_type_id_kernel(type)))

struct scratch {
	__u8 buf[BUF_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

/* lost[kind] counts records dropped because the ring buffer was full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* suppressed[kind] counts records not sent because they repeated a recent one. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} suppressed SEC(".maps");

/* ignore_pids holds tgids whose activity is never reported. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} ignore_pids SEC(".maps");

/* Set at load time. */
volatile const __u32 self_tgid = 0;
volatile const __u32 have_ignore_pids = 0; /* ignore_pids has entries */
volatile const __u64 wakeup_bytes = 0; /* wake the reader only once this much is pending; 0 = every record */

static __always_inline __u8 *scratch_buf(void)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	return s ? s->buf : NULL;
}

static __always_inline int ignored(__u32 tgid)
{
	if (tgid == self_tgid)
		return 1;
	return have_ignore_pids && bpf_map_lookup_elem(&ignore_pids, &tgid) != NULL;
}

/* at bounds a cursor for the verifier; the empty asm keeps clang from dropping the mask. */
static __always_inline __u32 at(__u32 off)
{
	asm volatile("" : "+r"(off));
	return off & OFF_MASK;
}

/* room shrinks a string's size limit max (at most STR_MAX) so the record stays within REC_MAX. */
static __always_inline __u32 room(__u32 off, __u32 max)
{
	__u32 o = at(off);
	if (o + 2 + max <= REC_MAX)
		return max;
	if (o + 2 >= REC_MAX)
		return 0;
	__u32 r = REC_MAX - 2 - o;
	asm volatile("" : "+r"(r));
	return r & (STR_MAX - 1);
}

static __always_inline void put_u16(__u8 *b, __u32 off, __u32 v)
{
	b[at(off)] = v;
	b[at(off + 1)] = v >> 8;
}

/* put_kstr appends a u16 length and a kernel string of at most max-1 bytes. */
static __always_inline __u32 put_kstr(__u8 *b, __u32 off, const void *src, __u32 max)
{
	long n = 0;
	max = room(off, max);
	if (src && max)
		n = bpf_probe_read_kernel_str(b + at(off + 2), max, src);
	if (n < 1)
		n = 1;
	put_u16(b, off, n - 1);
	return off + 2 + n - 1;
}

/* put_ustr appends a u16 length and a user string of at most max-1 bytes. */
static __always_inline __u32 put_ustr(__u8 *b, __u32 off, const void *src, __u32 max)
{
	long n = 0;
	max = room(off, max);
	if (src && max)
		n = bpf_probe_read_user_str(b + at(off + 2), max, src);
	if (n < 1)
		n = 1;
	put_u16(b, off, n - 1);
	return off + 2 + n - 1;
}

/* put_empty appends an empty string. */
static __always_inline __u32 put_empty(__u8 *b, __u32 off)
{
	put_u16(b, off, 0);
	return off + 2;
}

static __always_inline __u8 fd_type_of(__u16 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return FD_REG;
	case S_IFDIR: return FD_DIR;
	case S_IFCHR: return FD_CHR;
	case S_IFBLK: return FD_BLK;
	case S_IFIFO: return FD_FIFO;
	case S_IFSOCK: return FD_SOCK;
	case S_IFLNK: return FD_LNK;
	}
	return FD_OTHER;
}

/* fd_file returns the file open at fd in task t, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *t, long fd)
{
	struct files_struct *files = t->files;
	if (!files || fd < 0)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	struct file **arr = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &arr[fd & 0xfffff]);
	if (!f)
		return NULL;
	return kcast(f, struct file);
}

/* sk_fill describes a socket's family, type and addresses. */
static __always_inline void sk_fill(struct fd_info *fi, struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;
	fi->family = family;
	fi->sock_type = sk->sk_type;
	if (family == AF_INET) {
		*(__u32 *)fi->laddr = sk->__sk_common.skc_rcv_saddr;
		*(__u32 *)fi->raddr = sk->__sk_common.skc_daddr;
		fi->lport = sk->__sk_common.skc_num;
		fi->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	} else if (family == AF_INET6) {
		bpf_probe_read_kernel(fi->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(fi->raddr, 16, &sk->__sk_common.skc_v6_daddr);
		fi->lport = sk->__sk_common.skc_num;
		fi->rport = bpf_ntohs(sk->__sk_common.skc_dport);
	}
}

/* sock_fill describes the socket of an open file. */
static __always_inline void sock_fill(struct fd_info *fi, struct file *f)
{
	struct socket *sock = kcast(f->private_data, struct socket);
	if (!sock)
		return;
	struct sock *sk = sock->sk;
	if (!sk)
		return;
	sk_fill(fi, sk);
}

/* fd_fill describes the file at fd of task t. */
static __always_inline void fd_fill(struct fd_info *fi, struct task_struct *t, long fd)
{
	struct file *f = fd_file(t, fd);
	if (!f) {
		fi->type = FD_NONE;
		return;
	}
	struct inode *inode = f->f_inode;
	__u16 mode = inode->i_mode;
	fi->type = fd_type_of(mode);
	if (fi->type == FD_CHR || fi->type == FD_BLK)
		fi->rdev = inode->i_rdev;
	else if (fi->type == FD_SOCK)
		sock_fill(fi, f);
}

/* fill_header writes the common header for the current task. */
static __always_inline void fill_header(struct event_header *h, struct task_struct *t, __u16 kind, __u16 nr, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	h->ktime = bpf_ktime_get_boot_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->ret = ret;
	h->kind = kind;
	h->nr = nr;
	h->tgid = pid_tgid >> 32;
	h->tid = (__u32)pid_tgid;
	h->ppid = t->real_parent->tgid;
	const struct cred *cred = t->cred;
	h->uid = cred->uid.val;
	h->gid = cred->gid.val;
	h->euid = cred->euid.val;
	if (bpf_core_field_exists(t->loginuid))
		h->auid = t->loginuid.val;
	else
		h->auid = (__u32)-1;
	struct nsproxy *ns = t->nsproxy;
	if (ns) {
		h->mntns = ns->mnt_ns->ns.inum;
		h->netns = ns->net_ns->ns.inum;
	} else {
		h->mntns = 0;
		h->netns = 0;
	}
	/* Direct loads: cheaper than a bpf_probe_read_kernel call (about 0.1 µs a record with cold caches). */
	struct pid *pid = t->thread_pid;
	struct upid *up = kcast((void *)pid + bpf_core_field_offset(struct pid, numbers) +
				(pid->level & 31) * sizeof(struct upid), struct upid);
	struct pid_namespace *pns = up->ns;
	h->pidns = pns ? pns->ns.inum : 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	h->flags = 0;
	h->pad = 0;
}

/* submit sends the record in b (size bytes) to user space or counts it lost. */
static __always_inline void submit(__u8 *b, __u32 size32, __u32 kind)
{
	struct event_header *h = (void *)b;
	__u64 flags = 0, size = size32;
	asm volatile("" : "+r"(size));
	if (size > REC_MAX)
		return;
	h->size = size;
	if (wakeup_bytes) {
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
		/* Wake the reader once, when pending data crosses the threshold. */
		flags = avail < wakeup_bytes && avail + size >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, b, size, flags) < 0) {
		__u64 *c = bpf_map_lookup_elem(&lost, &kind);
		if (c)
			(*c)++;
	}
}

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
