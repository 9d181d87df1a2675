//go:build linux && amd64

package kernel

import (
	"testing"
	"unsafe"
)

// TestLayout checks the decoder's offsets against the types bpf2go
// generated from the C structs.
func TestLayout(t *testing.T) {
	var h sensorEventHeader
	var fi sensorFdInfo
	var e sensorExecBody
	var fb sensorFileBody
	var nb sensorNetBody
	var sb sensorSysBody
	check := func(name string, got uintptr, want int) {
		t.Helper()
		if int(got) != want {
			t.Errorf("%s: C says %d, decoder uses %d", name, got, want)
		}
	}
	check("header size", unsafe.Sizeof(h), hdrSize)
	check("ktime", unsafe.Offsetof(h.Ktime), offKtime)
	check("cgroup_id", unsafe.Offsetof(h.CgroupId), offCgroup)
	check("ret", unsafe.Offsetof(h.Ret), offRet)
	check("kind", unsafe.Offsetof(h.Kind), offKind)
	check("nr", unsafe.Offsetof(h.Nr), offNr)
	check("size", unsafe.Offsetof(h.Size), offSize)
	check("tgid", unsafe.Offsetof(h.Tgid), offTGID)
	check("tid", unsafe.Offsetof(h.Tid), offTID)
	check("ppid", unsafe.Offsetof(h.Ppid), offPPID)
	check("uid", unsafe.Offsetof(h.Uid), offUID)
	check("gid", unsafe.Offsetof(h.Gid), offGID)
	check("euid", unsafe.Offsetof(h.Euid), offEUID)
	check("auid", unsafe.Offsetof(h.Auid), offAUID)
	check("mntns", unsafe.Offsetof(h.Mntns), offMntNS)
	check("pidns", unsafe.Offsetof(h.Pidns), offPidNS)
	check("netns", unsafe.Offsetof(h.Netns), offNetNS)
	check("comm", unsafe.Offsetof(h.Comm), offComm)
	check("comm len", unsafe.Sizeof(h.Comm), commLen)
	check("flags", unsafe.Offsetof(h.Flags), offFlags)

	check("fd_info size", unsafe.Sizeof(fi), fdInfoSize)
	check("fd type", unsafe.Offsetof(fi.Type), offFDType)
	check("fd family", unsafe.Offsetof(fi.Family), offFDFamily)
	check("fd sock_type", unsafe.Offsetof(fi.SockType), offFDSock)
	check("fd lport", unsafe.Offsetof(fi.Lport), offFDLPort)
	check("fd rport", unsafe.Offsetof(fi.Rport), offFDRPort)
	check("fd rdev", unsafe.Offsetof(fi.Rdev), offFDRdev)
	check("fd laddr", unsafe.Offsetof(fi.Laddr), offFDLAddr)
	check("fd raddr", unsafe.Offsetof(fi.Raddr), offFDRAddr)

	check("exec size", unsafe.Sizeof(e), execBodySize)
	check("exec ino", unsafe.Offsetof(e.Ino), offExecIno)
	check("exec mtime", unsafe.Offsetof(e.MtimeSec), offExecMtime)
	check("exec ctime", unsafe.Offsetof(e.CtimeSec), offExecCtime)
	check("exec mtime ns", unsafe.Offsetof(e.MtimeNsec), offExecMtimeNs)
	check("exec ctime ns", unsafe.Offsetof(e.CtimeNsec), offExecCtimeNs)
	check("exec dev", unsafe.Offsetof(e.Dev), offExecDev)
	check("exec nlink", unsafe.Offsetof(e.Nlink), offExecNlink)
	check("exec mode", unsafe.Offsetof(e.Mode), offExecMode)
	check("exec flags", unsafe.Offsetof(e.Flags), offExecFlags)
	check("exec args_len", unsafe.Offsetof(e.ArgsLen), offExecArgsLen)
	check("exec stdio", unsafe.Offsetof(e.Stdio), offExecStdio)
	check("exec v1_cgroup_id", unsafe.Offsetof(e.V1CgroupId), offExecV1ID)
	check("exec v1_hierarchy", unsafe.Offsetof(e.V1Hierarchy), offExecV1Hier)
	check("exec root_dev", unsafe.Offsetof(e.RootDev), offExecRootDev)
	check("exec attr_flags", unsafe.Offsetof(e.AttrFlags), offExecAttrFl)

	check("fork size", unsafe.Sizeof(sensorForkBody{}), forkBodySize)
	check("fork child_cgroup_id", unsafe.Offsetof(sensorForkBody{}.ChildCgroupId), offForkChildCgID)

	var cb sensorCgroupBody
	check("cgroup size", unsafe.Sizeof(cb), cgroupBodySize)
	check("cgroup id", unsafe.Offsetof(cb.Id), offCgroupID)
	check("cgroup hierarchy", unsafe.Offsetof(cb.Hierarchy), offCgroupHier)
	check("cgroup op", unsafe.Offsetof(cb.Op), offCgroupOp)
	check("cgroup level", unsafe.Offsetof(cb.Level), offCgroupLevel)
	check("cgroup pid", unsafe.Offsetof(cb.Pid), offCgroupPID)
	check("cgroup flags", unsafe.Offsetof(cb.Flags), offCgroupFlags)
	check("exit size", unsafe.Sizeof(sensorExitBody{}), exitBodySize)

	check("file size", unsafe.Sizeof(fb), fileBodySize)
	check("file fd", unsafe.Offsetof(fb.Fd), offFileFD)
	check("file flags", unsafe.Offsetof(fb.Flags), offFileFlags)
	check("file mode", unsafe.Offsetof(fb.Mode), offFileMode)
	check("file path_flags", unsafe.Offsetof(fb.PathFlags), offFilePathFlag)
	check("file ino", unsafe.Offsetof(fb.Ino), offFileIno)
	check("file dev", unsafe.Offsetof(fb.Dev), offFileDev)

	check("net size", unsafe.Sizeof(nb), netBodySize)
	check("net fd", unsafe.Offsetof(nb.Fd), offNetFD)
	check("net fd2", unsafe.Offsetof(nb.Fd2), offNetFD2)
	check("net sock", unsafe.Offsetof(nb.Sock), offNetSock)

	check("sys size", unsafe.Sizeof(sb), sysBodySize)
	check("sys args", unsafe.Offsetof(sb.Args), offSysArgs)
	check("sys aux", unsafe.Offsetof(sb.Aux), offSysAux)
	check("sys path_flags", unsafe.Offsetof(sb.PathFlags), offSysPathFlag)
	check("sys aux2", unsafe.Offsetof(sb.Aux2), offSysAux2)
}

