//go:build linux

package sensor

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/container"
	"github.com/vigilsec/vigil/internal/sensor/fanotify"
	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"github.com/vigilsec/vigil/internal/sensor/proctree"
	"github.com/vigilsec/vigil/internal/sensor/record"
)

// attributor finds the container a record came from, and is told what the
// kernel reports of cgroups.
type attributor interface {
	Lookup(cgroupID uint64, pid uint32) container.Info
	CgroupMade(id uint64, path string, t time.Time)
	CgroupJoined(id uint64, path string, by container.Runtime)
	CgroupNamed(id uint64, path string)
	CgroupRemoved(id uint64, t time.Time)
	V1Joined(path string, by container.Runtime)
	LookupV1(path string) container.Info
}

// containerWatcher is told of containers whose files it should watch
// (the fanotify watcher).
type containerWatcher interface {
	AddContainer(pid uint32) error
	RemoveContainer(pid uint32) error
}

// prog is what a process runs, as its events report it. A forked child
// shares its parent's until it execs.
type prog struct {
	execTime time.Time // the exec's time; zero for a program known only from the tree
	path     string    // as executed, absolute
	name     string    // base name of path
	exe      string    // the executable file, links resolved
	cmdline  string
	cwd      string
	drift    string // "true", "false", or "" when unknown (host processes, memfds)
	fileless string
	// rootDev and rootPath are the process's root directory as the
	// kernel reported it at the exec (device, path within its file
	// system); 0 and "" when unknown.
	rootDev  uint64
	rootPath string
}

// block holds an event and every group a sensor event can fill, so that an
// event costs one allocation.
type block struct {
	e event.Event
	p event.ProcessFields
	k event.ContainerFields
	f event.FileFields
	n event.NetworkFields
}

// mapper turns records into events. It is not safe for concurrent use.
type mapper struct {
	tree     *processTree
	attr     attributor
	users    *users
	node     string
	procRoot string
	// hostNS names the namespaces of the host's init process by inode.
	hostNS map[uint64]string
	// startOf and metaOf read a container's start time and runtime
	// metadata.
	startOf func(container.Info) time.Time
	metaOf  func(container.Info) *container.Metadata

	// files, when set, is told of each container by one of its
	// processes: watched maps a container to that process, watchedPID
	// back.
	files      containerWatcher
	watched    map[string]watchedBy
	watchedPID map[uint32]string
	// warnedUnwatched: a container's file system that cannot be watched
	// was logged at warning level once.
	warnedUnwatched bool
	// v1Hierarchy is the cgroup v1 hierarchy whose paths processes carry
	// in the tree (the pids controller's, where it is on v1): a
	// container of a runtime that uses only the v1 hierarchies is told
	// by it.
	v1Hierarchy uint32
	// nsCtr maps a container's mount namespace to the container, so that
	// a process that entered it without joining the container's cgroup
	// (nsenter) is the container's; hostMnt, hostPid and hostNet are the
	// host's namespaces.
	nsCtr                     map[uint32]container.Info
	hostMnt, hostPid, hostNet uint32
	// mounts, when set, is the host's mount table, where a container's
	// root is found to put host paths in the container's view.
	mounts *mounts.Table
	log    *slog.Logger

	selfPaths map[selfKey]string // programs that executed themselves again, resolved
	anc       map[string]string  // ancestor lists, interned
	ips       map[netip.Addr]string
	pods      map[*container.Metadata]string
	lin       []treeProcess
	buf       []byte
	// last is the attribution of the record handle last mapped.
	last container.Info

	stats *counters
}

// watchedBy is the process a container was registered with the file
// watcher by; init when it is the container's init process.
type watchedBy struct {
	pid  uint32
	init bool
	// execd: registered at or after an exec of the process, when the
	// container's root and mounts are in place. The init process may be
	// named (by the runtime) while it is still runc init, before
	// pivot_root: such a registration is made again at its exec.
	execd bool
}

// processTree is the process store: the tree keeps each process with
// what the kernel said of it (cgroups, namespaces) and the program it runs
// as its events report it, and forgets them together, a grace period
// after the process exits.
type processTree = proctree.Tree[*prog]

// treeProcess is one process of the tree.
type treeProcess = proctree.Process[*prog]

type selfKey struct {
	mntns uint32
	ino   uint64
	argv0 string
}

const internMax = 4096

func newMapper(tree *processTree, attr attributor, u *users, node, procRoot string, stats *counters) *mapper {
	m := &mapper{
		tree: tree, attr: attr, users: u, node: node, procRoot: procRoot,
		hostNS:     hostNamespaces(procRoot),
		startOf:    containerStart,
		metaOf:     containerMetadata,
		watched:    map[string]watchedBy{},
		watchedPID: map[uint32]string{},
		nsCtr:      map[uint32]container.Info{},
		log:        slog.New(slog.DiscardHandler),
		selfPaths:  map[selfKey]string{},
		anc:        map[string]string{},
		ips:        map[netip.Addr]string{},
		pods:       map[*container.Metadata]string{},
		stats:      stats,
	}
	m.setHostNS(m.hostNS)
	return m
}

