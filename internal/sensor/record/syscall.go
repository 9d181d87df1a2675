package record

import "strconv"

// Syscall is an x86-64 syscall number.
type Syscall uint16

var syscallNames = map[Syscall]string{
	2: "open", 32: "dup", 33: "dup2", 42: "connect", 43: "accept", 49: "bind", 50: "listen",
	82: "rename", 84: "rmdir", 85: "creat", 87: "unlink", 90: "chmod", 91: "fchmod", 101: "ptrace",
	105: "setuid", 106: "setgid", 113: "setreuid", 114: "setregid", 117: "setresuid", 119: "setresgid",
	122: "setfsuid", 123: "setfsgid", 161: "chroot", 165: "mount", 166: "umount2", 175: "init_module", 257: "openat", 263: "unlinkat",
	264: "renameat", 268: "fchmodat", 272: "unshare", 288: "accept4", 292: "dup3", 308: "setns",
	313: "finit_module", 316: "renameat2", 319: "memfd_create", 321: "bpf", 437: "openat2", 452: "fchmodat2",
}

func (s Syscall) String() string {
	if s == 0 {
		return ""
	}
	if n, ok := syscallNames[s]; ok {
		return n
	}
	return "syscall(" + strconv.Itoa(int(s)) + ")"
}
