// Package record is the runtime sensor's record: one thing the kernel (or
// another source, such as the fanotify watcher) reported, typed and
// decoded, before the sensor maps it to an event. Every source emits it;
// none needs another's package to do so.
package record

import (
	"errors"
	"net/netip"
	"strconv"
	"time"
)

// Kind says what a Record reports.
type Kind uint16

// Record kinds. The values are the kernel's enum event_kind.
const (
	KindExec    Kind = iota + 1 // a process ran a new program (sched_process_exec)
	KindFork                    // a new process (not a thread) was created
	KindExit                    // a process ended (its last thread exited)
	KindOpen                    // a regular file was opened for write/create/truncate, or a sensitive file was opened
	KindRename                  // rename, renameat, renameat2 succeeded
	KindUnlink                  // unlink, unlinkat, rmdir succeeded
	KindChmod                   // chmod family call setting an execute, setuid or setgid bit
	KindConnect                 // connect on an AF_INET, AF_INET6 or AF_UNIX socket
	KindAccept                  // accept or accept4 returned an AF_INET/AF_INET6 connection; default hooks: a TCP connection to a listener was established
	KindBind                    // bind to an AF_INET, AF_INET6 (or, with SyscallTracepoint, AF_UNIX) address
	KindListen                  // listen on an AF_INET, AF_INET6 (or, with SyscallTracepoint, AF_UNIX) socket
	KindDup                     // dup, dup2 or dup3 put a socket on fd 0, 1 or 2
	KindPtrace                  // ptrace attach, seize, poke or register write
	KindMemfd                   // memfd_create
	KindSetID                   // setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid
	KindMount                   // mount
	KindUnshare                 // unshare
	KindSetns                   // setns
	KindModule                  // init_module or finit_module
	KindBPF                     // bpf(BPF_PROG_LOAD)
	KindUmount                  // umount2
	KindChroot                  // chroot
	KindCgroup                  // a cgroup was made or removed, or a process moved into one
	KindCount                   // the number of kinds (one more than the last)
)

var kindNames = [KindCount]string{
	KindExec: "exec", KindFork: "fork", KindExit: "exit", KindOpen: "open", KindRename: "rename",
	KindUnlink: "unlink", KindChmod: "chmod", KindConnect: "connect", KindAccept: "accept",
	KindBind: "bind", KindListen: "listen", KindDup: "dup", KindPtrace: "ptrace", KindMemfd: "memfd",
	KindSetID: "setid", KindMount: "mount", KindUnshare: "unshare", KindSetns: "setns",
	KindModule: "module", KindBPF: "bpf", KindUmount: "umount", KindChroot: "chroot", KindCgroup: "cgroup",
}