// setHostNS sets the host's namespaces, by inode.
func (m *mapper) setHostNS(ns map[uint64]string) {
	m.hostNS = ns
	for ino, name := range ns {
		switch name {
		case "CLONE_NEWNS":
			m.hostMnt = uint32(ino)
		case "CLONE_NEWPID":
			m.hostPid = uint32(ino)
		case "CLONE_NEWNET":
			m.hostNet = uint32(ino)
		}
	}
}

func containerStart(i container.Info) time.Time {
	if i.Container == nil {
		return time.Time{}
	}
	t, _ := i.Container.StartTime()
	return t
}

func containerMetadata(i container.Info) *container.Metadata {
	if i.Container == nil {
		return nil
	}
	return i.Container.Metadata()
}

// hostNamespaces reads the namespace inodes of the host's init process.
func hostNamespaces(procRoot string) map[uint64]string {
	ns := map[uint64]string{}
	for _, t := range nsTypes {
		var st unix.Stat_t
		if unix.Stat(procRoot+"/1/ns/"+t.file, &st) == nil {
			ns[st.Ino] = t.name
		}
	}
	return ns
}

// handle updates the process tree with r and returns its event, or nil
// for a record that is no event of its own. A partial record carries only
// its kind, time, process id and own fields (a file watcher's): the rest
// of its header comes from the tree.
func (m *mapper) handle(r *record.Record, partial bool) *event.Event {
	m.stats.record(r.Kind)
	m.last = container.Info{}
	known := true
	inTree := true
	if partial {
		known = m.fillHeader(r)
	} else if r.TGID != 0 && !r.ListenerOwner {
		inTree = m.tree.SetFacts(int32(r.TGID), r.CgroupID, r.MntNS, r.PidNS, r.NetNS)
	}
	b := new(block)
	e := &b.e
	e.Time = r.Time.UTC()
	e.Vendor, e.VendorProduct = event.VendorLinux, Product
	e.Dest = m.node
	e.Status = event.StatusSuccess
	e.Proc = &b.p
	p := &b.p

	pid := int32(r.TGID)
	var self *prog
	var id eventID
	if r.Kind == record.KindExec {
		a := &r.Exec.Attr
		if r.CgroupID != 0 && a.CgroupPath != "" {
			m.attr.CgroupNamed(r.CgroupID, a.CgroupPath)
		}
		if a.V1Hierarchy != 0 {
			m.v1Hierarchy = a.V1Hierarchy
		}
	}
	info := m.container(r)
	if info.ID == "" && r.File.HostPath != "" {
		// The watcher guessed the process was a container's; it is the
		// host's.
		r.File.Path = r.File.HostPath
		if r.File.HostNewPath != "" {
			r.File.NewPath = r.File.HostNewPath
		}
	}
	switch r.Kind {
	case record.KindExec:
		self = m.execProg(r, info)
		m.tree.Exec(proctree.Exec[*prog]{
			PID: pid, PPID: int32(r.PPID), Time: r.Time, Exe: self.path,
			Argv: append([]string(nil), r.Exec.Args...), Cwd: r.Exec.Cwd,
			UID: r.UID, GID: r.GID, CgroupID: r.CgroupID, ContainerID: info.ID, Data: self,
		})
		if !inTree {
			m.tree.SetFacts(pid, r.CgroupID, r.MntNS, r.PidNS, r.NetNS)
		}
		if a := &r.Exec.Attr; a.V1Hierarchy != 0 {
			m.tree.SetCgroupV1(pid, a.V1CgroupPath)
		}
		id = evExecve
		e.Dataset, e.Action = event.Process, "exec"
		p.Stdin, p.Stdout = stdio(r.Exec.Stdio[0]), stdio(r.Exec.Stdio[1])
		for _, fd := range r.Exec.Stdio[:2] {
			if fd.Type == record.FDSocket {
				m.setSocket(b, fd.Family, fd.SockType, fd.Local, fd.Remote)
				break
			}
		}
	case record.KindFork:
		child := int32(r.Fork.ChildTGID)
		m.tree.Fork(proctree.Fork{PID: child, PPID: pid, Time: r.Time, CgroupID: r.Fork.ChildCgroupID})
		pid = child // the event is the new process's
		id = evFork
		e.Dataset, e.Action = event.Process, "start"
	case record.KindExit:
		id = evExit
		e.Dataset, e.Action = event.Process, "stop"
		if r.Exit.Signal != 0 {
			p.SyscallArgs = "signal=" + strconv.Itoa(r.Exit.Signal)
		} else {
			p.SyscallArgs = "code=" + strconv.Itoa(r.Exit.Code)
		}
	default:
		if r.BeforeExec {
			self = m.programBefore(pid, r.Time)
		}
		if info.ID != "" && r.File.Op != 0 && isFileKind(r.Kind) && !m.localize(r, pid) {
			return nil
		}
		id = m.syscallEvent(r, b)
	}
	e.EventName = eventNames[id]
	m.stats.events[id].Add(1)

	m.fillProcess(b, r, pid, self, info, known)
	m.fillContainer(b, info)
	if info.ID != "" {
		if tp, ok := m.tree.Get(pid); ok {
			p.HostNamespaces = m.hostNamespaces(&tp)
		}
	}
	if info.ID != "" && m.files != nil {
		m.watch(info, r.TGID, r.Kind == record.KindExec)
	}
	switch r.Kind {
	case record.KindExit:
		m.tree.Exit(proctree.Exit{PID: pid, Time: r.Time, Code: int32(r.Exit.Code)})
		if id, ok := m.watchedPID[r.TGID]; ok {
			m.unwatch(id, r.TGID)
		}
	}
	return e
}

