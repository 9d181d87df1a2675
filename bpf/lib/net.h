/*
 * Network records: connect, accept, bind, listen and dup onto stdio at
 * sys_exit (syscall-tracepoint hook set); connect and bind from cgroup
 * sock_addr programs, listen and accept from inet_sock_set_state (default
 * hook set); and the maps that suppress repeated connections and attribute
 * an accept to its listener.
 */
#pragma once

#include "common.h"
#include "syscall.h"

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

/* ---- syscalls: sockets and dup (sys_exit) ---- */

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
