package kernel

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"net/netip"
	"path"
	"time"
)

// Layout of the records written by bpf/sensor.bpf.c (bpf/lib/events.h).
// layout_test.go checks every offset against the bpf2go-generated types.
const (
	hdrSize   = 96
	offKtime  = 0
	offCgroup = 8
	offRet    = 16
	offKind   = 24
	offNr     = 26
	offSize   = 28
	offTGID   = 32
	offTID    = 36
	offPPID   = 40
	offUID    = 44
	offGID    = 48
	offEUID   = 52
	offAUID   = 56
	offMntNS  = 60
	offPidNS  = 64
	offNetNS  = 68
	offComm   = 72
	commLen   = 16
	offFlags  = 88

	fdInfoSize  = 48
	offFDType   = 0
	offFDFamily = 2
	offFDSock   = 4
	offFDLPort  = 6
	offFDRPort  = 8
	offFDRdev   = 12
	offFDLAddr  = 16
	offFDRAddr  = 32

	execBodySize   = 224
	offExecIno     = 0
	offExecMtime   = 8
	offExecCtime   = 16
	offExecMtimeNs = 24
	offExecCtimeNs = 28
	offExecDev     = 32
	offExecNlink   = 36
	offExecMode    = 40
	offExecFlags   = 44
	offExecArgsLen = 48
	offExecStdio   = 56
	offExecV1ID    = 200
	offExecV1Hier  = 208
	offExecRootDev = 212
	offExecAttrFl  = 216

	forkBodySize     = 16
	offForkChildCgID = 8

	cgroupBodySize = 24
	offCgroupID    = 0
	offCgroupHier  = 8
	offCgroupOp    = 12
	offCgroupLevel = 14
	offCgroupPID   = 16
	offCgroupFlags = 20
	exitBodySize   = 8

	fileBodySize    = 32
	offFileFD       = 0
	offFileFlags    = 4
	offFileMode     = 8
	offFilePathFlag = 12
	offFileIno      = 16
	offFileDev      = 24

	netBodySize = 56
	offNetFD    = 0
	offNetFD2   = 4
	offNetSock  = 8

	sysBodySize    = 64
	offSysArgs     = 0
	offSysAux      = 48
	offSysPathFlag = 56
	offSysAux2     = 60
)

// Flags the kernel sets on paths (enum path_flag) and exec records (enum exec_flag).
const (
	pathTruncated    = 1
	pathDeleted      = 2
	pathDisconnected = 4
	pathTmpfs        = 8
	pathFromFD       = 16

	execArgsTruncated = 1 << 16

	flagEntry    = 1 // enum event_flag
	flagListener = 2

	nsecMask = 1<<30 - 1
)

// A DecodeError says why a record from the kernel could not be decoded.
type DecodeError struct {
	Kind   record.Kind // the kind the record claimed, 0 if unknown
	Len    int         // the record's length
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Kind == 0 {
		return fmt.Sprintf("kernel record (%d bytes): %s", e.Len, e.Reason)
	}
	return fmt.Sprintf("kernel record %s (%d bytes): %s", e.Kind, e.Len, e.Reason)
}

var le = binary.LittleEndian

// bodySizes is the fixed body size of each kind.
var bodySizes = [record.KindCount]int{
	record.KindExec: execBodySize, record.KindFork: forkBodySize, record.KindExit: exitBodySize,
	record.KindOpen: fileBodySize, record.KindRename: fileBodySize, record.KindUnlink: fileBodySize, record.KindChmod: fileBodySize,
	record.KindConnect: netBodySize, record.KindAccept: netBodySize, record.KindBind: netBodySize, record.KindListen: netBodySize, record.KindDup: netBodySize,
	record.KindPtrace: sysBodySize, record.KindMemfd: sysBodySize, record.KindSetID: sysBodySize, record.KindMount: sysBodySize,
	record.KindUnshare: sysBodySize, record.KindSetns: sysBodySize, record.KindModule: sysBodySize, record.KindBPF: sysBodySize,
	record.KindUmount: sysBodySize, record.KindChroot: sysBodySize, record.KindCgroup: cgroupBodySize,
}

