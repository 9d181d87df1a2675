// Package proctree keeps a user-space process tree, fed by fork, exec and
// exit observations, so that an event's process and its ancestors stay
// known after they exit.
//
// Each process the tree learns of is a node with a serial number; a pid
// used again after its process exited is a new node, and children keep the
// parent they were forked by (not the process they were reparented to). An
// exited process stays for Config.Grace, and longer while children it has
// are still in the tree; the whole tree is bounded by Config.MaxProcs, the
// oldest exited processes (then the oldest live ones) evicted first. Its
// memory follows what it holds: after a burst of short-lived processes is
// reaped, at most a few hundred nodes are kept for reuse and the pid map
// is made again (Reap).
//
// The tree is the sensor's one store of per-process state: besides what
// fork, exec and exit say, a process carries what its records told of it
// (cgroups, namespaces: SetFacts, SetCgroupV1) and its user's data for the
// program it runs (Process.Data, of type D: set by Exec or SetData, shared
// by forked children until they exec; PrevData, the program before the
// last exec), all forgotten together when the process is reaped.
//
// A Tree is safe for one writer (Fork, Exec, Exit, Seed, Reap, the Set
// methods) and any number of concurrent readers (Lookup, AppendLineage,
// Get, Stats).
package proctree

import (
	"sync"
	"sync/atomic"
	"time"
)

// Fork is the observation that process PPID created process PID (a new
// thread group, not a thread).
type Fork struct {
	PID, PPID int32
	Time      time.Time
	// CgroupID is the child's cgroup v2 id when the fork says (clone3's
	// CLONE_INTO_CGROUP puts it in another than its parent's); 0: the
	// parent's.
	CgroupID uint64
}

// Exec is the observation that process PID executed a program.
type Exec[D any] struct {
	PID, PPID int32
	Time      time.Time
	Exe       string
	// Argv is kept, not copied: the caller must not change it afterwards.
	Argv     []string
	Cwd      string
	UID, GID uint32
	// CgroupID and ContainerID are the process's cgroup v2 id and
	// container id, when known (0 and "" keep what the tree has).
	CgroupID    uint64
	ContainerID string
	// Data is what the tree's user keeps of the program now run.
	Data D
}

// Exit is the observation that process PID exited.
type Exit struct {
	PID  int32
	Time time.Time
	Code int32
}

// Process is what the tree knows of one process. Its strings and Argv are
// shared and never changed; a Process is a copy and does not change when
// the tree does.
type Process[D any] struct {
	PID  int32
	PPID int32
	// Serial identifies the process among all the tree has known: a pid
	// used again is a new serial.
	Serial uint64
	// Start is when the process was forked (from /proc for seeded ones);
	// zero when neither its fork nor /proc was seen.
	Start time.Time
	// ExecTime is the last exec seen; zero when none was (the process
	// runs what its parent ran, or was seeded).
	ExecTime    time.Time
	Exe         string
	Argv        []string
	Cwd         string
	UID, GID    uint32
	CgroupID    uint64
	ContainerID string
	// CgroupV1 is the process's cgroup v1 path (in the hierarchy its
	// user follows), and MntNS, PidNS and NetNS its namespaces (inode
	// numbers), as its records last said (SetFacts); a forked child
	// starts with its parent's.
	CgroupV1            string
	MntNS, PidNS, NetNS uint32
	// Data is what the tree's user keeps of the program the process runs
	// (set by Exec or SetData; a forked child shares its parent's until
	// it execs), and PrevData what it ran before its last exec.
	Data, PrevData D
	Exited         bool
	ExitTime       time.Time
	ExitCode       int32
	// Seeded is set for a process read from /proc rather than observed.
	Seeded bool
}

// Config configures a Tree. Zero fields take the defaults named.
type Config struct {
	// Grace is how long an exited process stays (more while it has
	// children in the tree); default 30s.
	Grace time.Duration
	// MaxProcs bounds the processes kept, live and exited; default
	// 65536.
	MaxProcs int
	// MaxDepth bounds a lineage: the process and its ancestors; default
	// 16.
	MaxDepth int
	// ProcRoot is procfs's mount point for Seed; default /proc.
	ProcRoot string
	// ReadMissing reads a parent the tree does not know from
	// /proc/<ppid> when a fork or exec names it.
	ReadMissing bool
	// OnError, if set, is told of each malformed /proc file; each is
	// counted in Stats.ProcErrors too.
	OnError func(error)
}

func (c *Config) setDefaults() {
	if c.Grace <= 0 {
		c.Grace = 30 * time.Second
	}
	if c.MaxProcs <= 0 {
		c.MaxProcs = 65536
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 16
	}
	if c.ProcRoot == "" {
		c.ProcRoot = "/proc"
	}
}