// cgroupRecord tells the attributor what the kernel reported of a cgroup
// v2: made, removed, or joined by a process (and by which runtime). It is
// no event of its own.
func (m *mapper) cgroupRecord(r *record.Record) {
	m.stats.record(r.Kind)
	c := &r.Cgroup
	if c.Hierarchy != 0 {
		// The v1 hierarchy of the pids controller (the one exec records
		// name): for runtimes that use only v1.
		if c.Op == record.CgroupAttach && (m.v1Hierarchy == 0 || c.Hierarchy == m.v1Hierarchy) {
			if by := m.joinedBy(r); by != container.RuntimeUnknown && m.v1Hierarchy != 0 {
				m.attr.V1Joined(c.Path, by)
			}
			if m.v1Hierarchy != 0 && c.PID != 0 {
				m.tree.SetCgroupV1(int32(c.PID), c.Path)
			}
		}
		return
	}
	switch c.Op {
	case record.CgroupMkdir:
		m.attr.CgroupMade(c.ID, c.Path, r.Time)
	case record.CgroupRmdir:
		m.attr.CgroupRemoved(c.ID, r.Time)
	case record.CgroupAttach:
		m.attr.CgroupJoined(c.ID, c.Path, m.joinedBy(r))
		if c.PID != 0 {
			m.tree.SetFacts(int32(c.PID), c.ID, 0, 0, 0)
		}
	}
}

// hostNamespaces says which of a container process's namespaces are the
// host's: "mnt,pid,net", or a part, or "".
func (m *mapper) hostNamespaces(tp *treeProcess) string {
	ns := [3]uint32{tp.MntNS, tp.PidNS, tp.NetNS}
	const (
		mnt = 1 << iota
		pidb
		net
	)
	bits := 0
	if ns[0] != 0 && ns[0] == m.hostMnt {
		bits |= mnt
	}
	if ns[1] != 0 && ns[1] == m.hostPid {
		bits |= pidb
	}
	if ns[2] != 0 && ns[2] == m.hostNet {
		bits |= net
	}
	return hostNSNames[bits]
}

// hostNSNames are hostNamespaces' answers, by bits (mnt 1, pid 2, net 4).
var hostNSNames = [8]string{"", "mnt", "pid", "mnt,pid", "net", "mnt,net", "pid,net", "mnt,pid,net"}

// ociRuntimes are the command names of the OCI runtimes, which move a
// container's first process into the container's cgroup.
var ociRuntimes = map[string]bool{"runc": true, "crun": true, "youki": true}

// joinedBy names the runtime that moved a process into a cgroup, from the
// attach record's process (the writer of cgroup.procs): an OCI runtime
// makes the cgroup a container's, and the program that ran it names the
// runtime (a containerd shim, conmon); RuntimeUnknown when no runtime did.
func (m *mapper) joinedBy(r *record.Record) container.Runtime {
	if !ociRuntimes[r.Comm] {
		return container.RuntimeUnknown
	}
	if tp, ok := m.tree.Get(int32(r.PPID)); ok {
		switch parent := path.Base(tp.Exe); {
		case strings.HasPrefix(parent, "containerd-shim"):
			return container.RuntimeContainerd
		case parent == "conmon":
			return container.RuntimePodman
		}
	}
	return container.RuntimeRunc
}

func isFileKind(k record.Kind) bool {
	switch k {
	case record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod:
		return true
	}
	return false
}

// localize puts a container process's file paths in the container's view
// where they are the host's (a file watcher's, for a container it could
// not register in time): from the root directory the kernel reported at
// the process's last exec (the root is the process's, whatever program it
// runs; a runtime's first program in the container ran before it changed
// its root), found in the host's mount table. It reports false for a
// record that is no event (overlayfs copying a directory up).
func (m *mapper) localize(r *record.Record, pid int32) bool {
	if m.mounts == nil {
		return true
	}
	tp, ok := m.tree.Get(pid)
	if !ok {
		return true
	}
	p := m.progOf(&tp)
	if p.rootDev == 0 || p.rootPath == "" {
		return true // not known from an exec
	}
	f := &r.File
	host, newHost := f.Path, f.NewPath
	if f.HostPath != "" {
		host, newHost = f.HostPath, f.HostNewPath
	}
	if !m.mounts.Known(p.rootDev) {
		m.mounts.Refresh() // mounted since the table was last read
	}
	if r.Kind == record.KindRename && m.mounts.InWorkdir(host, p.rootDev) {
		// overlayfs moving what it prepared into the upper directory: a
		// whiteout is the deletion of a lower layer's file, a regular
		// file the copy up of one about to be written (its write is not
		// reported on its own: the container's new upper directory is
		// watched only once the container is registered).
		nq, ok := m.mounts.Localize(newHost, p.rootDev, p.rootPath)
		var st unix.Stat_t
		if !ok || unix.Lstat(newHost, &st) != nil {
			return false
		}
		switch {
		case st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0:
			r.Kind, f.Op, f.Deleted = record.KindUnlink, record.OpUnlink, true
		case st.Mode&unix.S_IFMT == unix.S_IFREG:
			r.Kind, f.Op, f.Flags, f.Inode = record.KindOpen, record.OpOpen, unix.O_WRONLY, st.Ino
		default:
			return false // a directory copied up
		}
		f.Path, f.NewPath, f.HostPath, f.HostNewPath = nq, "", "", ""
		return true
	}
	q, ok := m.mounts.Localize(host, p.rootDev, p.rootPath)
	if !ok {
		return true // already the container's path, or outside its root (a volume)
	}
	f.Path, f.HostPath = q, ""
	if newHost != "" {
		if nq, ok := m.mounts.Localize(newHost, p.rootDev, p.rootPath); ok {
			f.NewPath, f.HostNewPath = nq, ""
		}
	}
	return true
}