// span is where a string lies in Record.text.
type span struct{ start, end int }

// Decode fills r from one raw record. bootWall is the wall-clock time of
// boot (CLOCK_BOOTTIME zero) in Unix ns. Strings in r never share memory
// with b.
func Decode(b []byte, r *record.Record, bootWall int64) error {
	d := decoder{Record: r}
	return d.decode(b, bootWall)
}

// decoder fills a record from raw records; it keeps its buffers from one
// record to the next.
type decoder struct {
	*record.Record
	text  []byte // the record's strings before they become one string
	spans []span // where each string lies in text
}

func (r *decoder) decode(b []byte, bootWall int64) error {
	if len(b) < hdrSize {
		return &DecodeError{Len: len(b), Reason: fmt.Sprintf("shorter than the %d-byte header", hdrSize)}
	}
	kind := record.Kind(le.Uint16(b[offKind:]))
	if kind == 0 || kind >= record.KindCount {
		return &DecodeError{Len: len(b), Reason: fmt.Sprintf("unknown kind %d", kind)}
	}
	if size := le.Uint32(b[offSize:]); int(size) != len(b) {
		return &DecodeError{Kind: kind, Len: len(b), Reason: fmt.Sprintf("header says %d bytes", size)}
	}
	need := hdrSize + bodySizes[kind]
	if len(b) < need {
		return &DecodeError{Kind: kind, Len: len(b), Reason: fmt.Sprintf("shorter than header and body (%d bytes)", need)}
	}
	r.Kind = kind
	r.Syscall = record.Syscall(le.Uint16(b[offNr:]))
	r.BootNS = le.Uint64(b[offKtime:])
	r.Time = time.Unix(0, bootWall+int64(r.BootNS))
	r.Ret = int64(le.Uint64(b[offRet:]))
	r.TGID = le.Uint32(b[offTGID:])
	r.TID = le.Uint32(b[offTID:])
	r.PPID = le.Uint32(b[offPPID:])
	r.UID = le.Uint32(b[offUID:])
	r.GID = le.Uint32(b[offGID:])
	r.EUID = le.Uint32(b[offEUID:])
	r.AUID = le.Uint32(b[offAUID:])
	r.CgroupID = le.Uint64(b[offCgroup:])
	r.MntNS = le.Uint32(b[offMntNS:])
	r.PidNS = le.Uint32(b[offPidNS:])
	r.NetNS = le.Uint32(b[offNetNS:])
	flags := le.Uint32(b[offFlags:])
	r.Entry = flags&flagEntry != 0
	r.ListenerOwner = flags&flagListener != 0
	r.BeforeExec = false

	r.text = r.text[:0]
	r.spans = r.spans[:0]
	comm := b[offComm : offComm+commLen]
	if i := bytes.IndexByte(comm, 0); i >= 0 {
		comm = comm[:i]
	}
	r.add(comm)

	body := b[hdrSize:need]
	s := strReader{b: b, off: need, kind: kind}
	var err error
	switch kind {
	case record.KindExec:
		err = r.decodeExec(body, &s)
	case record.KindFork:
		r.Fork = record.Fork{ChildTGID: le.Uint32(body), ChildCgroupID: le.Uint64(body[offForkChildCgID:])}
	case record.KindCgroup:
		err = r.decodeCgroup(body, &s)
	case record.KindExit:
		r.Exit = exitStatus(le.Uint32(body))
	case record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod:
		err = r.decodeFile(body, &s)
	case record.KindConnect, record.KindAccept, record.KindBind, record.KindListen, record.KindDup:
		err = r.decodeNet(body, &s)
	default:
		err = r.decodeSys(body, &s)
	}
	if err != nil {
		return err
	}
	if s.off != len(b) {
		return &DecodeError{Kind: kind, Len: len(b), Reason: fmt.Sprintf("%d bytes left after the last string", len(b)-s.off)}
	}
	all := string(r.text)
	r.Comm = r.str(all, 0)
	switch kind {
	case record.KindExec:
		e := &r.Exec
		e.Filename, e.ExePath, e.Cwd = r.str(all, 1), r.str(all, 2), r.str(all, 3)
		e.Attr.CgroupPath, e.Attr.V1CgroupPath, e.Attr.RootPath = r.str(all, 4), r.str(all, 5), r.str(all, 6)
		for i := 7; i < len(r.spans); i++ {
			e.Args = append(e.Args, r.str(all, i))
		}
		e.Memfd = e.Tmpfs && e.Deleted && len(e.ExePath) > 7 && e.ExePath[:7] == "/memfd:"
	case record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod:
		r.File.Path = r.str(all, 1)
		if kind == record.KindRename {
			r.File.NewPath = r.str(all, 2)
		}
	case record.KindConnect, record.KindAccept, record.KindBind, record.KindListen, record.KindDup:
		r.Net.UnixPath = r.str(all, 1)
	case record.KindMemfd:
		r.Memfd.Name = r.str(all, 1)
	case record.KindMount:
		r.Mount.Source, r.Mount.Target, r.Mount.FSType = r.str(all, 1), r.str(all, 2), r.str(all, 3)
	case record.KindUmount:
		r.Mount.Target = r.str(all, 1)
	case record.KindChroot:
		r.Chroot.Path = r.str(all, 1)
	case record.KindModule:
		r.Module.Path = r.str(all, 1)
	case record.KindBPF:
		r.BPF.ProgName = r.str(all, 1)
	case record.KindCgroup:
		r.Cgroup.Path = r.str(all, 1)
	}
	return nil
}