// Stats counts what a Tree holds and did.
type Stats struct {
	Processes    int    // processes held
	Live         int    // of them, not exited
	Exited       int    // of them, exited and within the grace period or holding children
	Evictions    uint64 // processes dropped for MaxProcs
	Reaped       uint64 // exited processes dropped after the grace period
	PIDReuse     uint64 // processes replaced by a new one with the same pid
	UnknownExits uint64 // exits of pids the tree did not know
	ProcErrors   uint64 // malformed /proc files met while seeding
}

// Tree is a process tree.
type Tree[D any] struct {
	cfg Config

	mu     sync.RWMutex
	pids   map[int32]*node[D]
	live   list[D] // not exited
	exited list[D] // exited, no children: reaped after Grace, in exit order
	held   list[D] // exited, with children in the tree
	serial uint64
	// free holds up to maxFree dropped nodes for reuse; the rest go to
	// the garbage collector, so that a burst's nodes do not stay.
	free  *node[D]
	nfree int
	// peak is the most processes pids has held since it was made: a map
	// keeps the memory of its largest size, so when the tree shrinks to
	// a quarter of it the map is made again (compact).
	peak int

	evictions, reaped, reuse, unknownExits, procErrors atomic.Uint64
}

type listID uint8

const (
	inNone listID = iota
	inLive
	inExited
	inHeld
)

type node[D any] struct {
	p      Process[D]
	parent *node[D]
	// children, as a list through the children's sibling links.
	firstChild, nextSib, prevSib *node[D]
	// the list (live, exited or held) the node is in.
	prev, next *node[D]
	in         listID
}

type list[D any] struct {
	head, tail *node[D]
	n          int
}

func (l *list[D]) push(n *node[D], id listID) {
	n.prev, n.next, n.in = l.tail, nil, id
	if l.tail != nil {
		l.tail.next = n
	} else {
		l.head = n
	}
	l.tail = n
	l.n++
}

func (l *list[D]) remove(n *node[D]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next, n.in = nil, nil, inNone
	l.n--
}

// New returns an empty Tree.
func New[D any](cfg Config) *Tree[D] {
	cfg.setDefaults()
	return &Tree[D]{cfg: cfg, pids: make(map[int32]*node[D])}
}

func (t *Tree[D]) listOf(id listID) *list[D] {
	switch id {
	case inLive:
		return &t.live
	case inExited:
		return &t.exited
	case inHeld:
		return &t.held
	}
	return nil
}

func (t *Tree[D]) move(n *node[D], to listID) {
	if l := t.listOf(n.in); l != nil {
		l.remove(n)
	}
	t.listOf(to).push(n, to)
}

func (t *Tree[D]) size() int { return t.live.n + t.exited.n + t.held.n }

// maxFree bounds the dropped nodes kept for reuse.
const maxFree = 256

// compactMin is the size of pids below which it is never made again.
const compactMin = 1024

// newNode takes a node from the free list or allocates one, evicting the
// oldest process first when the tree is full.
func (t *Tree[D]) newNode() *node[D] {
	for t.size() >= t.cfg.MaxProcs {
		victim := t.exited.head
		if victim == nil {
			victim = t.held.head
		}
		if victim == nil {
			victim = t.live.head
		}
		t.evictions.Add(1)
		t.drop(victim)
	}
	n := t.free
	if n != nil {
		t.free = n.next
		t.nfree--
		*n = node[D]{}
	} else {
		n = new(node[D])
	}
	t.serial++
	n.p.Serial = t.serial
	return n
}

// drop removes a node from the tree: its children lose their parent link,
// and its parent, if exited and left without children, becomes reapable.
func (t *Tree[D]) drop(n *node[D]) {
	if cur := t.pids[n.p.PID]; cur == n {
		delete(t.pids, n.p.PID)
	}
	if l := t.listOf(n.in); l != nil {
		l.remove(n)
	}
	for c := n.firstChild; c != nil; {
		next := c.nextSib
		c.parent, c.nextSib, c.prevSib = nil, nil, nil
		c = next
	}
	n.firstChild = nil
	if p := n.parent; p != nil {
		t.unlinkChild(p, n)
		if p.firstChild == nil && p.in == inHeld {
			t.move(p, inExited)
		}
	}
	if t.nfree < maxFree {
		*n = node[D]{next: t.free}
		t.free = n
		t.nfree++
	} else {
		*n = node[D]{}
	}
}

// noteSize follows the size of pids after a process is added.
func (t *Tree[D]) noteSize() {
	t.peak = max(t.peak, len(t.pids))
}

// compact makes pids again when it holds a quarter of its peak or less.
func (t *Tree[D]) compact() {
	if t.peak < compactMin || len(t.pids)*4 > t.peak {
		return
	}
	pids := make(map[int32]*node[D], len(t.pids))
	for pid, n := range t.pids {
		pids[pid] = n
	}
	t.pids = pids
	t.peak = len(pids)
}