func (k Kind) String() string {
	if k > 0 && k < KindCount {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Record is one event from the kernel. Only the kind-specific struct that
// matches Kind is filled; the others keep whatever an earlier Read left.
//
// The process fields (TGID to Comm) describe the task that made the call,
// when the call was reported: after it returned for records from sys_exit,
// before it completed for Entry records (a set*id record then holds the
// credentials before the change). KindAccept records from the default
// hooks are the exception: see ListenerOwner.
type Record struct {
	Kind    Kind
	Syscall Syscall   // the syscall the task was in (x86-64 number); 0 for exec, fork, exit and ListenerOwner accepts
	Time    time.Time // wall-clock time of the event
	BootNS  uint64    // CLOCK_BOOTTIME of the event, ns
	Ret     int64     // the syscall's return value (negative errno on failure); 0 for exec, fork, exit and Entry records

	// Entry is set when the call was reported when the kernel checked it,
	// before it completed (the default hooks: cgroup connect and bind
	// programs, the TCP listen state change, capability checks): Ret is 0
	// and says nothing of the outcome; the call may still fail.
	Entry bool
	// ListenerOwner is set on a KindAccept reported from the TCP state
	// change (the default hooks), which runs in no process of its own: the
	// process fields are those of the process that made the socket listen,
	// as they were then; it need not be the process that calls accept
	// (pre-forked workers, passed sockets). When that listen predates the
	// sensor, TGID is 0 and only UID and EUID (the socket's owner),
	// CgroupID (the socket's cgroup) and NetNS are known; GID and AUID are
	// 4294967295 and the rest 0.
	ListenerOwner bool
	// BeforeExec is set by a file watcher whose records carry only the
	// time they were read: the operation came before an exec of the same
	// process read with it, so the program that did it is the one before
	// the process's last exec.
	BeforeExec bool

	TGID     uint32 // process id
	TID      uint32 // thread id
	PPID     uint32 // process id of the real parent
	UID      uint32 // real user id
	GID      uint32 // real group id
	EUID     uint32 // effective user id
	AUID     uint32 // login (audit) user id; NoAUID when unset
	CgroupID uint64 // cgroup v2 id
	MntNS    uint32 // mount namespace inode number
	PidNS    uint32 // pid namespace inode number
	NetNS    uint32 // network namespace inode number
	Comm     string // the thread's command name (after exec: the new program's)

	Exec    Exec    // KindExec
	Fork    Fork    // KindFork
	Exit    Exit    // KindExit
	File    File    // KindOpen, KindRename, KindUnlink, KindChmod
	Net     Net     // KindConnect, KindAccept, KindBind, KindListen, KindDup
	Ptrace  Ptrace  // KindPtrace
	Memfd   Memfd   // KindMemfd
	SetID   SetID   // KindSetID
	Mount   Mount   // KindMount, KindUmount
	Unshare Unshare // KindUnshare
	Setns   Setns   // KindSetns
	Module  Module  // KindModule
	BPF     BPF     // KindBPF
	Chroot  Chroot  // KindChroot
	Cgroup  Cgroup  // KindCgroup
}

// ErrClosed is what a source's Read returns once the source is closed.
var ErrClosed = errors.New("sensor: closed")

// NoAUID is the AUID of a process that never logged in.
const NoAUID = 1<<32 - 1

// Exec describes a program started by execve/execveat.
type Exec struct {
	Filename      string   // the path given to execve, as the kernel saw it ("/dev/fd/3" for fexecve)
	ExePath       string   // the executable's full path; "/memfd:name (deleted)" for a memfd
	Args          []string // argv
	ArgsTruncated bool     // argv was longer than the 4 KiB captured
	Cwd           string   // the working directory's full path
	PathTruncated bool     // ExePath or Cwd hit the kernel's depth or size limit

	Inode uint64    // the executable's inode number
	Dev   uint64    // the device it is on (unix.Mkdev encoding)
	Mode  uint32    // its mode (type and permission bits)
	Nlink uint32    // its link count (0 when deleted)
	MTime time.Time // its modification time
	CTime time.Time // its status change time

	Memfd   bool // the executable is a memfd (runs from memory)
	Tmpfs   bool // the executable lives on tmpfs/shmem
	Deleted bool // the executable has no links left

	Stdio [3]FD // what fds 0, 1 and 2 are

	// What attributes the process, read from the kernel at the exec.
	Attr Attribution
}

// Attribution is what the kernel says places a process in a container,
// captured at its exec: enough to name the container's runtime and id, and
// to put file paths in the container's view, without reading /proc.
type Attribution struct {
	// CgroupPath is the process's cgroup v2 path (the record's CgroupID
	// is its id).
	CgroupPath string
	// V1CgroupPath is its path in the cgroup v1 hierarchy of the pids
	// controller, V1CgroupID that cgroup's id and V1Hierarchy the
	// hierarchy's id (as in /proc/<pid>/cgroup); empty and 0 where the
	// pids controller is on cgroup v2 or absent.
	V1CgroupPath string
	V1CgroupID   uint64
	V1Hierarchy  uint32
	// RootDev is the device of the file system the process's root
	// directory is on (unix.Mkdev encoding), and RootPath the root's
	// path within that file system: "/" when the root is the file
	// system's own root (the host, an overlay root), else the directory
	// (a bind-mounted rootfs, a chroot).
	RootDev  uint64
	RootPath string
	// Truncated is set when a path hit the kernel's depth limit (the
	// deepest components are kept).
	Truncated bool
}

// FDType is the type of file behind a file descriptor.
type FDType uint8

// File types of FD.Type. The values are the kernel's enum fd_type.
const (
	FDNone    FDType = iota // not open
	FDRegular               // regular file
	FDDir                   // directory
	FDChar                  // character device (terminals among them)
	FDBlock                 // block device
	FDPipe                  // pipe or FIFO
	FDSocket                // socket
	FDSymlink               // symbolic link (O_PATH)
	FDOther                 // anything else (anonymous inodes, ...)
)

var fdTypeNames = [...]string{"none", "regular", "dir", "char", "block", "pipe", "socket", "symlink", "other"}

func (t FDType) String() string {
	if int(t) < len(fdTypeNames) {
		return fdTypeNames[t]
	}
	return "fdtype(" + strconv.Itoa(int(t)) + ")"
}

// FD describes an open file descriptor.
type FD struct {
	Type     FDType
	Family   uint16         // socket address family (unix.AF_INET, ...)
	SockType uint16         // socket type (unix.SOCK_STREAM, ...)
	Local    netip.AddrPort // socket's local address (AF_INET, AF_INET6)
	Remote   netip.AddrPort // socket's peer address (AF_INET, AF_INET6)
	Rdev     uint64         // device number of a character or block device (unix.Mkdev encoding)
}

// TTY reports whether the fd is a terminal (a tty, pts or console device).
func (f FD) TTY() bool {
	if f.Type != FDChar {
		return false
	}
	major := f.Rdev >> 8 & 0xfff
	return major == 4 || major == 5 || major >= 136 && major <= 143
}

// Fork describes a new process.
type Fork struct {
	ChildTGID     uint32 // the new process's id; the record's TGID is the parent
	ChildCgroupID uint64 // the new process's cgroup v2 id (another than the parent's after clone3's CLONE_INTO_CGROUP)
}

// CgroupOp is what a KindCgroup record reports.
type CgroupOp uint8

// Cgroup operations; the values are the kernel's enum cgroup_op.
const (
	CgroupMkdir  CgroupOp = iota + 1 // a cgroup was made
	CgroupRmdir                      // a cgroup was removed
	CgroupAttach                     // a process was moved into a cgroup
)

func (o CgroupOp) String() string {
	switch o {
	case CgroupMkdir:
		return "mkdir"
	case CgroupRmdir:
		return "rmdir"
	case CgroupAttach:
		return "attach"
	}
	return "cgroupop(" + strconv.Itoa(int(o)) + ")"
}

// Cgroup describes a cgroup made or removed, or a process moved into one.
// The record's process fields are the task that did it (for an attach, the
// runtime writing cgroup.procs).
type Cgroup struct {
	Op        CgroupOp
	ID        uint64 // the cgroup's id (on hierarchy 0, the cgroup v2 id records carry)
	Hierarchy uint32 // 0 for cgroup v2, else the v1 hierarchy's id as in /proc/<pid>/cgroup
	Level     uint16 // depth below the hierarchy's root
	PID       uint32 // CgroupAttach: the process moved
	Path      string // the cgroup's path in its hierarchy
	Truncated bool   // Path hit the kernel's depth limit (the deepest components are kept)
}

// Exit describes the end of a process.
type Exit struct {
	Code   int // exit code (when Signal is 0)
	Signal int // the signal that killed the process, or 0
	Core   bool
}

// FileOp is what happened to a file.
type FileOp uint8

// File operations.
const (
	OpOpen FileOp = iota + 1
	OpRename
	OpUnlink
	OpRmdir
	OpChmod
)

func (o FileOp) String() string {
	switch o {
	case OpOpen:
		return "open"
	case OpRename:
		return "rename"
	case OpUnlink:
		return "unlink"
	case OpRmdir:
		return "rmdir"
	case OpChmod:
		return "chmod"
	}
	return "fileop(" + strconv.Itoa(int(o)) + ")"
}

// File describes a file operation.
type File struct {
	Op      FileOp
	Path    string // full path (for rename: the old path)
	NewPath string // rename's new path
	// HostPath and HostNewPath, when not empty, are Path and NewPath as
	// the host sees them, from a file watcher that put the paths in a
	// container's view without knowing whether the process (gone when its
	// event was read) is the container's: the consumer takes these when
	// it finds the process is the host's.
	HostPath, HostNewPath string
	PathTruncated         bool   // a path hit the kernel's depth or size limit
	FromFD                bool   // Path was resolved from the open file itself (opens, fchmod)
	Deleted               bool   // the file had no links left when reported
	FD                    int32  // the fd opened (open), the fd changed (fchmod), or the directory fd (AT_FDCWD = -100)
	Flags                 uint32 // open flags, AT_* flags (unlinkat, fchmodat2) or RENAME_* flags
	Mode                  uint32 // open's create mode or chmod's new mode
	Inode                 uint64 // inode number, when known
	Dev                   uint64 // device (unix.Mkdev encoding), when known
}

// Write reports whether an open asked for writing, creating or truncating.
func (f File) Write() bool {
	return f.Flags&3 != 0 || f.Flags&(0100|01000) != 0
}

// Net describes a socket operation. The default hooks see sockets, not file
// descriptors: there FD and NewFD are -1.
type Net struct {
	FD       int32          // the socket (dup: the old fd); -1 when unknown
	NewFD    int32          // accept: the new connection's fd; dup: the new fd (0, 1 or 2); else -1
	Family   uint16         // unix.AF_INET, unix.AF_INET6 or unix.AF_UNIX
	SockType uint16         // unix.SOCK_STREAM, ...
	Local    netip.AddrPort // local address (bind: the address asked for; connect from the default hooks: the address bound before the connect, often unspecified)
	Remote   netip.AddrPort // peer address (connect: the address asked for)
	UnixPath string         // connect/bind of AF_UNIX: the path ("@name" for an abstract socket)
}

// Ptrace describes a ptrace request.
type Ptrace struct {
	Request uint64 // PTRACE_ATTACH, PTRACE_SEIZE, PTRACE_POKE*, PTRACE_SET*REGS*
	PID     int32  // target thread id
	Addr    uint64
	Data    uint64
}

// Memfd describes memfd_create.
type Memfd struct {
	Name  string
	Flags uint32 // MFD_* flags
}

// SetID describes a set*id call: the ids it asked for. Ids the call does
// not set, or asks to leave ("-1"), are NoChange. The record's header holds
// the credentials after the call, or before it for an Entry record.
type SetID struct {
	Group     bool // a set*gid call: the fields are group ids
	Real      uint32
	Effective uint32
	Saved     uint32
	FS        uint32
}

// NoChange marks an id a SetID call leaves as it is.
const NoChange = 1<<32 - 1

// Mount describes mount(2) and umount2(2).
type Mount struct {
	Source        string // mount only
	Target        string // full path
	FSType        string // mount only
	Flags         uint64 // MS_* flags (mount), MNT_* flags (umount2)
	PathTruncated bool
}

// Chroot describes chroot(2).
type Chroot struct {
	Path          string // the new root's full path
	PathTruncated bool
}

// Unshare describes unshare(2).
type Unshare struct {
	Flags uint64 // CLONE_* flags
}

// Setns describes setns(2).
type Setns struct {
	FD      int32
	NSType  uint64 // CLONE_NEW* flag asked for, 0 for any
	NSInode uint64 // inode number of the fd: the namespace joined (for a pidfd: the pidfd's inode)
}

// Module describes init_module or finit_module.
type Module struct {
	Path  string // finit_module: the module file's full path
	FD    int32  // finit_module: the module file's fd, else -1
	Len   uint64 // init_module: the image size
	Flags uint32 // finit_module flags
}

// BPF describes bpf(BPF_PROG_LOAD).
type BPF struct {
	Cmd        uint32
	ProgType   uint32 // BPF_PROG_TYPE_*
	InsnCount  uint32
	ProgName   string
	AttachType uint32 // expected_attach_type
}