// add appends a string to the record's text.
func (r *decoder) add(s []byte) {
	start := len(r.text)
	r.text = append(r.text, s...)
	r.spans = append(r.spans, span{start, len(r.text)})
}

// begin and end bracket a string built in place in the record's text.
func (r *decoder) begin() int { return len(r.text) }
func (r *decoder) end(start int) {
	r.spans = append(r.spans, span{start, len(r.text)})
}

func (r *decoder) str(all string, i int) string {
	sp := r.spans[i]
	return all[sp.start:sp.end]
}

// strReader reads the length-prefixed strings after a record's body.
type strReader struct {
	b    []byte
	off  int
	kind record.Kind
}

func (s *strReader) next() ([]byte, error) {
	if len(s.b)-s.off < 2 {
		return nil, &DecodeError{Kind: s.kind, Len: len(s.b), Reason: fmt.Sprintf("string length at %d past the end", s.off)}
	}
	n := int(le.Uint16(s.b[s.off:]))
	s.off += 2
	if len(s.b)-s.off < n {
		return nil, &DecodeError{Kind: s.kind, Len: len(s.b), Reason: fmt.Sprintf("%d-byte string at %d past the end", n, s.off)}
	}
	v := s.b[s.off : s.off+n]
	s.off += n
	return v, nil
}