func (t *Tree[D]) linkChild(p, c *node[D]) {
	c.parent = p
	c.prevSib, c.nextSib = nil, p.firstChild
	if p.firstChild != nil {
		p.firstChild.prevSib = c
	}
	p.firstChild = c
}

func (t *Tree[D]) unlinkChild(p, c *node[D]) {
	if c.prevSib != nil {
		c.prevSib.nextSib = c.nextSib
	} else {
		p.firstChild = c.nextSib
	}
	if c.nextSib != nil {
		c.nextSib.prevSib = c.prevSib
	}
	c.parent, c.prevSib, c.nextSib = nil, nil, nil
}

// setParent links n under p unless that would make a cycle.
func (t *Tree[D]) setParent(n, p *node[D]) {
	if p == nil || p == n || n.parent != nil {
		return
	}
	for a, i := p, 0; a != nil; a, i = a.parent, i+1 {
		if a == n || i > 4*t.cfg.MaxDepth {
			return
		}
	}
	t.linkChild(p, n)
}

// parentFor finds the node of a process that existed at time at with pid
// ppid: the current one unless it started after at.
func (t *Tree[D]) parentFor(ppid int32, at time.Time) *node[D] {
	if ppid <= 0 {
		return nil
	}
	p := t.pids[ppid]
	if p != nil && (p.p.Start.IsZero() || at.IsZero() || !p.p.Start.After(at)) {
		return p
	}
	if p == nil && t.cfg.ReadMissing {
		if proc, err := readProc[D](t.cfg.ProcRoot, ppid, bootTime()); err == nil {
			n := t.addSeeded(proc)
			if pp := t.pids[proc.PPID]; pp != nil && pp != n {
				t.setParent(n, pp)
			}
			return n
		}
	}
	return nil
}

func (t *Tree[D]) addSeeded(proc Process[D]) *node[D] {
	n := t.newNode()
	serial := n.p.Serial
	n.p = proc
	n.p.Serial = serial
	n.p.Seeded = true
	t.pids[proc.PID] = n
	t.noteSize()
	t.live.push(n, inLive)
	return n
}

// markExited moves a node to the exited list, or the held one while it
// has children.
func (t *Tree[D]) markExited(n *node[D], at time.Time, code int32) {
	n.p.Exited, n.p.ExitTime, n.p.ExitCode = true, at, code
	if n.firstChild != nil {
		t.move(n, inHeld)
	} else {
		t.move(n, inExited)
	}
}

// Fork records a new process, which runs what its parent runs until it
// execs.
func (t *Tree[D]) Fork(f Fork) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reap(f.Time)
	if old := t.pids[f.PID]; old != nil {
		sameExec := old.p.Start.IsZero() && (old.p.ExecTime.IsZero() || !f.Time.After(old.p.ExecTime))
		if !old.p.Exited && (sameExec || old.p.Start.Equal(f.Time)) {
			// The process's exec was seen before its fork, or the fork
			// is seen twice.
			old.p.Start = f.Time
			t.setParent(old, t.parentFor(f.PPID, f.Time))
			if old.p.PPID == 0 {
				old.p.PPID = f.PPID
			}
			return
		}
		if !old.p.Exited {
			// Its exit was missed: the pid is in use again.
			t.markExited(old, f.Time, 0)
		}
		t.reuse.Add(1)
	}
	parent := t.parentFor(f.PPID, f.Time)
	n := t.newNode()
	if parent != nil {
		serial := n.p.Serial
		pp := parent.p
		n.p = Process[D]{Serial: serial, Exe: pp.Exe, Argv: pp.Argv, Cwd: pp.Cwd, UID: pp.UID, GID: pp.GID,
			CgroupID: pp.CgroupID, ContainerID: pp.ContainerID, CgroupV1: pp.CgroupV1,
			MntNS: pp.MntNS, PidNS: pp.PidNS, NetNS: pp.NetNS, Data: pp.Data}
		t.linkChild(parent, n)
	}
	n.p.PID, n.p.PPID, n.p.Start = f.PID, f.PPID, f.Time
	if f.CgroupID != 0 {
		n.p.CgroupID = f.CgroupID
	}
	t.pids[f.PID] = n
	t.noteSize()
	t.live.push(n, inLive)
}