// fillHeader completes a partial record from the process tree; it reports
// whether the process is known there (else its user is unknown).
func (m *mapper) fillHeader(r *record.Record) bool {
	r.AUID = record.NoAUID
	if r.TGID == 0 {
		return false
	}
	tp, ok := m.tree.Get(int32(r.TGID))
	if !ok {
		return false
	}
	r.PPID = uint32(tp.PPID)
	r.UID, r.EUID, r.GID = tp.UID, tp.UID, tp.GID
	return true
}

// watch tells the file watcher of a container, by its init process as
// soon as the runtime names it, and until then by a process that ran a
// program in it (which is in the container's mount namespace).
func (m *mapper) watch(info container.Info, pid uint32, exec bool) {
	cur := m.watched[info.ID]
	if cur.init {
		if cur.execd || !exec || pid != cur.pid {
			return
		}
		// The init process runs the container's program now: its
		// mounts are the container's (adding again refreshes).
		cur.execd = true
		m.register(info, cur)
		return
	}
	by := watchedBy{pid: pid, execd: exec}
	if md := m.metaOf(info); md != nil && md.InitPID > 0 {
		by = watchedBy{pid: uint32(md.InitPID), init: true, execd: exec && pid == uint32(md.InitPID)}
	} else if cur.pid != 0 || !exec {
		return
	}
	if cur.pid != 0 && cur.pid != by.pid {
		m.unwatch(info.ID, cur.pid)
	}
	if len(m.watched) >= internMax {
		// Exits were missed; the watcher forgets exited containers itself,
		// and the running ones register again.
		clear(m.watched)
		clear(m.watchedPID)
	}
	m.register(info, by)
}

// register adds a container to the file watcher by process by.pid, and
// keeps it as watched unless the process could not be used.
func (m *mapper) register(info container.Info, by watchedBy) {
	if err := m.files.AddContainer(by.pid); err != nil {
		_, serr := os.Stat(m.procRoot + "/" + strconv.FormatUint(uint64(by.pid), 10) + "/ns/mnt")
		if serr != nil || errors.Is(err, fanotify.ErrHostNamespace) {
			// The process exited (or is a zombie) before the watcher could
			// look at it, or is still in the host's mount namespace (a
			// short-lived or runtime process of a starting container, read
			// late): the container is not watched yet, and its next
			// process registers it.
			m.log.Debug("a container's file systems not watched yet: registered by its next process", "container", info.ID, "pid", by.pid, "err", err)
			return
		}
		// Some mounts may not be watched; the others are. Said once at
		// warning level, then at debug level.
		level := slog.LevelDebug
		if !m.warnedUnwatched {
			m.warnedUnwatched, level = true, slog.LevelWarn
		}
		m.log.Log(context.Background(), level, "a container's file systems not all watched: files there are reported only with the syscall tracepoint (--syscall-tracepoint)",
			"container", info.ID, "pid", by.pid, "err", err)
	}
	m.watched[info.ID] = by
	m.watchedPID[by.pid] = info.ID
}

// unwatch forgets the process a container was registered by, when it
// exits; the container's next record registers it again if it still runs.
func (m *mapper) unwatch(id string, pid uint32) {
	if err := m.files.RemoveContainer(pid); err != nil {
		m.log.Debug("forgetting a container's files", "container", id, "pid", pid, "err", err)
	}
	delete(m.watched, id)
	delete(m.watchedPID, pid)
}

// watchRunning tells the file watcher of the containers already running,
// by one process of each.
func (m *mapper) watchRunning() {
	entries, err := os.ReadDir(m.procRoot)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.ParseUint(e.Name(), 10, 32)
		if err != nil || pid == 0 {
			continue
		}
		if info := m.attr.Lookup(0, uint32(pid)); info.ID != "" {
			m.tree.SetFacts(int32(pid), info.CgroupID, 0, 0, 0)
			m.watch(info, uint32(pid), true)
		}
	}
}