func (r *decoder) decodeExec(body []byte, s *strReader) error {
	e := &r.Exec
	args := e.Args[:0]
	*e = record.Exec{Args: args}
	e.Inode = le.Uint64(body[offExecIno:])
	// The top bits of the kernel's nanoseconds are flags (multigrain timestamps).
	e.MTime = time.Unix(int64(le.Uint64(body[offExecMtime:])), int64(le.Uint32(body[offExecMtimeNs:])&nsecMask))
	e.CTime = time.Unix(int64(le.Uint64(body[offExecCtime:])), int64(le.Uint32(body[offExecCtimeNs:])&nsecMask))
	e.Dev = mkdev(le.Uint32(body[offExecDev:]))
	e.Nlink = le.Uint32(body[offExecNlink:])
	e.Mode = le.Uint32(body[offExecMode:])
	flags := le.Uint32(body[offExecFlags:])
	e.ArgsTruncated = flags&execArgsTruncated != 0
	e.PathTruncated = flags&(pathTruncated|pathTruncated<<8) != 0
	e.Tmpfs = flags&pathTmpfs != 0
	e.Deleted = flags&pathDeleted != 0
	for i := range e.Stdio {
		e.Stdio[i] = fdInfo(body[offExecStdio+i*fdInfoSize:])
	}
	aflags := le.Uint32(body[offExecAttrFl:])
	e.Attr = record.Attribution{
		V1CgroupID:  le.Uint64(body[offExecV1ID:]),
		V1Hierarchy: le.Uint32(body[offExecV1Hier:]),
		RootDev:     mkdev(le.Uint32(body[offExecRootDev:])),
		Truncated:   aflags&(pathTruncated|pathTruncated<<8|pathTruncated<<16) != 0,
	}

	filename, err := s.next()
	if err != nil {
		return err
	}
	exe, err := s.next()
	if err != nil {
		return err
	}
	argv, err := s.next()
	if err != nil {
		return err
	}
	cwd, err := s.next()
	if err != nil {
		return err
	}
	var attr [3][]byte // cgroup v2 path, v1 path, root path
	for i := range attr {
		if attr[i], err = s.next(); err != nil {
			return err
		}
	}
	r.add(filename)
	start := r.begin()
	if len(exe) > 0 || flags&pathFromFD != 0 {
		r.text = appendPath(r.text, exe)
		if e.Deleted {
			r.text = append(r.text, " (deleted)"...)
		}
	}
	r.end(start)
	start = r.begin()
	r.text = appendPath(r.text, cwd)
	r.end(start)
	for i, p := range attr {
		start = r.begin()
		if len(p) > 0 || i != 1 {
			// An empty v1 path means no v1 hierarchy; the others are "/".
			r.text = appendPath(r.text, p)
		}
		r.end(start)
	}
	if len(argv) > 0 && argv[len(argv)-1] == 0 {
		argv = argv[:len(argv)-1]
	}
	for len(argv) > 0 {
		i := bytes.IndexByte(argv, 0)
		if i < 0 {
			r.add(argv)
			break
		}
		r.add(argv[:i])
		argv = argv[i+1:]
	}
	return nil
}

func (r *decoder) decodeFile(body []byte, s *strReader) error {
	f := &r.File
	pflags := le.Uint32(body[offFilePathFlag:])
	*f = record.File{
		FD:            int32(le.Uint32(body[offFileFD:])),
		Flags:         le.Uint32(body[offFileFlags:]),
		Mode:          le.Uint32(body[offFileMode:]),
		Inode:         le.Uint64(body[offFileIno:]),
		PathTruncated: pflags&(pathTruncated|pathTruncated<<8) != 0,
		FromFD:        pflags&pathFromFD != 0,
		Deleted:       pflags&pathDeleted != 0,
	}
	if dev := le.Uint32(body[offFileDev:]); dev != 0 {
		f.Dev = mkdev(dev)
	}
	switch r.Kind {
	case record.KindOpen:
		f.Op = record.OpOpen
	case record.KindRename:
		f.Op = record.OpRename
	case record.KindUnlink:
		f.Op = record.OpUnlink
		if f.Flags&0x200 != 0 {
			f.Op = record.OpRmdir
		}
	case record.KindChmod:
		f.Op = record.OpChmod
	}
	if err := r.atPath(s); err != nil {
		return err
	}
	if r.Kind == record.KindRename {
		return r.atPath(s)
	}
	return nil
}

// atPath reads a name and the directory it is relative to, and adds the joined path.
func (r *decoder) atPath(s *strReader) error {
	name, err := s.next()
	if err != nil {
		return err
	}
	dir, err := s.next()
	if err != nil {
		return err
	}
	start := r.begin()
	if len(name) > 0 && name[0] == '/' {
		r.text = append(r.text, name...)
	} else {
		r.text = appendPath(r.text, dir)
		if len(name) > 0 {
			if len(r.text)-start > 1 {
				r.text = append(r.text, '/')
			}
			r.text = append(r.text, name...)
		}
	}
	if p := r.text[start:]; needsClean(p) {
		c := path.Clean(string(p))
		r.text = append(r.text[:start], c...)
	}
	r.end(start)
	return nil
}

