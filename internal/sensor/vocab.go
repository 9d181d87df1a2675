package sensor

import (
	"strconv"

	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// The sensor's events are vocab's: their names, and the Sigma categories
// that receive them, are declared there; the mapper's names for them
// follow.
type eventID = vocab.ID

const (
	evExecve      = vocab.Execve
	evFork        = vocab.Fork
	evExit        = vocab.Exit
	evCreate      = vocab.Create
	evWrite       = vocab.Write
	evRead        = vocab.Read
	evRename      = vocab.Rename
	evUnlink      = vocab.Unlink
	evRmdir       = vocab.Rmdir
	evChmod       = vocab.Chmod
	evConnect     = vocab.Connect
	evAccept      = vocab.Accept
	evBind        = vocab.Bind
	evListen      = vocab.Listen
	evDup         = vocab.Dup
	evPtrace      = vocab.Ptrace
	evMemfd       = vocab.Memfd
	evSetuid      = vocab.Setuid
	evSetgid      = vocab.Setgid
	evSetreuid    = vocab.Setreuid
	evSetregid    = vocab.Setregid
	evSetresuid   = vocab.Setresuid
	evSetresgid   = vocab.Setresgid
	evSetfsuid    = vocab.Setfsuid
	evSetfsgid    = vocab.Setfsgid
	evMount       = vocab.Mount
	evUnshare     = vocab.Unshare
	evSetns       = vocab.Setns
	evInitModule  = vocab.InitModule
	evFinitModule = vocab.FinitModule
	evBPF         = vocab.BPF
	evUmount      = vocab.Umount
	evChroot      = vocab.Chroot
	numEvents     = vocab.Count
)

// eventNames are the event names by eventID; Stats counts events by this
// index.
var eventNames = func() (n [numEvents]string) {
	for id := range n {
		n[id] = eventID(id).String()
	}
	return n
}()

// setIDEvents maps the x86-64 numbers of the set*id syscalls to their events.
var setIDEvents = map[uint16]eventID{
	105: evSetuid, 106: evSetgid, 113: evSetreuid, 114: evSetregid,
	117: evSetresuid, 119: evSetresgid, 122: evSetfsuid, 123: evSetfsgid,
}

// flagName is one bit (or value) of a flag word and its name.
type flagName struct {
	bit  uint64
	name string
}

var cloneFlags = []flagName{
	{0x00000080, "CLONE_NEWTIME"}, {0x00000200, "CLONE_FS"}, {0x00000400, "CLONE_FILES"},
	{0x00020000, "CLONE_NEWNS"}, {0x00040000, "CLONE_SYSVSEM"}, {0x02000000, "CLONE_NEWCGROUP"},
	{0x04000000, "CLONE_NEWUTS"}, {0x08000000, "CLONE_NEWIPC"}, {0x10000000, "CLONE_NEWUSER"},
	{0x20000000, "CLONE_NEWPID"}, {0x40000000, "CLONE_NEWNET"},
}

var mountFlags = []flagName{
	{1, "MS_RDONLY"}, {2, "MS_NOSUID"}, {4, "MS_NODEV"}, {8, "MS_NOEXEC"}, {16, "MS_SYNCHRONOUS"},
	{32, "MS_REMOUNT"}, {64, "MS_MANDLOCK"}, {128, "MS_DIRSYNC"}, {256, "MS_NOSYMFOLLOW"},
	{1024, "MS_NOATIME"}, {2048, "MS_NODIRATIME"}, {4096, "MS_BIND"}, {8192, "MS_MOVE"},
	{16384, "MS_REC"}, {32768, "MS_SILENT"}, {1 << 16, "MS_POSIXACL"}, {1 << 17, "MS_UNBINDABLE"},
	{1 << 18, "MS_PRIVATE"}, {1 << 19, "MS_SLAVE"}, {1 << 20, "MS_SHARED"}, {1 << 21, "MS_RELATIME"},
	{1 << 22, "MS_KERNMOUNT"}, {1 << 23, "MS_I_VERSION"}, {1 << 24, "MS_STRICTATIME"}, {1 << 25, "MS_LAZYTIME"},
}

var umountFlags = []flagName{{1, "MNT_FORCE"}, {2, "MNT_DETACH"}, {4, "MNT_EXPIRE"}, {8, "UMOUNT_NOFOLLOW"}}

var memfdFlags = []flagName{{1, "MFD_CLOEXEC"}, {2, "MFD_ALLOW_SEALING"}, {4, "MFD_HUGETLB"}, {8, "MFD_NOEXEC_SEAL"}, {16, "MFD_EXEC"}}

// appendFlags appends the names of the bits set in v, joined by '|', with
// any bits left over in hex; "0" when none is set.
func appendFlags(b []byte, v uint64, names []flagName) []byte {
	if v == 0 {
		return append(b, '0')
	}
	first := true
	for _, f := range names {
		if v&f.bit == 0 {
			continue
		}
		if !first {
			b = append(b, '|')
		}
		first = false
		b = append(b, f.name...)
		v &^= f.bit
	}
	if v != 0 {
		if !first {
			b = append(b, '|')
		}
		b = append(b, "0x"...)
		b = strconv.AppendUint(b, v, 16)
	}
	return b
}

var ptraceRequests = map[uint64]string{
	4: "PTRACE_POKETEXT", 5: "PTRACE_POKEDATA", 6: "PTRACE_POKEUSER", 13: "PTRACE_SETREGS",
	15: "PTRACE_SETFPREGS", 16: "PTRACE_ATTACH", 0x4205: "PTRACE_SETREGSET", 0x4206: "PTRACE_SEIZE",
}

// bpfProgTypes are the names of enum bpf_prog_type, without BPF_PROG_TYPE_, lower case.
var bpfProgTypes = [...]string{
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint", "xdp", "perf_event",
	"cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
	"sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2", "sk_reuseport",
	"flow_dissector", "cgroup_sysctl", "raw_tracepoint_writable", "cgroup_sockopt", "tracing",
	"struct_ops", "ext", "lsm", "sk_lookup", "syscall", "netfilter",
}

func bpfProgType(t uint32) string {
	if int(t) < len(bpfProgTypes) {
		return bpfProgTypes[t]
	}
	return strconv.FormatUint(uint64(t), 10)
}

// nsTypes are the namespace kinds setns can join, by their /proc/<pid>/ns
// file and CLONE_NEW* flag.
var nsTypes = []struct {
	file string
	flag uint64
	name string
}{
	{"mnt", 0x00020000, "CLONE_NEWNS"}, {"cgroup", 0x02000000, "CLONE_NEWCGROUP"}, {"uts", 0x04000000, "CLONE_NEWUTS"},
	{"ipc", 0x08000000, "CLONE_NEWIPC"}, {"user", 0x10000000, "CLONE_NEWUSER"}, {"pid", 0x20000000, "CLONE_NEWPID"},
	{"net", 0x40000000, "CLONE_NEWNET"}, {"time", 0x00000080, "CLONE_NEWTIME"},
}

func nsTypeName(flag uint64) string {
	for _, t := range nsTypes {
		if t.flag == flag {
			return t.name
		}
	}
	return "0x" + strconv.FormatUint(flag, 16)
}