// Exec records that a process executed a program. An exec of a pid the
// tree does not know (or whose process exited before) starts a new
// process.
func (t *Tree[D]) Exec(e Exec[D]) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reap(e.Time)
	n := t.pids[e.PID]
	if n != nil && n.p.Exited && (e.Time.IsZero() || e.Time.After(n.p.ExitTime)) {
		t.reuse.Add(1)
		n = nil
	}
	if n == nil {
		n = t.newNode()
		n.p.PID, n.p.PPID = e.PID, e.PPID
		t.pids[e.PID] = n
		t.noteSize()
		t.live.push(n, inLive)
		t.setParent(n, t.parentFor(e.PPID, e.Time))
	} else if n.parent == nil {
		t.setParent(n, t.parentFor(e.PPID, e.Time))
		if n.p.PPID == 0 {
			n.p.PPID = e.PPID
		}
	}
	p := &n.p
	p.ExecTime, p.Exe, p.Argv, p.Cwd, p.UID, p.GID = e.Time, e.Exe, e.Argv, e.Cwd, e.UID, e.GID
	p.PrevData, p.Data = p.Data, e.Data
	if e.CgroupID != 0 {
		p.CgroupID = e.CgroupID
	}
	if e.ContainerID != "" {
		p.ContainerID = e.ContainerID
	}
}

// SetData keeps d for the program of process pid, if pid is still the
// process with serial (it has not exited and been replaced).
func (t *Tree[D]) SetData(pid int32, serial uint64, d D) {
	t.mu.Lock()
	if n := t.pids[pid]; n != nil && n.p.Serial == serial {
		n.p.Data = d
	}
	t.mu.Unlock()
}

// SetFacts records what a record of process pid says of it: its cgroup v2
// id (0 keeps what the tree has) and namespaces (a zero mnt keeps them).
// It reports whether the process is known.
func (t *Tree[D]) SetFacts(pid int32, cgroupID uint64, mnt, pidNS, net uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.pids[pid]
	if n == nil {
		return false
	}
	if cgroupID != 0 {
		n.p.CgroupID = cgroupID
	}
	if mnt != 0 {
		n.p.MntNS, n.p.PidNS, n.p.NetNS = mnt, pidNS, net
	}
	return true
}

// SetCgroupV1 records process pid's cgroup v1 path.
func (t *Tree[D]) SetCgroupV1(pid int32, path string) {
	t.mu.Lock()
	if n := t.pids[pid]; n != nil {
		n.p.CgroupV1 = path
	}
	t.mu.Unlock()
}

// Exit records that a process exited. It stays in the tree for Grace, and
// while it has children there.
func (t *Tree[D]) Exit(x Exit) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reap(x.Time)
	n := t.pids[x.PID]
	if n == nil {
		t.unknownExits.Add(1)
		return
	}
	if n.p.Exited {
		return
	}
	t.markExited(n, x.Time, x.Code)
}

// Reap drops the processes that exited Grace before now and have no
// children left in the tree. Fork, Exec and Exit reap with their own time;
// Reap is for when no observations arrive.
func (t *Tree[D]) Reap(now time.Time) {
	t.mu.Lock()
	t.reap(now)
	t.compact()
	t.mu.Unlock()
}

func (t *Tree[D]) reap(now time.Time) {
	if now.IsZero() {
		return
	}
	cutoff := now.Add(-t.cfg.Grace)
	for n := t.exited.head; n != nil && !n.p.ExitTime.After(cutoff); n = t.exited.head {
		if n.firstChild != nil {
			t.move(n, inHeld)
			continue
		}
		t.reaped.Add(1)
		t.drop(n)
	}
}

// Lookup returns the process with pid and its ancestors, the process
// first, at most MaxDepth of them; nil when the pid is unknown.
func (t *Tree[D]) Lookup(pid int32) []Process[D] {
	return t.AppendLineage(nil, pid)
}

// AppendLineage appends the process with pid and its ancestors, the
// process first, at most MaxDepth of them, to dst. With room in dst it
// does not allocate.
func (t *Tree[D]) AppendLineage(dst []Process[D], pid int32) []Process[D] {
	t.mu.RLock()
	for n, i := t.pids[pid], 0; n != nil && i < t.cfg.MaxDepth; n, i = n.parent, i+1 {
		dst = append(dst, n.p)
	}
	t.mu.RUnlock()
	return dst
}

// Get returns the process with pid.
func (t *Tree[D]) Get(pid int32) (Process[D], bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.pids[pid]; n != nil {
		return n.p, true
	}
	return Process[D]{}, false
}

// Len is the number of processes in the tree.
func (t *Tree[D]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

// Stats returns the counters.
func (t *Tree[D]) Stats() Stats {
	t.mu.RLock()
	s := Stats{Processes: t.size(), Live: t.live.n, Exited: t.exited.n + t.held.n}
	t.mu.RUnlock()
	s.Evictions = t.evictions.Load()
	s.Reaped = t.reaped.Load()
	s.PIDReuse = t.reuse.Load()
	s.UnknownExits = t.unknownExits.Load()
	s.ProcErrors = t.procErrors.Load()
	return s
}