// syscallEvent fills the fields of a syscall record and returns its event.
func (m *mapper) syscallEvent(r *record.Record, b *block) eventID {
	e, p := &b.e, &b.p
	switch {
	case r.Entry:
		// Reported when the kernel checked the call: its outcome is not known.
		e.Status = ""
	case r.Ret < 0 && !(r.Kind == record.KindConnect && r.Ret == -int64(unix.EINPROGRESS)):
		e.Status = event.StatusFailure
		e.Msg = syscall.Errno(-r.Ret).Error()
	}
	buf := m.buf[:0]
	defer func() { m.buf = buf[:0] }()
	switch r.Kind {
	case record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod:
		return m.fileEvent(r, b)
	case record.KindConnect, record.KindAccept, record.KindBind, record.KindListen:
		return m.netEvent(r, b)
	case record.KindDup:
		e.Dataset, e.Action = event.Process, "modify"
		p.SyscallArgs = "newfd=" + strconv.Itoa(int(r.Net.NewFD))
		m.setSocket(b, r.Net.Family, r.Net.SockType, r.Net.Local, r.Net.Remote)
		return evDup
	case record.KindPtrace:
		e.Dataset, e.Action = event.Process, "modify"
		buf = append(buf, "request="...)
		if n, ok := ptraceRequests[r.Ptrace.Request]; ok {
			buf = append(buf, n...)
		} else {
			buf = strconv.AppendUint(buf, r.Ptrace.Request, 10)
		}
		buf = append(buf, " target="...)
		buf = strconv.AppendInt(buf, int64(r.Ptrace.PID), 10)
		p.SyscallArgs = string(buf)
		return evPtrace
	case record.KindMemfd:
		e.Dataset, e.Action = event.Process, "create"
		e.File = &b.f
		b.f.Name = r.Memfd.Name
		buf = appendFlags(append(buf, "flags="...), uint64(r.Memfd.Flags), memfdFlags)
		p.SyscallArgs = string(buf)
		return evMemfd
	case record.KindSetID:
		e.Dataset, e.Action = event.Process, "modify"
		p.SyscallArgs = setIDArgs(buf, r.Syscall, r.SetID)
		if id, ok := setIDEvents[uint16(r.Syscall)]; ok {
			return id
		}
		return evSetuid
	case record.KindMount:
		e.Dataset, e.Action = event.Process, "modify"
		e.File = &b.f
		b.f.Path, b.f.SourcePath = r.Mount.Target, r.Mount.Source
		flags := r.Mount.Flags
		if flags>>16 == 0xC0ED { // MS_MGC_VAL, the old magic in the top half
			flags &= 0xffff
		}
		if r.Mount.FSType != "" {
			buf = append(append(append(buf, "fstype="...), r.Mount.FSType...), ' ')
		}
		buf = appendFlags(append(buf, "flags="...), flags, mountFlags)
		p.SyscallArgs = string(buf)
		return evMount
	case record.KindUmount:
		e.Dataset, e.Action = event.Process, "modify"
		e.File = &b.f
		b.f.Path = r.Mount.Target
		buf = appendFlags(append(buf, "flags="...), r.Mount.Flags, umountFlags)
		p.SyscallArgs = string(buf)
		return evUmount
	case record.KindChroot:
		e.Dataset, e.Action = event.Process, "modify"
		e.File = &b.f
		b.f.Path = r.Chroot.Path
		return evChroot
	case record.KindUnshare:
		e.Dataset, e.Action = event.Process, "modify"
		buf = appendFlags(append(buf, "flags="...), r.Unshare.Flags, cloneFlags)
		p.SyscallArgs = string(buf)
		return evUnshare
	case record.KindSetns:
		e.Dataset, e.Action = event.Process, "modify"
		host, isHost := m.hostNS[r.Setns.NSInode]
		buf = append(buf, "nstype="...)
		switch {
		case r.Setns.NSType != 0:
			buf = append(buf, nsTypeName(r.Setns.NSType)...)
		case isHost:
			buf = append(buf, host...)
		default:
			buf = append(buf, '0')
		}
		if isHost {
			buf = append(buf, " target=host"...)
		} else if r.Setns.NSInode != 0 {
			buf = append(buf, " ns="...)
			buf = strconv.AppendUint(buf, r.Setns.NSInode, 10)
		}
		p.SyscallArgs = string(buf)
		return evSetns
	case record.KindModule:
		e.Dataset, e.Action = event.Process, "create"
		if r.Syscall == 175 {
			p.SyscallArgs = "len=" + strconv.FormatUint(r.Module.Len, 10)
			return evInitModule
		}
		if r.Module.Path != "" {
			e.File = &b.f
			b.f.Path, b.f.Name = r.Module.Path, path.Base(r.Module.Path)
		}
		return evFinitModule
	case record.KindBPF:
		e.Dataset, e.Action = event.Process, "create"
		buf = append(buf, "cmd=BPF_PROG_LOAD prog_type="...)
		buf = append(buf, bpfProgType(r.BPF.ProgType)...)
		if r.BPF.ProgName != "" {
			buf = append(append(buf, " prog_name="...), r.BPF.ProgName...)
		}
		p.SyscallArgs = string(buf)
		return evBPF
	}
	e.Dataset, e.Action = event.Process, "modify"
	return evSetuid
}

func setIDArgs(buf []byte, nr record.Syscall, id record.SetID) string {
	g := byte('u')
	if id.Group {
		g = 'g'
	}
	add := func(prefix string, v uint32) {
		if v == record.NoChange {
			return
		}
		if len(buf) > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, prefix...)
		buf = append(buf, g, 'i', 'd', '=')
		buf = strconv.AppendUint(buf, uint64(v), 10)
	}
	switch nr {
	case 105, 106: // setuid, setgid
		add("", id.Effective)
	default:
		add("r", id.Real)
		add("e", id.Effective)
		add("s", id.Saved)
		add("fs", id.FS)
	}
	return string(buf)
}