func (r *decoder) decodeNet(body []byte, s *strReader) error {
	sock := fdInfo(body[offNetSock:])
	r.Net = record.Net{
		FD:       int32(le.Uint32(body[offNetFD:])),
		NewFD:    int32(le.Uint32(body[offNetFD2:])),
		Family:   sock.Family,
		SockType: sock.SockType,
		Local:    sock.Local,
		Remote:   sock.Remote,
	}
	p, err := s.next()
	if err != nil {
		return err
	}
	start := r.begin()
	if len(p) > 0 && p[0] == 0 {
		r.text = append(r.text, '@')
		r.text = append(r.text, bytes.TrimRight(p[1:], "\x00")...)
	} else {
		if i := bytes.IndexByte(p, 0); i >= 0 {
			p = p[:i]
		}
		r.text = append(r.text, p...)
	}
	r.end(start)
	return nil
}

func (r *decoder) decodeCgroup(body []byte, s *strReader) error {
	r.Cgroup = record.Cgroup{
		Op:        record.CgroupOp(le.Uint16(body[offCgroupOp:])),
		ID:        le.Uint64(body[offCgroupID:]),
		Hierarchy: le.Uint32(body[offCgroupHier:]),
		Level:     le.Uint16(body[offCgroupLevel:]),
		PID:       le.Uint32(body[offCgroupPID:]),
		Truncated: le.Uint32(body[offCgroupFlags:])&pathTruncated != 0,
	}
	if r.Cgroup.Op < record.CgroupMkdir || r.Cgroup.Op > record.CgroupAttach {
		return &DecodeError{Kind: record.KindCgroup, Len: len(s.b), Reason: fmt.Sprintf("unknown cgroup operation %d", r.Cgroup.Op)}
	}
	p, err := s.next()
	if err != nil {
		return err
	}
	start := r.begin()
	r.text = appendPath(r.text, p)
	r.end(start)
	return nil
}

func (r *decoder) decodeSys(body []byte, s *strReader) error {
	var a [6]uint64
	for i := range a {
		a[i] = le.Uint64(body[offSysArgs+8*i:])
	}
	aux := le.Uint64(body[offSysAux:])
	pflags := le.Uint32(body[offSysPathFlag:])
	switch r.Kind {
	case record.KindPtrace:
		r.Ptrace = record.Ptrace{Request: a[0], PID: int32(a[1]), Addr: a[2], Data: a[3]}
	case record.KindMemfd:
		r.Memfd = record.Memfd{Flags: uint32(a[1])}
		return r.addNext(s)
	case record.KindSetID:
		r.SetID = setID(r.Syscall, a)
	case record.KindMount:
		r.Mount = record.Mount{Flags: a[3], PathTruncated: pflags&pathTruncated != 0}
		if err := r.addNext(s); err != nil {
			return err
		}
		if err := r.atPath(s); err != nil {
			return err
		}
		return r.addNext(s)
	case record.KindUmount:
		r.Mount = record.Mount{Flags: a[1], PathTruncated: pflags&pathTruncated != 0}
		return r.atPath(s)
	case record.KindChroot:
		r.Chroot = record.Chroot{PathTruncated: pflags&pathTruncated != 0}
		return r.atPath(s)
	case record.KindUnshare:
		r.Unshare = record.Unshare{Flags: a[0]}
	case record.KindSetns:
		r.Setns = record.Setns{FD: int32(a[0]), NSType: a[1], NSInode: aux}
	case record.KindModule:
		if r.Syscall == 175 {
			r.Module = record.Module{FD: -1, Len: a[1]}
			r.add(nil)
			return nil
		}
		r.Module = record.Module{FD: int32(a[0]), Flags: uint32(a[2])}
		return r.atPath(s)
	case record.KindBPF:
		r.BPF = record.BPF{Cmd: uint32(a[0]), ProgType: uint32(aux), InsnCount: uint32(aux >> 32), AttachType: le.Uint32(body[offSysAux2:])}
		return r.addNext(s)
	}
	return nil
}

