//go:build linux && amd64

package kernel

import (
	"github.com/vigilsec/vigil/internal/sensor/record"
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
	kinds := map[record.Kind]sensorEventKind{
		record.KindExec: sensorEventKindEV_EXEC, record.KindFork: sensorEventKindEV_FORK, record.KindExit: sensorEventKindEV_EXIT,
		record.KindOpen: sensorEventKindEV_OPEN, record.KindRename: sensorEventKindEV_RENAME, record.KindUnlink: sensorEventKindEV_UNLINK,
		record.KindChmod: sensorEventKindEV_CHMOD, record.KindConnect: sensorEventKindEV_CONNECT, record.KindAccept: sensorEventKindEV_ACCEPT,
		record.KindBind: sensorEventKindEV_BIND, record.KindListen: sensorEventKindEV_LISTEN, record.KindDup: sensorEventKindEV_DUP,
		record.KindPtrace: sensorEventKindEV_PTRACE, record.KindMemfd: sensorEventKindEV_MEMFD, record.KindSetID: sensorEventKindEV_SETID,
		record.KindMount: sensorEventKindEV_MOUNT, record.KindUnshare: sensorEventKindEV_UNSHARE, record.KindSetns: sensorEventKindEV_SETNS,
		record.KindModule: sensorEventKindEV_MODULE, record.KindBPF: sensorEventKindEV_BPF, record.KindUmount: sensorEventKindEV_UMOUNT,
		record.KindChroot: sensorEventKindEV_CHROOT, record.KindCgroup: sensorEventKindEV_CGROUP, record.KindCount: sensorEventKindEV_MAX,
	}
	for g, c := range kinds {
		if uint32(g) != uint32(c) {
			t.Errorf("kind %s = %d, C says %d", g, g, c)
		}
	}
	fds := map[record.FDType]sensorFdType{
		record.FDNone: sensorFdTypeFD_NONE, record.FDRegular: sensorFdTypeFD_REG, record.FDDir: sensorFdTypeFD_DIR, record.FDChar: sensorFdTypeFD_CHR,
		record.FDBlock: sensorFdTypeFD_BLK, record.FDPipe: sensorFdTypeFD_FIFO, record.FDSocket: sensorFdTypeFD_SOCK, record.FDSymlink: sensorFdTypeFD_LNK,
		record.FDOther: sensorFdTypeFD_OTHER,
	}
	ops := map[record.CgroupOp]sensorCgroupOp{record.CgroupMkdir: sensorCgroupOpCG_MKDIR, record.CgroupRmdir: sensorCgroupOpCG_RMDIR, record.CgroupAttach: sensorCgroupOpCG_ATTACH}
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
