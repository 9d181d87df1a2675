/* Record layout shared by the BPF programs and the Go decoder (via bpf2go). */
#pragma once

/* Record kinds. */
enum event_kind {
	EV_EXEC = 1,
	EV_FORK,
	EV_EXIT,
	EV_OPEN,
	EV_RENAME,
	EV_UNLINK,
	EV_CHMOD,
	EV_CONNECT,
	EV_ACCEPT,
	EV_BIND,
	EV_LISTEN,
	EV_DUP,
	EV_PTRACE,
	EV_MEMFD,
	EV_SETID,
	EV_MOUNT,
	EV_UNSHARE,
	EV_SETNS,
	EV_MODULE,
	EV_BPF,
	EV_UMOUNT,
	EV_CHROOT,
	EV_CGROUP,
	EV_MAX,
};

/* Flags on a record (event_header.flags). */
enum event_flag {
	EVF_ENTRY = 1,    /* reported when the call was checked, before it completed: ret is 0 */
	EVF_LISTENER = 2, /* the process fields are the listening socket's owner, recorded at listen time */
};

/* Flags on a path string (path_flags; the second path of a record uses bits << 8). */
enum path_flag {
	PATH_TRUNCATED = 1,    /* the walk hit its depth or size limit */
	PATH_DELETED = 2,      /* the inode has no links left (unlinked, memfd) */
	PATH_DISCONNECTED = 4, /* the dentry is not reachable from a root (pseudo file) */
	PATH_TMPFS = 8,        /* the file lives on tmpfs/shmem */
	PATH_FROM_FD = 16,     /* the path was resolved from the open file itself */
};

/* Flags on an exec record (exec_body.flags). */
enum exec_flag {
	EXEC_ARGS_TRUNCATED = 1 << 16,
};

/* What an EV_CGROUP record reports (cgroup_body.op). */
enum cgroup_op {
	CG_MKDIR = 1, /* a cgroup was made */
	CG_RMDIR,     /* a cgroup was removed */
	CG_ATTACH,    /* a process was moved into a cgroup */
};

/* File types of an fd (fd_info.type). */
enum fd_type {
	FD_NONE = 0,
	FD_REG,
	FD_DIR,
	FD_CHR,
	FD_BLK,
	FD_FIFO,
	FD_SOCK,
	FD_LNK,
	FD_OTHER,
};

/* Every record starts with this header. */
struct event_header {
	__u64 ktime;     /* CLOCK_BOOTTIME ns */
	__u64 cgroup_id; /* cgroup v2 id */
	__s64 ret;       /* syscall return value; 0 for scheduler events and EVF_ENTRY records */
	__u16 kind;      /* enum event_kind */
	__u16 nr;        /* syscall number the task is in; 0 for scheduler events and accepts */
	__u32 size;      /* bytes in the whole record */
	__u32 tgid;
	__u32 tid;
	__u32 ppid;      /* tgid of real_parent */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 auid;      /* loginuid, 4294967295 when unset */
	__u32 mntns;
	__u32 pidns;
	__u32 netns;
	char comm[16];
	__u32 flags;     /* enum event_flag */
	__u32 pad;
};

/* An open file descriptor: its type and, for sockets, the addresses. */
struct fd_info {
	__u8 type;       /* enum fd_type */
	__u8 pad;
	__u16 family;    /* socket address family */
	__u16 sock_type; /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 lport;     /* local port, host order */
	__u16 rport;     /* peer port, host order */
	__u16 pad2;
	__u32 rdev;      /* device number of a character/block device */
	__u8 laddr[16];  /* local address (4 bytes for AF_INET) */
	__u8 raddr[16];  /* peer address */
};

/*
 * EV_EXEC; strings: filename, exe path, args, cwd, then what attributes the
 * process: its cgroup v2 path, its path in the v1 hierarchy of the pids
 * controller (empty when that controller is on v2 or absent), and the path
 * of its root directory within the root's file system (the dentries up to
 * the file system's root, mounts not crossed: "" when the root is the file
 * system's own root, as on the host and on an overlay root).
 */
struct exec_body {
	__u64 ino;
	__s64 mtime_sec;
	__s64 ctime_sec;
	__u32 mtime_nsec;
	__u32 ctime_nsec;
	__u32 dev;
	__u32 nlink;
	__u32 mode;
	__u32 flags;    /* exe path flags | cwd path flags << 8 | exec_flag */
	__u32 args_len; /* size of the whole argument area */
	__u32 pad;
	struct fd_info stdio[3];
	__u64 v1_cgroup_id; /* the pids v1 cgroup's id; 0 when there is none */
	__u32 v1_hierarchy; /* that v1 hierarchy's id, as in /proc/<pid>/cgroup */
	__u32 root_dev;     /* device of the root directory's file system (new_encode_dev) */
	__u32 attr_flags;   /* cgroup path flags | v1 path flags << 8 | root path flags << 16 */
	__u32 pad2;
};

/* EV_FORK. */
struct fork_body {
	__u32 child_tgid;
	__u32 pad;
	__u64 child_cgroup_id; /* the child's cgroup v2 id (another than the parent's after CLONE_INTO_CGROUP) */
};

/* The host's namespaces (map host_namespaces). */
struct host_ns {
	__u32 mnt;
	__u32 pid;
	__u32 net;
	__u32 found; /* 1 once read_host_ns found the host's init process */
};

/*
 * EV_CGROUP; strings: the cgroup's path in its hierarchy. The header is the
 * task that made, removed or moved into the cgroup (for an attach, the
 * runtime writing cgroup.procs, not the process moved).
 */
struct cgroup_body {
	__u64 id;        /* the cgroup's id: its kernfs node id, the cgroup v2 id on hierarchy 0 */
	__u32 hierarchy; /* 0 for cgroup v2, else the v1 hierarchy's id as in /proc/<pid>/cgroup */
	__u16 op;        /* enum cgroup_op */
	__u16 level;     /* depth below the hierarchy's root */
	__u32 pid;       /* CG_ATTACH: the process moved (its tgid) */
	__u32 flags;     /* path flags */
};

/* EV_EXIT. */
struct exit_body {
	__u32 code; /* wait status: exit code << 8 | signal */
	__u32 pad;
};

/* EV_OPEN, EV_RENAME, EV_UNLINK, EV_CHMOD; strings: name, dir, new name, new dir. */
struct file_body {
	__s32 fd;         /* the fd opened, chmod'ed (fchmod), or the dirfd */
	__u32 flags;      /* open flags, AT_* flags or rename flags */
	__u32 mode;       /* open/chmod mode */
	__u32 path_flags; /* enum path_flag, new path's << 8 */
	__u64 ino;        /* inode of the file when known */
	__u32 dev;
	__u32 imode;      /* inode mode when known */
};

/* EV_CONNECT, EV_ACCEPT, EV_BIND, EV_LISTEN, EV_DUP; strings: unix socket path. */
struct net_body {
	__s32 fd;  /* socket fd (dup: old fd) */
	__s32 fd2; /* accept: new fd; dup: new fd */
	struct fd_info sock;
};

/* Other syscalls: raw arguments plus per-kind strings (mount: source, target name and dir, fstype;
 * umount, chroot: name and dir; memfd: name; module: name and dir; bpf: program name). */
struct sys_body {
	__u64 args[6];
	__u64 aux;        /* setns: inode of the fd; bpf: prog type | insn count << 32 */
	__u32 path_flags;
	__u32 aux2;       /* bpf: expected attach type */
};