func (r *decoder) addNext(s *strReader) error {
	v, err := s.next()
	if err != nil {
		return err
	}
	r.add(v)
	return nil
}

func setID(nr record.Syscall, a [6]uint64) record.SetID {
	id := record.SetID{Real: record.NoChange, Effective: record.NoChange, Saved: record.NoChange, FS: record.NoChange}
	switch nr {
	case 106, 114, 119, 123:
		id.Group = true
	}
	switch nr {
	case 105, 106: // setuid, setgid
		id.Effective = uint32(a[0])
	case 113, 114: // setreuid, setregid
		id.Real, id.Effective = uint32(a[0]), uint32(a[1])
	case 117, 119: // setresuid, setresgid
		id.Real, id.Effective, id.Saved = uint32(a[0]), uint32(a[1]), uint32(a[2])
	case 122, 123: // setfsuid, setfsgid
		id.FS = uint32(a[0])
	}
	return id
}

func exitStatus(code uint32) record.Exit {
	if sig := code & 0x7f; sig != 0 {
		return record.Exit{Signal: int(sig), Core: code&0x80 != 0}
	}
	return record.Exit{Code: int(code >> 8 & 0xff)}
}

func fdInfo(b []byte) record.FD {
	fd := record.FD{
		Type:     record.FDType(b[offFDType]),
		Family:   le.Uint16(b[offFDFamily:]),
		SockType: le.Uint16(b[offFDSock:]),
	}
	lport, rport := le.Uint16(b[offFDLPort:]), le.Uint16(b[offFDRPort:])
	switch fd.Family {
	case 2: // AF_INET
		fd.Local = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[offFDLAddr:offFDLAddr+4])), lport)
		fd.Remote = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[offFDRAddr:offFDRAddr+4])), rport)
	case 10: // AF_INET6
		fd.Local = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[offFDLAddr:offFDLAddr+16])), lport)
		fd.Remote = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[offFDRAddr:offFDRAddr+16])), rport)
	}
	if fd.Type == record.FDChar || fd.Type == record.FDBlock {
		fd.Rdev = mkdev(le.Uint32(b[offFDRdev:]))
	}
	return fd
}

// mkdev turns a kernel dev_t (major << 20 | minor) into the user-space encoding.
func mkdev(dev uint32) uint64 {
	major, minor := uint64(dev>>20), uint64(dev&0xfffff)
	return (major&0xfffff000)<<32 | (major&0xfff)<<8 | (minor&0xffffff00)<<12 | minor&0xff
}

// appendPath appends "/cn/.../c0" for components "c0\0c1\0...cn\0" (leaf first).
func appendPath(dst, comps []byte) []byte {
	end := len(comps)
	if end > 0 && comps[end-1] == 0 {
		end--
	}
	if end <= 0 {
		return append(dst, '/')
	}
	for end > 0 {
		i := bytes.LastIndexByte(comps[:end], 0)
		dst = append(dst, '/')
		dst = append(dst, comps[i+1:end]...)
		end = i
	}
	return dst
}

// needsClean reports whether p has "//", "/./", "/../" or a trailing "/", "/." or "/..".
func needsClean(p []byte) bool {
	if len(p) > 1 && p[len(p)-1] == '/' {
		return true
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		rest := p[i+1:]
		if len(rest) > 0 && rest[0] == '/' {
			return true
		}
		if len(rest) > 0 && rest[0] == '.' {
			if len(rest) == 1 || rest[1] == '/' {
				return true
			}
			if rest[1] == '.' && (len(rest) == 2 || rest[2] == '/') {
				return true
			}
		}
	}
	return len(p) > 0 && p[0] != '/'
}