// fileEvent fills a file record's fields.
func (m *mapper) fileEvent(r *record.Record, b *block) eventID {
	e, f := &b.e, &b.f
	e.Dataset = event.File
	e.File = f
	fr := &r.File
	f.Path = fr.Path
	f.Name = path.Base(fr.Path)
	switch r.Kind {
	case record.KindOpen:
		switch {
		case fr.Flags&unix.O_CREAT != 0:
			e.Action = "create"
			f.Mode = octal(fr.Mode)
			return evCreate
		case fr.Write():
			e.Action = "modify"
			return evWrite
		}
		e.Action = "get"
		return evRead
	case record.KindRename:
		e.Action = "modify"
		f.Path, f.SourcePath = fr.NewPath, fr.Path
		f.Name = path.Base(fr.NewPath)
		return evRename
	case record.KindUnlink:
		e.Action = "delete"
		if fr.Op == record.OpRmdir {
			return evRmdir
		}
		return evUnlink
	}
	e.Action = "modify"
	f.Mode = octal(fr.Mode)
	return evChmod
}

// octal formats permission bits with a leading 0, as chmod takes them.
func octal(mode uint32) string {
	switch mode & 07777 {
	case 0644:
		return "0644"
	case 0755:
		return "0755"
	case 0666:
		return "0666"
	case 0777:
		return "0777"
	}
	return "0" + strconv.FormatUint(uint64(mode&07777), 8)
}

// netEvent fills a connection record's fields.
func (m *mapper) netEvent(r *record.Record, b *block) eventID {
	e, n := &b.e, &b.n
	e.Dataset = event.NetworkTraffic
	nr := &r.Net
	if nr.Family == unix.AF_UNIX && nr.UnixPath != "" {
		e.File = &b.f
		b.f.Path = nr.UnixPath
	}
	switch r.Kind {
	case record.KindConnect:
		e.Action = "connect"
		m.setSocket(b, nr.Family, nr.SockType, nr.Local, nr.Remote)
		n.Direction = "outbound"
		return evConnect
	case record.KindAccept:
		e.Action = "accept"
		// The peer opened the connection: it is the source.
		m.setSocket(b, nr.Family, nr.SockType, nr.Remote, nr.Local)
		n.Direction = "inbound"
		return evAccept
	case record.KindBind:
		e.Action = "bind"
		m.setSocket(b, nr.Family, nr.SockType, nr.Local, netip.AddrPort{})
		return evBind
	}
	e.Action = "listen"
	m.setSocket(b, nr.Family, nr.SockType, nr.Local, netip.AddrPort{})
	return evListen
}

// setSocket fills the network fields from a socket's addresses.
func (m *mapper) setSocket(b *block, family, sockType uint16, src, dst netip.AddrPort) {
	n := &b.n
	b.e.Network = n
	switch {
	case family == unix.AF_UNIX:
		n.Transport = "unix"
		return
	case sockType == unix.SOCK_STREAM:
		n.Transport = "tcp"
	case sockType == unix.SOCK_DGRAM:
		n.Transport = "udp"
	case sockType == unix.SOCK_RAW:
		n.Transport = "raw"
	}
	if src.IsValid() && (src.Port() != 0 || !src.Addr().IsUnspecified()) {
		b.e.SrcIP, n.SrcPort = m.ip(src.Addr()), int64(src.Port())
	}
	if dst.IsValid() && (dst.Port() != 0 || !dst.Addr().IsUnspecified()) {
		n.DestIP, n.DestPort = m.ip(dst.Addr()), int64(dst.Port())
	}
}

// ip formats an address, remembering recent ones.
func (m *mapper) ip(a netip.Addr) string {
	a = a.Unmap()
	if s, ok := m.ips[a]; ok {
		return s
	}
	s := a.String()
	if len(m.ips) >= internMax {
		clear(m.ips)
	}
	m.ips[a] = s
	return s
}

// stdio names what a standard file descriptor is.
func stdio(fd record.FD) string {
	switch fd.Type {
	case record.FDNone:
		return "none"
	case record.FDSocket:
		return "socket"
	case record.FDPipe:
		return "pipe"
	case record.FDChar:
		if fd.TTY() {
			return "tty"
		}
		if unix.Major(fd.Rdev) == 1 && unix.Minor(fd.Rdev) == 3 {
			return "null"
		}
	}
	return "file"
}