// TestEnums checks the Go constants against the C enums.
func TestEnums(t *testing.T) {
	kinds := map[Kind]sensorEventKind{
		KindExec: sensorEventKindEV_EXEC, KindFork: sensorEventKindEV_FORK, KindExit: sensorEventKindEV_EXIT,
		KindOpen: sensorEventKindEV_OPEN, KindRename: sensorEventKindEV_RENAME, KindUnlink: sensorEventKindEV_UNLINK,
		KindChmod: sensorEventKindEV_CHMOD, KindConnect: sensorEventKindEV_CONNECT, KindAccept: sensorEventKindEV_ACCEPT,
		KindBind: sensorEventKindEV_BIND, KindListen: sensorEventKindEV_LISTEN, KindDup: sensorEventKindEV_DUP,
		KindPtrace: sensorEventKindEV_PTRACE, KindMemfd: sensorEventKindEV_MEMFD, KindSetID: sensorEventKindEV_SETID,
		KindMount: sensorEventKindEV_MOUNT, KindUnshare: sensorEventKindEV_UNSHARE, KindSetns: sensorEventKindEV_SETNS,
		KindModule: sensorEventKindEV_MODULE, KindBPF: sensorEventKindEV_BPF, KindUmount: sensorEventKindEV_UMOUNT,
		KindChroot: sensorEventKindEV_CHROOT, KindCgroup: sensorEventKindEV_CGROUP, kindEnd: sensorEventKindEV_MAX,
	}
	for g, c := range kinds {
		if uint32(g) != uint32(c) {
			t.Errorf("kind %s = %d, C says %d", g, g, c)
		}
	}
	fds := map[FDType]sensorFdType{
		FDNone: sensorFdTypeFD_NONE, FDRegular: sensorFdTypeFD_REG, FDDir: sensorFdTypeFD_DIR, FDChar: sensorFdTypeFD_CHR,
		FDBlock: sensorFdTypeFD_BLK, FDPipe: sensorFdTypeFD_FIFO, FDSocket: sensorFdTypeFD_SOCK, FDSymlink: sensorFdTypeFD_LNK,
		FDOther: sensorFdTypeFD_OTHER,
	}
	ops := map[CgroupOp]sensorCgroupOp{CgroupMkdir: sensorCgroupOpCG_MKDIR, CgroupRmdir: sensorCgroupOpCG_RMDIR, CgroupAttach: sensorCgroupOpCG_ATTACH}
	for g, c := range ops {
		if uint32(g) != uint32(c) {
			t.Errorf("cgroup op %s = %d, C says %d", g, g, c)
		}
	}
	for g, c := range fds {
		if uint32(g) != uint32(c) {
			t.Errorf("fd type %s = %d, C says %d", g, g, c)
		}
	}
	flags := map[uint32]uint32{
		pathTruncated: uint32(sensorPathFlagPATH_TRUNCATED), pathDeleted: uint32(sensorPathFlagPATH_DELETED),
		pathDisconnected: uint32(sensorPathFlagPATH_DISCONNECTED), pathTmpfs: uint32(sensorPathFlagPATH_TMPFS),
		pathFromFD: uint32(sensorPathFlagPATH_FROM_FD), execArgsTruncated: uint32(sensorExecFlagEXEC_ARGS_TRUNCATED),
	}
	if flagEntry != uint32(sensorEventFlagEVF_ENTRY) || flagListener != uint32(sensorEventFlagEVF_LISTENER) {
		t.Errorf("record flags %#x %#x, C says %#x %#x", flagEntry, flagListener, sensorEventFlagEVF_ENTRY, sensorEventFlagEVF_LISTENER)
	}
	for g, c := range flags {
		if g != c {
			t.Errorf("flag %#x, C says %#x", g, c)
		}
	}
}