// container attributes a record; one without a cgroup id (from a source
// that does not know it) is attributed by its process.
func (m *mapper) container(r *record.Record) container.Info {
	var tp treeProcess
	inTree := false
	if r.TGID != 0 {
		tp, inTree = m.tree.Get(int32(r.TGID))
	}
	cg := r.CgroupID
	if cg == 0 {
		cg = tp.CgroupID
	}
	info := m.attr.Lookup(cg, r.TGID)
	if cg == 0 && info.CgroupID != 0 && inTree {
		m.tree.SetFacts(int32(r.TGID), info.CgroupID, 0, 0, 0)
	}
	if !info.Resolved() && r.TGID != 0 {
		// The cgroup's first record may have come from a process that
		// is gone (runc's short-lived parents): the cgroup stays
		// unresolved for a while, but a live process of it tells.
		if byPID := m.attr.Lookup(0, r.TGID); byPID.Resolved() && (cg == 0 || byPID.CgroupID == cg) {
			info = byPID
		}
	}
	if info.Host() && r.TGID != 0 {
		// A runtime that puts containers in the v1 hierarchies only.
		p := tp.CgroupV1
		if r.Kind == record.KindExec && r.Exec.Attr.V1Hierarchy != 0 {
			p = r.Exec.Attr.V1CgroupPath
		}
		if p != "" && p != "/" {
			if v1 := m.attr.LookupV1(p); v1.ID != "" {
				info = v1
			}
		}
	}
	mnt := r.MntNS
	if mnt == 0 {
		mnt = tp.MntNS
	}
	if mnt != 0 && mnt != m.hostMnt && m.hostMnt != 0 {
		switch {
		case info.ID != "":
			if len(m.nsCtr) >= internMax {
				clear(m.nsCtr)
			}
			m.nsCtr[mnt] = info
		case info.Host():
			// A host process in a container's mount namespace (nsenter,
			// a runtime's exec that left the cgroup alone) is the
			// container's.
			if c, ok := m.nsCtr[mnt]; ok {
				info = c
			}
		}
	}
	if !info.Resolved() {
		m.stats.unresolved.Add(1)
	}
	return info
}

// fillContainer sets the container fields: the container's id, runtime
// and what its runtime says of it, or runtime "host" for a host process.
// An unresolved record gets none.
func (m *mapper) fillContainer(b *block, info container.Info) {
	if m.setContainer(&b.k, info) {
		b.e.Container = &b.k
	}
	m.last = info
}

// setContainer fills k from info; false when the record is unresolved.
func (m *mapper) setContainer(k *event.ContainerFields, info container.Info) bool {
	switch {
	case info.Host():
		k.Runtime = "host"
	case info.ID != "":
		k.ContainerID = info.ID
		if info.Runtime != container.RuntimeUnknown {
			k.Runtime = info.Runtime.String()
		}
		k.K8sPodUID = info.PodUID
		if md := m.metaOf(info); md != nil {
			k.ContainerName, k.Image, k.ImageDigest, k.Namespace = md.Name, md.Image, md.ImageDigest, md.PodNamespace
			k.ContainerImage, k.ContainerImageDigest = md.Image, md.ImageDigest
			if md.PodName != "" {
				k.Workload = m.pod(md)
				k.K8sNamespace, k.K8sPodName, k.K8sContainerName = md.PodNamespace, md.PodName, md.Name
				if md.PodUID != "" {
					k.K8sPodUID = md.PodUID
				}
			}
		}
	default:
		return false
	}
	return true
}

func (m *mapper) pod(md *container.Metadata) string {
	if s, ok := m.pods[md]; ok {
		return s
	}
	s := "pods/" + md.PodName
	if len(m.pods) >= internMax {
		clear(m.pods)
	}
	m.pods[md] = s
	return s
}

// execProg describes the program an exec record started.
func (m *mapper) execProg(r *record.Record, info container.Info) *prog {
	x := &r.Exec
	p := &prog{execTime: r.Time, exe: x.ExePath, cwd: x.Cwd, cmdline: strings.Join(x.Args, " "),
		rootDev: x.Attr.RootDev, rootPath: x.Attr.RootPath}
	p.path = m.execPath(r)
	p.name = path.Base(p.path)
	p.fileless = strconv.FormatBool(x.Memfd || x.Deleted)
	// Drift: the executable was written or changed after its container
	// started. A memfd has no file to compare.
	if info.ID != "" && !x.Memfd {
		if start := m.startOf(info); !start.IsZero() {
			changed := x.MTime
			if x.CTime.After(changed) {
				changed = x.CTime
			}
			p.drift = strconv.FormatBool(changed.After(start))
		}
	}
	return p
}

// execPath is the program an exec ran, as executed and absolute.
func (m *mapper) execPath(r *record.Record) string {
	x := &r.Exec
	fn := x.Filename
	switch {
	case fn == "":
		return x.ExePath
	case selfExe(fn) && len(x.Args) > 0 && x.Args[0] != "":
		return m.selfPath(r)
	case fn[0] != '/':
		return path.Join(x.Cwd, fn)
	}
	return fn
}

// selfExe reports whether an exec path names the caller's own executable:
// a multi-call binary (busybox) running an applet, or a runtime
// re-executing itself (runc init).
func selfExe(fn string) bool {
	if fn == "/proc/self/exe" {
		return true
	}
	rest, ok := strings.CutPrefix(fn, "/proc/")
	if !ok {
		return false
	}
	pid, ok := strings.CutSuffix(rest, "/exe")
	if !ok || pid == "" {
		return false
	}
	for i := 0; i < len(pid); i++ {
		if pid[i] < '0' || pid[i] > '9' {
			return false
		}
	}
	return true
}

// selfPath finds the program a self re-exec ran as: the path its argv[0]
// names, or, for a bare name, the file of that name in the usual binary
// directories of the process's root that is the executable (busybox's
// /bin/nc). Without a process to look through, the name is placed beside
// the executable.
func (m *mapper) selfPath(r *record.Record) string {
	x := &r.Exec
	a0 := x.Args[0]
	if a0[0] != '/' && strings.IndexByte(a0, '/') >= 0 {
		return path.Join(x.Cwd, a0)
	}
	k := selfKey{mntns: r.MntNS, ino: x.Inode, argv0: a0}
	if p, ok := m.selfPaths[k]; ok {
		return p
	}
	var cands []string
	if a0[0] == '/' {
		cands = []string{path.Clean(a0)}
	} else {
		for _, d := range []string{path.Dir(x.ExePath), "/bin", "/usr/bin", "/sbin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"} {
			if d != "" && d[0] == '/' {
				cands = append(cands, path.Join(d, a0))
			}
		}
	}
	found, looked := "", false
	for _, pid := range [2]uint32{r.TGID, r.PPID} {
		proc := m.procRoot + "/" + strconv.FormatUint(uint64(pid), 10)
		// The process, or its parent if it shares its mount namespace.
		var ns unix.Stat_t
		if unix.Stat(proc+"/ns/mnt", &ns) != nil || r.MntNS != 0 && ns.Ino != uint64(r.MntNS) {
			continue
		}
		root := proc + "/root"
		looked = true
		for _, c := range cands {
			var st unix.Stat_t
			if unix.Stat(root+c, &st) == nil && st.Ino == x.Inode {
				found = c
				break
			}
		}
		break
	}
	switch {
	case found != "":
	case !looked && len(cands) > 0:
		found = cands[0] // unverified: the processes are gone
	default:
		found = x.Filename
	}
	if len(m.selfPaths) >= internMax {
		clear(m.selfPaths)
	}
	if looked {
		m.selfPaths[k] = found
	}
	return found
}

// progOf returns the program of a process of the tree: the one its
// exec's record made, or for a process known only from /proc (or whose
// exec was missed), one made from what the tree has, kept there.
func (m *mapper) progOf(tp *treeProcess) *prog {
	if p := tp.Data; p != nil && (tp.ExecTime.IsZero() || p.execTime.Equal(tp.ExecTime)) {
		return p
	}
	p := &prog{execTime: tp.ExecTime, path: tp.Exe, name: path.Base(tp.Exe), cmdline: strings.Join(tp.Argv, " "), cwd: tp.Cwd}
	if tp.Exe == "" {
		p.name = ""
	}
	if tp.Seeded {
		p.exe = tp.Exe
	}
	m.tree.SetData(tp.PID, tp.Serial, p)
	return p
}

// programBefore is the program process pid ran before its last exec, for
// a record read at t that came before that exec; nil (the current
// program) when the exec is not recent enough to be the one.
func (m *mapper) programBefore(pid int32, t time.Time) *prog {
	tp, ok := m.tree.Get(pid)
	if !ok || tp.PrevData == nil || tp.ExecTime.After(t) || t.Sub(tp.ExecTime) > maxHold {
		return nil
	}
	return tp.PrevData
}

// fillProcess sets the process fields of pid's event; self, when set, is
// the program the record itself started.
func (m *mapper) fillProcess(b *block, r *record.Record, pid int32, self *prog, info container.Info, known bool) {
	p := &b.p
	lin := m.tree.AppendLineage(m.lin[:0], pid)
	m.lin = lin[:0]
	p.PID = int64(pid)
	if self == nil && len(lin) > 0 {
		self = m.progOf(&lin[0])
	}
	if self != nil {
		p.CommandLine, p.Path, p.Name, p.Exe, p.CurrentDirectory = self.cmdline, self.path, self.name, self.exe, self.cwd
		if r.Kind == record.KindExec {
			p.ExeDrift, p.ExeFileless = self.drift, self.fileless
		}
	}
	if r.Kind != record.KindExec && r.Comm != "" {
		// The kernel's name of the process, as it set it itself (runc's
		// runc:[2:INIT]).
		p.Name = r.Comm
	}
	if known {
		p.UserID = m.users.number(r.EUID)
		p.GroupID = m.users.number(r.GID)
		if r.AUID != record.NoAUID {
			p.LoginID = m.users.number(r.AUID)
		}
		b.e.SrcUser = m.user(r, info)
	}
	switch {
	case len(lin) > 1:
		pp := m.progOf(&lin[1])
		p.ParentPID = int64(lin[1].PID)
		p.ParentCommand, p.ParentPath, p.ParentName = pp.cmdline, pp.path, pp.name
	case r.Kind == record.KindFork:
		p.ParentPID = int64(r.TGID)
	default:
		p.ParentPID = int64(r.PPID)
	}
	if len(lin) > 2 {
		p.Ancestors = m.ancestors(lin[2:])
	}
}

// user names who acted: the login user of a host process that has one,
// else the real user.
func (m *mapper) user(r *record.Record, info container.Info) string {
	if r.AUID != record.NoAUID && info.Host() {
		return m.users.name(r.AUID)
	}
	return m.users.name(r.UID)
}

// ancestors joins the programs of a lineage, nearest first.
func (m *mapper) ancestors(lin []treeProcess) string {
	buf := m.buf[:0]
	for i := range lin {
		if lin[i].Exe == "" {
			continue // a kernel thread, or a process whose program is unknown
		}
		if len(buf) > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, lin[i].Exe...)
	}
	m.buf = buf[:0]
	if s, ok := m.anc[string(buf)]; ok {
		return s
	}
	s := string(buf)
	if len(m.anc) >= internMax {
		clear(m.anc)
	}
	m.anc[s] = s
	return s
}
