//go:build linux

package fanotify

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// What the marks ask for.
const (
	// fsMask is the mask of filesystem marks; with Config.AllWrites it
	// has maskCloseWrite too. Opens for exec are not reported: they place
	// the other events of their process before or after its exec.
	fsMask = maskCreate | maskDelete | maskRename | maskAttrib | maskOpenExec | maskOnDir
	// writeDirMask is the mask of inode marks on Config.WriteDirs: closes
	// after writing of their entries.
	writeDirMask = maskCloseWrite | unix.FAN_EVENT_ON_CHILD
	// sensitiveMask is the mask of inode marks on sensitive files.
	sensitiveMask = maskOpen
	// sensDirMask is the mask of inode marks on the directories of
	// sensitive files, so that a replaced file is marked again.
	sensDirMask = maskCreate | maskRename
	// hotMask is what an ignore mark on a hot file ignores; hotExecMask,
	// on a program executed often (and the dynamic loader, opened for
	// exec with every dynamically linked program).
	hotMask     = maskCloseWrite
	hotExecMask = maskOpenExec

	initFlags = unix.FAN_CLASS_NOTIF | unix.FAN_CLOEXEC | unix.FAN_NONBLOCK | unix.FAN_REPORT_DFID_NAME_TARGET

	atHandleFID = 0x200 // AT_HANDLE_FID: a handle for identification, as fanotify reports it

	pruneEvery = 5 * time.Second // how often containers are checked for exit
	maxIgnores = 1024            // ignore marks in place at once
	// maxWriteDirs bounds the directories marked for writes (each mark
	// pins its inode in memory).
	maxWriteDirs = 8192

	// Bounds of the per-event caches, each in two generations (cache.go):
	// what is dropped for them early is counted in Stats.Evictions.
	maxDedup   = 1 << 16 // (process, class, file) report times, within Config.Dedup
	maxHot     = 1 << 14 // files' write counts, within a second
	maxHotExec = 1 << 12 // programs' exec-open counts, within a second
	maxModes   = 1 << 16 // files' modes, for attribute changes
	maxPidNS   = 1 << 12 // processes' mount namespaces, for a second
)

// Filesystem magic numbers (statfs f_type) whose file handles hold the
// inode number in a known place.
const (
	magicExt4  = 0xef53
	magicXFS   = 0x58465342
	magicBtrfs = 0x9123683e
	magicTmpfs = 0x01021994
)

// Watcher reads file events from fanotify and turns them into records.
// Read must be called from one goroutine at a time; AddContainer,
// RemoveContainer, Stats and Close may be called from any.
type Watcher struct {
	fd     int // the fanotify group
	wake   int // eventfd that wakes a blocked Read on Close
	cfg    Config
	fsMask uint64 // the filesystem marks' mask
	self   uint32
	ignore map[uint32]bool
	hostNS uint64
	epoch  time.Time

	readMu    sync.Mutex // held by Read; Close waits for it before closing fds
	closed    atomic.Bool
	closeOnce sync.Once

	// Read's state.
	buf       []byte
	off, n    int
	evOff     int            // where ev starts in buf
	execs     map[uint32]int // the offset in buf of each process's last open for exec
	ev        event
	ops       uint64 // the operations of ev still to report
	batchTime time.Time
	now       int64        // ns since epoch, at the batch's read
	capture   func([]byte) // tests: sees every buffer read

	mu         sync.Mutex // guards what follows, shared with AddContainer
	nextHouse  int64      // when housekeep has work
	nextPrune  int64      // when containers are next checked for exit
	fss        map[uint64]*fsys
	lastFS     *fsys
	containers map[uint32]*container
	byNS       map[uint64]*container
	paths      *pathCache
	keyBuf     []byte
	pathBuf    [64]byte
	linkBuf    []byte
	pats       []pattern
	sensitive  map[fileKey]sensFile
	sensDirs   map[fileKey][]scopedDir
	writePats  []pattern
	writeDirs  map[fileKey][]writeDir
	dd         *dedup
	hot        *hotTracker
	hotExec    *hotTracker // programs opened for exec
	ignores    []hotIgnore
	hotPast    map[fileKey]hotPast
	modes      *modeCache
	pidNS      map[uint32]pidNS
	paused     bool // Pause removed the filesystem and ignore marks

	st struct {
		events, records, errors, lost, suppressed, ignoreMarks, kernelSuppressed, ignored, writeDirs atomic.Uint64
	}
}

// fsys is a filesystem the watcher resolves handles on.
type fsys struct {
	fsid    uint64
	dev     uint64
	magic   int64
	mountFD int        // a directory on it, for open_by_handle_at
	owner   *container // mounted only in this container's mount namespace: resolved paths are its view
	views   []*view    // container views of this host-visible filesystem, longest src first
	marked  bool       // has a filesystem mark
	// prefix, when set, is where mountFD's root is on the host: mountFD
	// is a detached copy of the host's mount (open_tree), so that
	// watching the filesystem never keeps the host from unmounting it,
	// and resolved paths are below prefix.
	prefix string
	// forViews is set for a filesystem registered for containers' views
	// (a host mount bind-mounted into a container): it is released when
	// the last view goes.
	forViews bool
}

type viewKind uint8

const (
	viewMap  viewKind = iota // src maps to dst in the container
	viewDrop                 // events here are duplicates of the container's own filesystem mark
	viewWork                 // overlayfs work directory: internals
)

// view maps host paths under src to a container's paths under dst.
type view struct {
	src, dst string
	kind     viewKind
	ctr      *container
}

// container is a container added with AddContainer.
type container struct {
	pid   uint32
	mntns uint64
	root  string // /proc/<pid>/root
	owned []*fsys
}

type sensFile struct {
	path string
	ctr  *container // nil: the host
}

// scopedDir is a marked directory: its path as its scope (the host, or a
// container) sees it.
type scopedDir struct {
	dir string
	ctr *container // nil: the host
}

type hotIgnore struct {
	key    fileKey
	fs     *fsys
	raw    []byte
	placed int64
	until  int64
	rate   float64 // writes a second before the mark; 0 for exec opens, not reported anyway
	mask   uint64  // what it ignores: hotMask or hotExecMask
}

// hotPast is how long a file's last ignore mark lasted and when it ended.
type hotPast struct {
	dur, end int64
}

type pidNS struct {
	ns uint64
	at int64
}

// Open creates a fanotify group, marks the configured filesystems and the
// sensitive files, and returns a Watcher reading them. It needs
// CAP_SYS_ADMIN (and CAP_DAC_READ_SEARCH to resolve paths).
func Open(cfg Config) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	fd, err := unix.FanotifyInit(initFlags, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_LARGEFILE)
	if err != nil {
		return nil, fmt.Errorf("fanotify: fanotify_init: %w", err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("fanotify: eventfd: %w", err)
	}
	w := &Watcher{
		fd:         fd,
		wake:       wake,
		cfg:        cfg,
		fsMask:     fsMask,
		self:       uint32(os.Getpid()),
		ignore:     make(map[uint32]bool),
		execs:      make(map[uint32]int),
		epoch:      time.Now(),
		buf:        make([]byte, cfg.BufferBytes),
		fss:        make(map[uint64]*fsys),
		containers: make(map[uint32]*container),
		byNS:       make(map[uint64]*container),
		paths:      newPathCache(cfg.PathCacheSize),
		linkBuf:    make([]byte, unix.PathMax+16),
		pats:       compilePatterns(cfg.SensitivePaths),
		sensitive:  make(map[fileKey]sensFile),
		sensDirs:   make(map[fileKey][]scopedDir),
		writePats:  compilePatterns(cfg.WriteDirs),
		writeDirs:  make(map[fileKey][]writeDir),
		dd:         newDedup(int64(cfg.Dedup), maxDedup),
		hot:        newHotTracker(cfg.HotThreshold, maxHot),
		hotExec:    newHotTracker(cfg.HotThreshold, maxHotExec),
		modes:      newModeCache(maxModes),
		hotPast:    make(map[fileKey]hotPast),
		pidNS:      make(map[uint32]pidNS),
	}
	if cfg.AllWrites {
		w.fsMask |= maskCloseWrite
	}
	for _, p := range cfg.IgnorePIDs {
		w.ignore[p] = true
	}
	if ns, err := nsOf(w.self); err == nil {
		w.hostNS = ns
	}
	w.mu.Lock()
	for _, p := range cfg.Paths {
		if _, err := w.hostFS(p, true); err != nil {
			w.mu.Unlock()
			w.Close()
			return nil, err
		}
	}
	w.scanSensitive(nil, "")
	w.scanImageLayers()
	w.scanWriteDirs(nil, "")
	w.mu.Unlock()
	return w, nil
}

// Stats returns the counters so far.
func (w *Watcher) Stats() Stats {
	w.mu.Lock()
	evicted := w.paths.evicted + w.dd.evicted + w.hot.evicted + w.hotExec.evicted + w.modes.evicted
	w.mu.Unlock()
	return Stats{
		Evictions:        evicted,
		Events:           w.st.events.Load(),
		Records:          w.st.records.Load(),
		Errors:           w.st.errors.Load(),
		Lost:             w.st.lost.Load(),
		Suppressed:       w.st.suppressed.Load(),
		IgnoreMarks:      w.st.ignoreMarks.Load(),
		KernelSuppressed: w.st.kernelSuppressed.Load(),
		WriteDirs:        w.st.writeDirs.Load(),
		Ignored:          w.st.ignored.Load(),
	}
}

// Close stops the watcher: a blocked Read returns ErrClosed, the marks go
// with the fanotify group, and every descriptor is closed. It is safe to
// call more than once.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		w.closed.Store(true)
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		unix.Write(w.wake, one[:])
		w.readMu.Lock()
		w.mu.Lock()
		for _, fs := range w.fss {
			unix.Close(fs.mountFD)
		}
		clear(w.fss)
		w.lastFS = nil
		unix.Close(w.fd)
		unix.Close(w.wake)
		w.mu.Unlock()
		w.readMu.Unlock()
	})
	return nil
}

// Read blocks until a record is ready and fills r with it. Header fields
// other than Kind, Time and TGID are zeroed: the consumer fills them from
// its process tree. After Close it returns ErrClosed; any other error is
// about one buffer, and the next Read goes on.
func (w *Watcher) Read(r *record.Record) error {
	w.readMu.Lock()
	defer w.readMu.Unlock()
	for {
		if w.closed.Load() {
			return ErrClosed
		}
		if w.ops != 0 || w.off < w.n {
			ok, err := w.next(r)
			if err != nil {
				return err
			}
			if ok {
				w.st.records.Add(1)
				return nil
			}
			continue
		}
		w.housekeep()
		n, err := unix.Read(w.fd, w.buf)
		switch {
		case err == nil && n > 0:
			w.off, w.n = 0, n
			w.scanExecs()
			w.batchTime = time.Now()
			w.now = int64(w.batchTime.Sub(w.epoch))
			if w.capture != nil {
				w.capture(w.buf[:n])
			}
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if err := w.wait(); err != nil {
				return err
			}
		default:
			if w.closed.Load() {
				return ErrClosed
			}
			return fmt.Errorf("fanotify: read: %w", err)
		}
	}
}

// wait blocks until the queue has events, Close is called, or it is time
// for housekeeping; then it lets a batch gather for cfg.Batch.
func (w *Watcher) wait() error {
	timeout := int(pruneEvery / time.Millisecond)
	w.mu.Lock()
	if len(w.ignores) > 0 {
		now := int64(time.Since(w.epoch))
		until := w.ignores[0].until
		for _, ig := range w.ignores {
			until = min(until, ig.until)
		}
		timeout = max(1, int((until-now)/1e6)+1)
	}
	w.mu.Unlock()
	fds := [2]unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}, {Fd: int32(w.wake), Events: unix.POLLIN}}
	n, err := unix.Poll(fds[:], timeout)
	if err != nil && !errors.Is(err, unix.EINTR) {
		if w.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("fanotify: poll: %w", err)
	}
	if n > 0 && fds[0].Revents&unix.POLLIN != 0 && w.cfg.Batch > 0 && !w.closed.Load() {
		time.Sleep(w.cfg.Batch)
	}
	return nil
}

// housekeep lifts expired ignore marks and forgets exited containers.
func (w *Watcher) housekeep() {
	now := int64(time.Since(w.epoch))
	w.mu.Lock()
	defer w.mu.Unlock()
	// The caches of a burst empty when it is over.
	w.dd.age(now)
	w.hot.age(now)
	w.hotExec.age(now)
	w.paths.age(now)
	w.modes.age(now)
	if now < w.nextHouse {
		return
	}
	next := now + int64(pruneEvery)
	w.pidNS = make(map[uint32]pidNS) // a second's answers: asked again
	kept := w.ignores[:0]
	for _, ig := range w.ignores {
		if ig.until > now {
			kept = append(kept, ig)
			next = min(next, ig.until)
			continue
		}
		w.unignore(ig, now)
	}
	clear(w.ignores[len(kept):])
	w.ignores = kept
	if now >= w.nextPrune {
		w.nextPrune = now + int64(pruneEvery)
		for _, c := range w.containers {
			if ns, err := nsOf(c.pid); err != nil || ns != c.mntns {
				w.removeContainer(c)
			}
		}
	}
	w.nextHouse = next
}

// Operations of one event, in the order they are reported.
var opOrder = [...]uint64{maskCreate, maskCloseWrite, maskAttrib, maskOpen, maskDelete, maskRename}

// next reports the next operation in the buffer; false when the buffer is
// used up without one.
func (w *Watcher) next(r *record.Record) (bool, error) {
	for {
		if w.ops == 0 {
			if w.off >= w.n {
				return false, nil
			}
			n, err := parseEvent(w.buf[w.off:w.n], &w.ev)
			if err != nil {
				w.off = w.n
				w.st.errors.Add(1)
				return false, err
			}
			w.evOff = w.off
			w.off += n
			w.st.events.Add(1)
			w.ops = w.start(&w.ev)
		}
		for _, op := range opOrder {
			if w.ops&op == 0 {
				continue
			}
			w.ops &^= op
			w.mu.Lock()
			ok := w.report(op, r)
			w.mu.Unlock()
			if ok {
				if len(w.execs) > 0 {
					if at, ok := w.execs[r.TGID]; ok && at > w.evOff {
						r.BeforeExec = true
					}
				}
				return true, nil
			}
		}
		w.ops = 0
	}
}

// scanExecs notes where in the buffer just read each process last opened
// a file for exec: the queue keeps the order of events, which their read
// time does not tell. Malformed events are left to parseEvent.
func (w *Watcher) scanExecs() {
	clear(w.execs)
	for off := 0; off+metadataLen <= w.n; {
		b := w.buf[off:]
		size := int(binary.NativeEndian.Uint32(b))
		if size < metadataLen || off+size > w.n {
			return
		}
		if binary.NativeEndian.Uint64(b[8:])&maskOpenExec != 0 {
			w.execs[binary.NativeEndian.Uint32(b[20:])] = off
		}
		off += size
	}
}

// execOpened counts a program's opens for exec: one opened more than
// Config.HotThreshold times a second gets an ignore mark like a hot file's,
// so that an exec-heavy loop does not queue an event per exec (the
// dynamic loader is opened with every dynamically linked program, and
// gets one first). While it holds, a write just before an exec of that
// program is credited to the program after it.
func (w *Watcher) execOpened(ev *event) {
	k := ev.file.key()
	k.h ^= 0x9e3779b97f4a7c15 // not the file's write count
	if hot, _ := w.hotExec.count(k, w.now); hot {
		if fs := w.fsOf(ev.file.fsid); fs != nil {
			w.ignoreHot(fs, &ev.file, k, 0, hotExecMask)
		}
	}
}

// start handles what needs no record (overflow, ignored processes) and
// returns the operations to report.
func (w *Watcher) start(ev *event) uint64 {
	if ev.fd >= 0 {
		unix.Close(int(ev.fd)) // never asked for, but never leaked
	}
	if ev.mask&maskOverflow != 0 {
		w.st.lost.Add(1)
		w.mu.Lock()
		w.paths.clear() // renames may have been lost
		w.mu.Unlock()
		return 0
	}
	pid := uint32(ev.pid)
	if pid == w.self || w.ignore[pid] {
		w.st.ignored.Add(1)
		return 0
	}
	if ev.mask&maskOpenExec != 0 && ev.file.valid() {
		w.mu.Lock()
		w.execOpened(ev)
		w.mu.Unlock()
	}
	ops := ev.mask & (maskCreate | maskCloseWrite | maskAttrib | maskOpen | maskDelete | maskRename)
	if ops == 0 {
		w.st.ignored.Add(1)
	}
	return ops
}

// report turns one operation of w.ev into r; false when there is nothing
// to report.
func (w *Watcher) report(op uint64, r *record.Record) bool {
	ev := &w.ev
	pid := uint32(ev.pid)
	switch op {
	case maskCreate:
		return w.create(ev, pid, r)
	case maskCloseWrite:
		return w.closeWrite(ev, pid, r)
	case maskAttrib:
		return w.attrib(ev, pid, r)
	case maskOpen:
		return w.open(ev, pid, r)
	case maskDelete:
		return w.delete(ev, pid, r)
	case maskRename:
		return w.rename(ev, pid, r)
	}
	return false
}

func (w *Watcher) create(ev *event, pid uint32, r *record.Record) bool {
	if ev.mask&maskOnDir != 0 && ev.dir.valid() && w.maybeWriteDir(ev.name) {
		// Not reported, but a directory of Config.WriteDirs is marked.
		if fs := w.fsOf(ev.dir.fsid); fs != nil {
			if p, where, ok := w.entry(fs, &ev.dir, ev.name, pid); ok && where.kind == viewMap {
				w.writeDirEntry(ev.name, p, where.ctr)
			}
		}
	}
	if ev.mask&maskOnDir != 0 || !ev.dir.valid() {
		w.st.ignored.Add(1)
		return false
	}
	fs := w.markedFS(ev.dir.fsid)
	if fs == nil {
		return false
	}
	k := w.objectKey(ev)
	// A process creating the same name again within the window (a lock
	// or temporary file) is not reported again; the file's write by the
	// creating open is the create.
	written := w.dd.repeat(dedupKey{pid, classWrite, k}, w.now)
	if w.dd.repeat(dedupKey{pid, classCreate, ev.dir.key().mix(ev.name)}, w.now) || written {
		w.st.suppressed.Add(1)
		if w.maybeSensitive(&ev.dir, ev.name) {
			// Not reported, but a sensitive file made again is marked.
			if p, where, ok := w.entry(fs, &ev.dir, ev.name, pid); ok && where.kind == viewMap {
				w.sensitiveEntry(&ev.dir, ev.name, p, where.ctr)
			}
		}
		return false
	}
	p, where, ok := w.viewed(fs, &ev.dir, ev.name, pid)
	if !ok {
		return false
	}
	var st unix.Stat_t
	exists := ev.file.valid() && w.statFID(fs, &ev.file, &st)
	if exists && st.Mode&unix.S_IFMT != unix.S_IFREG {
		w.st.ignored.Add(1)
		return false
	}
	w.sensitiveEntry(&ev.dir, ev.name, p, where.ctr)
	w.fill(r, record.KindOpen, pid)
	r.File.Op = record.OpOpen
	r.File.Path = p
	r.File.HostPath = where.host
	r.File.Flags = unix.O_WRONLY | unix.O_CREAT
	r.File.Dev = fs.dev
	if exists {
		r.File.Mode = st.Mode & 0o7777
		r.File.Inode = st.Ino
		r.File.Deleted = st.Nlink == 0
		w.noteMode(k, st.Mode, false)
	} else {
		r.File.Inode = inodeOf(fs.magic, &ev.file)
		r.File.Deleted = true
	}
	return true
}

func (w *Watcher) closeWrite(ev *event, pid uint32, r *record.Record) bool {
	if !ev.file.valid() {
		w.st.ignored.Add(1)
		return false
	}
	fs := w.markedFS(ev.file.fsid)
	if fs == nil {
		return false
	}
	k := ev.file.key()
	if ev.mask&maskCreate != 0 {
		// The write of the open that created the file: one record.
		return false
	}
	if hot, rate := w.hot.count(k, w.now); hot {
		w.ignoreHot(fs, &ev.file, k, rate, hotMask)
	}
	if w.dd.repeat(dedupKey{pid, classWrite, k}, w.now) {
		w.st.suppressed.Add(1)
		return false
	}
	var p string
	var where placed
	ok := false
	if ev.dir.valid() {
		p, where, ok = w.writeDirPath(fs, &ev.dir, ev.name)
		if !ok {
			p, where, ok = w.entry(fs, &ev.dir, ev.name, pid)
		}
	}
	if !ok || where.kind == viewWork {
		// No name, or the name of an overlayfs copy-up in its work
		// directory: ask the file itself where it is now.
		p, where, ok = w.object(fs, &ev.file, pid)
		if !ok {
			return false
		}
	}
	if where.kind != viewMap {
		w.st.ignored.Add(1)
		return false
	}
	w.fill(r, record.KindOpen, pid)
	r.File.Op = record.OpOpen
	r.File.Path = p
	r.File.HostPath = where.host
	r.File.Flags = unix.O_WRONLY
	r.File.Dev = fs.dev
	// No stat here (open_by_handle_at is most of a write's cost): the
	// inode number comes from the handle where its layout is known.
	r.File.Inode = inodeOf(fs.magic, &ev.file)
	if r.File.Inode == 0 {
		var st unix.Stat_t
		if w.statFID(fs, &ev.file, &st) {
			r.File.Inode = st.Ino
		}
	}
	return true
}

// execBits are the mode bits whose setting is reported.
const execBits = 0o6111

func (w *Watcher) attrib(ev *event, pid uint32, r *record.Record) bool {
	if ev.mask&maskOnDir != 0 || !ev.file.valid() || !ev.dir.valid() {
		// Without a name: the link count of a file just unlinked (or a
		// change through a descriptor of a file with no name left).
		w.st.ignored.Add(1)
		return false
	}
	fs := w.markedFS(ev.file.fsid)
	if fs == nil {
		return false
	}
	var st unix.Stat_t
	if !w.statFID(fs, &ev.file, &st) || st.Mode&unix.S_IFMT != unix.S_IFREG {
		// Gone (an unlink's link-count change) or not a regular file.
		w.st.ignored.Add(1)
		return false
	}
	k := ev.file.key()
	mode := st.Mode & 0o7777
	prev, known := w.modes.get(k)
	w.noteMode(k, st.Mode, true)
	switch {
	case mode&execBits == 0:
		w.st.ignored.Add(1)
		return false
	case known && (mode&^prev)&execBits == 0:
		// No execute, setuid or setgid bit newly set: chown, utimes,
		// another link, or a chmod that adds none.
		w.st.ignored.Add(1)
		return false
	case !known && st.Ctim == st.Mtim && st.Atim == st.Mtim:
		// All three times set together: utimes (touch), not a chmod, on
		// a file not seen before.
		w.st.ignored.Add(1)
		return false
	}
	p, where, ok := w.viewed(fs, &ev.dir, ev.name, pid)
	if !ok {
		return false
	}
	w.fill(r, record.KindChmod, pid)
	r.File.Op = record.OpChmod
	r.File.Path = p
	r.File.HostPath = where.host
	r.File.Mode = mode
	r.File.Inode = st.Ino
	r.File.Dev = fs.dev
	r.File.Deleted = st.Nlink == 0
	return true
}

func (w *Watcher) open(ev *event, pid uint32, r *record.Record) bool {
	if ev.mask&maskOnDir != 0 || !ev.file.valid() {
		w.st.ignored.Add(1)
		return false
	}
	k := ev.file.key()
	if w.dd.repeat(dedupKey{pid, classRead, k}, w.now) {
		w.st.suppressed.Add(1)
		return false
	}
	fs := w.fsOf(ev.file.fsid)
	var p, host string
	s, ok := w.sensitive[k]
	if ok && (fs == nil || len(fs.views) == 0 || !ev.dir.valid()) {
		// Only one scope sees the file.
		p = s.path
	} else {
		// On a filesystem both the host and containers see (a runc
		// rootfs, a volume): the path as the process sees it.
		if fs == nil || !ev.dir.valid() {
			w.st.errors.Add(1)
			return false
		}
		q, where, ok := w.viewed(fs, &ev.dir, ev.name, pid)
		if !ok {
			return false
		}
		p, host = q, where.host
	}
	w.fill(r, record.KindOpen, pid)
	r.File.Op = record.OpOpen
	r.File.Path = p
	r.File.HostPath = host
	r.File.Flags = unix.O_RDONLY
	if fs != nil {
		r.File.Dev = fs.dev
		r.File.Inode = inodeOf(fs.magic, &ev.file)
	}
	return true
}

// markedFS is fsOf for an event's file system, counting an error when
// the event names one the watcher has not marked.
func (w *Watcher) markedFS(id uint64) *fsys {
	fs := w.fsOf(id)
	if fs == nil {
		w.st.errors.Add(1)
	}
	return fs
}

func (w *Watcher) delete(ev *event, pid uint32, r *record.Record) bool {
	if !ev.dir.valid() {
		w.st.ignored.Add(1)
		return false
	}
	fs := w.markedFS(ev.dir.fsid)
	if fs == nil {
		return false
	}
	isDir := ev.mask&maskOnDir != 0
	if ev.file.valid() {
		k := ev.file.key()
		delete(w.sensitive, k)
		w.modes.del(k)
		if isDir {
			w.keyBuf = appendHandleKey(w.keyBuf[:0], &ev.file)
			w.paths.forget(w.keyBuf, w.resolvedEntry(fs, &ev.dir, ev.name))
			w.forgetWriteDir(k, false)
		}
	}
	if w.dd.repeat(dedupKey{pid, classDelete, ev.dir.key().mix(ev.name)}, w.now) {
		w.st.suppressed.Add(1)
		return false
	}
	p, where, ok := w.viewed(fs, &ev.dir, ev.name, pid)
	if !ok {
		return false
	}
	w.fill(r, record.KindUnlink, pid)
	r.File.Op = record.OpUnlink
	if isDir {
		r.File.Op = record.OpRmdir
	}
	r.File.Path = p
	r.File.HostPath = where.host
	r.File.Dev = fs.dev
	r.File.Inode = inodeOf(fs.magic, &ev.file)
	r.File.Deleted = true
	return true
}

func (w *Watcher) rename(ev *event, pid uint32, r *record.Record) bool {
	if !ev.oldDir.valid() || !ev.newDir.valid() {
		w.st.ignored.Add(1)
		return false
	}
	fs := w.fsOf(ev.oldDir.fsid)
	if fs == nil {
		w.st.errors.Add(1)
		return false
	}
	oldP, oldWhere, ok := w.entry(fs, &ev.oldDir, ev.oldName, pid)
	if !ok {
		return false
	}
	newP, newWhere, ok := w.entry(fs, &ev.newDir, ev.newName, pid)
	if !ok {
		return false
	}
	isDir := ev.mask&maskOnDir != 0
	if isDir && ev.file.valid() {
		w.keyBuf = appendHandleKey(w.keyBuf[:0], &ev.file)
		w.paths.forget(w.keyBuf, w.resolvedEntry(fs, &ev.oldDir, ev.oldName))
		w.movedDir(ev.file.key(), ev.newName, newP, newWhere)
	}
	if ev.file.valid() {
		// A file renamed over a sensitive file is marked by name below;
		// the file moved keeps its mark and takes the new name.
		if s, ok := w.sensitive[ev.file.key()]; ok && s.ctr == newWhere.ctr {
			s.path = newP
			w.sensitive[ev.file.key()] = s
		}
	}
	if oldWhere.kind == viewWork && newWhere.kind == viewMap {
		// overlayfs moves a whiteout from its work directory over a name
		// to delete a file of a lower layer; anything else moved from
		// there is a copy-up.
		var st unix.Stat_t
		if ev.file.valid() && w.statFID(fs, &ev.file, &st) && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == 0 {
			w.fill(r, record.KindUnlink, pid)
			r.File.Op = record.OpUnlink
			r.File.Path = newP
			r.File.HostPath = newWhere.host
			r.File.Dev = fs.dev
			r.File.Deleted = true
			return true
		}
		w.st.ignored.Add(1)
		return false
	}
	if oldWhere.kind != viewMap || newWhere.kind != viewMap {
		w.st.ignored.Add(1)
		return false
	}
	w.sensitiveEntry(&ev.newDir, ev.newName, newP, newWhere.ctr)
	if w.dd.repeat(dedupKey{pid, classRename, ev.oldDir.key().mix(ev.oldName).mix(ev.newDir.handle).mix(ev.newName)}, w.now) {
		w.st.suppressed.Add(1)
		return false
	}
	w.fill(r, record.KindRename, pid)
	r.File.Op = record.OpRename
	r.File.Path = oldP
	r.File.NewPath = newP
	r.File.HostPath, r.File.HostNewPath = oldWhere.host, newWhere.host
	r.File.Dev = fs.dev
	r.File.Inode = inodeOf(fs.magic, &ev.file)
	return true
}

// fill resets r's header for a record of this watcher.
func (w *Watcher) fill(r *record.Record, kind record.Kind, pid uint32) {
	r.Kind = kind
	r.BeforeExec = false
	r.Syscall = 0
	r.Time = w.batchTime
	r.BootNS = 0
	r.Ret = 0
	r.TGID = pid
	r.TID = 0
	r.PPID = 0
	r.UID, r.GID, r.EUID = 0, 0, 0
	r.AUID = 0
	r.CgroupID = 0
	r.MntNS, r.PidNS, r.NetNS = 0, 0, 0
	r.Comm = ""
	r.File = record.File{FD: -1}
}

// noteMode remembers a file's mode for attrib; modes with an execute bit
// are remembered only from attribute changes, since a create or write
// seen late may already show a chmod that follows it.
func (w *Watcher) noteMode(k fileKey, mode uint32, fromAttrib bool) {
	if !fromAttrib && mode&execBits != 0 {
		return
	}
	w.modes.put(k, mode&0o7777)
}

// objectKey is the dedup key of an event's object: its own handle, or its
// directory and name when the event has none.
func (w *Watcher) objectKey(ev *event) fileKey {
	if ev.file.valid() {
		return ev.file.key()
	}
	k := ev.dir.key()
	for _, c := range ev.name {
		k.h ^= uint64(c)
		k.h *= 1099511628211
	}
	return k
}

func (w *Watcher) fsOf(fsid uint64) *fsys {
	if w.lastFS != nil && w.lastFS.fsid == fsid {
		return w.lastFS
	}
	fs := w.fss[fsid]
	if fs != nil {
		w.lastFS = fs
	}
	return fs
}

// placed says where a path was found.
type placed struct {
	kind viewKind
	ctr  *container // the container whose view the path is in; nil: the host
	host string     // the host's path, when the view is a guess (the process is gone)
}

// entry returns the path of name in directory dir as process pid sees it.
// On failure it counts an error and returns false.
func (w *Watcher) entry(fs *fsys, dir *fid, name []byte, pid uint32) (string, placed, bool) {
	d, err := w.dirPath(fs, dir)
	if err != nil {
		w.st.errors.Add(1)
		return "", placed{}, false
	}
	p, where := w.place(fs, join(d, name), pid)
	return p, where, true
}

// viewed is entry for an event that is reported only where its path is
// mapped into a view (counted as ignored otherwise).
func (w *Watcher) viewed(fs *fsys, dir *fid, name []byte, pid uint32) (string, placed, bool) {
	p, where, ok := w.entry(fs, dir, name, pid)
	if ok && where.kind != viewMap {
		w.st.ignored.Add(1)
		ok = false
	}
	return p, where, ok
}

// resolvedEntry is entry's path before it is placed in a container's view
// (what the path cache holds), or "" when unknown.
func (w *Watcher) resolvedEntry(fs *fsys, dir *fid, name []byte) string {
	d, err := w.dirPath(fs, dir)
	if err != nil {
		return ""
	}
	return join(d, name)
}

// object returns the current path of the file itself.
func (w *Watcher) object(fs *fsys, f *fid, pid uint32) (string, placed, bool) {
	fd, err := openByHandle(fs.mountFD, f.raw, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		w.st.errors.Add(1)
		return "", placed{}, false
	}
	p, _, err := w.fdPath(fd)
	unix.Close(fd)
	if err != nil {
		w.st.errors.Add(1)
		return "", placed{}, false
	}
	q, where := w.place(fs, fs.hostPath(p), pid)
	return q, where, true
}

// dirPath resolves a directory handle to its path in its filesystem's
// resolved view (the host's, or for a container-only filesystem the
// container's), through the cache.
func (w *Watcher) dirPath(fs *fsys, f *fid) (string, error) {
	w.keyBuf = appendHandleKey(w.keyBuf[:0], f)
	if p, ok := w.paths.get(w.keyBuf); ok {
		return p, nil
	}
	fd, err := openByHandle(fs.mountFD, f.raw, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC)
	if err != nil {
		return "", err
	}
	p, deleted, err := w.fdPath(fd)
	unix.Close(fd)
	if err != nil {
		return "", err
	}
	p = fs.hostPath(p)
	if !deleted {
		w.paths.put(w.keyBuf, p)
	}
	return p, nil
}

// hostPath is the path p of a file resolved through the filesystem's
// mountFD, as the host sees it.
func (fs *fsys) hostPath(p string) string {
	switch {
	case fs.prefix == "":
		return p
	case p == "/":
		return fs.prefix
	case fs.prefix == "/":
		return p
	}
	return fs.prefix + p
}

// fdPath reads the path of an open descriptor from /proc/self/fd.
func (w *Watcher) fdPath(fd int) (string, bool, error) {
	b := append(w.pathBuf[:0], "/proc/self/fd/"...)
	b = strconv.AppendInt(b, int64(fd), 10)
	b = append(b, 0)
	atFDCWD := unix.AT_FDCWD
	n, _, e := unix.Syscall6(unix.SYS_READLINKAT, uintptr(atFDCWD), uintptr(unsafe.Pointer(&b[0])),
		uintptr(unsafe.Pointer(&w.linkBuf[0])), uintptr(len(w.linkBuf)), 0, 0)
	if e != 0 {
		return "", false, e
	}
	s := w.linkBuf[:n]
	if int(n) == len(w.linkBuf) || len(s) == 0 || s[0] != '/' {
		return "", false, fmt.Errorf("fanotify: unusable path %q", s)
	}
	deleted := false
	if t, ok := bytes.CutSuffix(s, []byte(" (deleted)")); ok {
		s, deleted = t, true
	}
	return string(s), deleted, nil
}

// place maps a resolved path to the path process pid sees.
func (w *Watcher) place(fs *fsys, p string, pid uint32) (string, placed) {
	if fs.owner != nil {
		return p, placed{kind: viewMap, ctr: fs.owner}
	}
	var best *view
	for _, v := range fs.views {
		if _, ok := mounts.Under(p, v.src); ok {
			best = v
			break
		}
	}
	if best == nil {
		return p, placed{}
	}
	c, known := w.pidContainer(pid)
	if known {
		if c == nil {
			return p, placed{}
		}
		for _, v := range fs.views {
			if v.ctr != c {
				continue
			}
			if q, ok := mounts.Rebase(p, v.src, v.dst); ok {
				return q, placed{kind: v.kind, ctr: c}
			}
		}
		return p, placed{}
	}
	// The process is gone: the path is the container's, on the guess
	// that the process was, with the host's path for the consumer, which
	// knows.
	q, _ := mounts.Rebase(p, best.src, best.dst)
	return q, placed{kind: best.kind, ctr: best.ctr, host: p}
}

// pidContainer returns the added container whose mount namespace process
// pid is in (nil for the host's); known is false when the process is gone
// or in a namespace not added.
func (w *Watcher) pidContainer(pid uint32) (*container, bool) {
	e, ok := w.pidNS[pid]
	if !ok || w.now-e.at >= 1e9 {
		var ns uint64
		known := false
		if w.cfg.MountNS != nil {
			ns, known = w.cfg.MountNS(pid)
		}
		if !known {
			var err error
			if ns, err = nsOf(pid); err != nil {
				return nil, false
			}
		}
		if len(w.pidNS) >= maxPidNS {
			w.pidNS = make(map[uint32]pidNS)
		}
		e = pidNS{ns: ns, at: w.now}
		w.pidNS[pid] = e
	}
	if e.ns == w.hostNS {
		return nil, true
	}
	if c := w.byNS[e.ns]; c != nil {
		return c, true
	}
	return nil, false
}

// statFID stats the file a handle names; false when it no longer exists.
func (w *Watcher) statFID(fs *fsys, f *fid, st *unix.Stat_t) bool {
	fd, err := openByHandle(fs.mountFD, f.raw, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return false
	}
	err = unix.Fstat(fd, st)
	unix.Close(fd)
	return err == nil
}

// ignoreHot puts an ignore mark on a file written too often, for
// cfg.HotIgnore, or twice as long as last time when the file was hot again
// soon after its last mark.
func (w *Watcher) ignoreHot(fs *fsys, f *fid, k fileKey, rate float64, mask uint64) {
	if len(w.ignores) >= maxIgnores || w.paused {
		return
	}
	dur := int64(w.cfg.HotIgnore)
	if p, ok := w.hotPast[k]; ok && w.now-p.end < 2*p.dur {
		dur = min(2*p.dur, 32*int64(w.cfg.HotIgnore))
	}
	if err := w.markHandle(fs, f.raw, unix.FAN_MARK_ADD|unix.FAN_MARK_IGNORE_SURV|unix.FAN_MARK_EVICTABLE, mask); err != nil {
		w.st.errors.Add(1)
		return
	}
	w.st.ignoreMarks.Add(1)
	w.ignores = append(w.ignores, hotIgnore{
		key: k, fs: fs, raw: slices.Clone(f.raw), placed: w.now,
		until: w.now + dur, rate: rate, mask: mask,
	})
	w.nextHouse = min(w.nextHouse, w.now+dur)
}

// unignore lifts an ignore mark and adds its estimate of what it hid.
func (w *Watcher) unignore(ig hotIgnore, now int64) {
	w.st.kernelSuppressed.Add(uint64(ig.rate * float64(now-ig.placed) / 1e9))
	if len(w.hotPast) >= maxIgnores {
		w.hotPast = make(map[fileKey]hotPast)
	}
	w.hotPast[ig.key] = hotPast{dur: ig.until - ig.placed, end: now}
	if w.fss[ig.fs.fsid] != ig.fs {
		return
	}
	if w.paused {
		return
	}
	err := w.markHandle(ig.fs, ig.raw, unix.FAN_MARK_REMOVE|unix.FAN_MARK_IGNORE, ig.mask)
	if err != nil && !errors.Is(err, unix.ESTALE) && !errors.Is(err, unix.ENOENT) {
		w.st.errors.Add(1)
	}
}

// markFS adds (add) or removes the filesystem mark of the filesystem of
// directory fd; while the watcher is paused it only records that the mark
// is wanted (Resume adds it).
func (w *Watcher) markFS(fd int, add bool, mask uint64) error {
	if w.paused {
		return nil
	}
	flags := uint(unix.FAN_MARK_FILESYSTEM | unix.FAN_MARK_REMOVE)
	if add {
		flags = unix.FAN_MARK_FILESYSTEM | unix.FAN_MARK_ADD
	}
	return unix.FanotifyMark(w.fd, flags, mask, fd, "")
}

// Pause removes the filesystem marks, the marks of WriteDirs and the
// ignore marks on hot files: until Resume, file activity costs the kernel
// nothing and is not seen (what happens meanwhile is never reported). The
// inode marks of sensitive files stay. Events already queued can still be read.
func (w *Watcher) Pause() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.paused || w.closed.Load() {
		return nil
	}
	err := w.setMarks(false, w.fsMask)
	w.paused = true
	return err
}

// Resume puts back the marks Pause removed, and marks the filesystems
// registered meanwhile.
func (w *Watcher) Resume() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.paused || w.closed.Load() {
		return nil
	}
	w.paused = false
	return w.setMarks(true, w.fsMask)
}

// setMarks adds (on) or removes every filesystem mark, with mask, the
// marks of WriteDirs and the ignore marks in place. Called with mu held.
func (w *Watcher) setMarks(on bool, mask uint64) error {
	var errs []error
	for _, fs := range w.fss {
		if fs.marked {
			errs = append(errs, w.markFS(fs.mountFD, on, mask))
		}
	}
	flags := uint(unix.FAN_MARK_REMOVE)
	if on {
		flags = unix.FAN_MARK_ADD
	}
	for _, ds := range w.writeDirs {
		if err := w.markWriteDirs(ds, flags); err != nil && !errors.Is(err, unix.ESTALE) {
			errs = append(errs, err)
		}
	}
	flags = unix.FAN_MARK_REMOVE | unix.FAN_MARK_IGNORE
	if on {
		flags = unix.FAN_MARK_ADD | unix.FAN_MARK_IGNORE_SURV | unix.FAN_MARK_EVICTABLE
	}
	for _, ig := range w.ignores {
		if w.fss[ig.fs.fsid] != ig.fs {
			continue
		}
		err := w.markHandle(ig.fs, ig.raw, flags, ig.mask)
		if err != nil && !errors.Is(err, unix.ESTALE) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// markHandle changes the inode mark of the file a handle names.
func (w *Watcher) markHandle(fs *fsys, raw []byte, flags uint, mask uint64) error {
	fd, err := openByHandle(fs.mountFD, raw, unix.O_PATH|unix.O_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.FanotifyMark(w.fd, flags, mask, unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd))
}

// hostFS returns the filesystem of a host path, registering (and, when
// mark is set, marking) it.
func (w *Watcher) hostFS(p string, mark bool) (*fsys, error) {
	return w.registerPath(p, nil, mark)
}

// registerPath opens a directory at p (or p's parent when p is not one) and
// registers its filesystem.
func (w *Watcher) registerPath(p string, owner *container, mark bool) (*fsys, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) {
		fd, err = unix.Open(filepath.Dir(p), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("fanotify: %s: %w", p, err)
	}
	fs, err := w.register(fd, owner, mark)
	if err != nil {
		return nil, fmt.Errorf("fanotify: marking the filesystem of %s: %w", p, err)
	}
	return fs, nil
}

// register registers the filesystem of directory fd, which it takes over.
func (w *Watcher) register(fd int, owner *container, mark bool) (*fsys, error) {
	var sfs unix.Statfs_t
	var st unix.Stat_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	fsid := uint64(uint32(sfs.Fsid.Val[0])) | uint64(uint32(sfs.Fsid.Val[1]))<<32
	fs := w.fss[fsid]
	if fs != nil {
		if mark && !fs.marked {
			if err := w.markFS(fd, true, w.fsMask); err != nil {
				unix.Close(fd)
				return nil, err
			}
			fs.marked = true
		}
		unix.Close(fd)
		return fs, nil
	}
	if mark {
		if err := w.markFS(fd, true, w.fsMask); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	fs = &fsys{fsid: fsid, dev: st.Dev, magic: int64(sfs.Type), mountFD: fd, owner: owner, marked: mark}
	w.fss[fsid] = fs
	if owner != nil {
		owner.owned = append(owner.owned, fs)
	}
	return fs, nil
}

// scanSensitive marks the sensitive files that exist for one scope (the
// host, or a container seen through root) and their directories.
func (w *Watcher) scanSensitive(c *container, root string) {
	for _, p := range w.pats {
		w.globSensitive(c, root, p)
	}
}

// globSensitive marks what one pattern matches in a scope.
func (w *Watcher) globSensitive(c *container, root string, p pattern) {
	dirs, _ := filepath.Glob(root + p.dir)
	for _, d := range dirs {
		w.markSensDir(c, root, d[len(root):])
	}
	files, _ := filepath.Glob(root + p.glob)
	for _, f := range files {
		w.markSensitive(c, root, f[len(root):])
	}
}

// scanImageLayers marks the sensitive files found in the image layers on
// the host (Config.ImageLayers), with their host paths.
func (w *Watcher) scanImageLayers() {
	for _, g := range w.cfg.ImageLayers {
		layers, _ := filepath.Glob(g)
		for _, l := range layers {
			for _, p := range w.pats {
				files, _ := filepath.Glob(l + p.glob)
				for _, f := range files {
					w.markSensitive(nil, "", f)
				}
			}
		}
	}
}

// markSensDir marks a directory that holds or may hold sensitive files.
func (w *Watcher) markSensDir(c *container, root, dir string) {
	full := root + dir
	var st unix.Stat_t
	if unix.Stat(full, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	k, err := handleKey(full)
	if err != nil {
		w.st.errors.Add(1)
		return
	}
	for _, d := range w.sensDirs[k] {
		if d.ctr == c && d.dir == dir {
			return
		}
	}
	if w.fss[k.fsid] == nil {
		if _, err := w.registerPath(full, c, false); err != nil {
			w.st.errors.Add(1)
			return
		}
	}
	if err := unix.FanotifyMark(w.fd, unix.FAN_MARK_ADD, sensDirMask, unix.AT_FDCWD, full); err != nil {
		w.st.errors.Add(1)
		return
	}
	w.sensDirs[k] = append(w.sensDirs[k], scopedDir{dir: dir, ctr: c})
}

// markSensitive marks one sensitive file; p is the path the scope sees.
func (w *Watcher) markSensitive(c *container, root, p string) {
	full := root + p
	var st unix.Stat_t
	if unix.Stat(full, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	k, err := handleKey(full)
	if err != nil {
		w.st.errors.Add(1)
		return
	}
	if err := unix.FanotifyMark(w.fd, unix.FAN_MARK_ADD, sensitiveMask, unix.AT_FDCWD, full); err != nil {
		w.st.errors.Add(1)
		return
	}
	if s, ok := w.sensitive[k]; !ok || s.ctr != c {
		w.sensitive[k] = sensFile{path: p, ctr: c}
	}
	w.markSensDir(c, root, path.Dir(p))
}

// sensitiveEntry marks a file just created or renamed when it is (or its
// directory holds) a sensitive file. p is its path in the scope c.
func (w *Watcher) sensitiveEntry(dir *fid, name []byte, p string, c *container) {
	if len(w.pats) == 0 {
		return
	}
	root := ""
	if c != nil {
		root = c.root
	}
	if pathMatches(w.pats, p, name) {
		w.markSensitive(c, root, p)
	} else if c == nil && embeddedMatches(w.pats, p, name) {
		// A root file system being laid out on the host (an image layer
		// unpacked, a bundle's rootfs): marked before any container runs
		// on it, with the host's path, which the consumer puts in the
		// reading container's view.
		w.markSensitive(nil, "", p)
	}
	if ds, ok := w.sensDirs[dir.key()]; ok {
		// A directory of sensitive files changed (a Kubernetes secret's
		// ..data link swapped): look again.
		for _, d := range slices.Clone(ds) {
			r := ""
			if d.ctr != nil {
				r = d.ctr.root
			}
			for _, pat := range dirPatterns(w.pats, d.dir) {
				files, _ := filepath.Glob(r + pat.glob)
				for _, f := range files {
					w.markSensitive(d.ctr, r, f[len(r):])
				}
			}
		}
	}
}

// maybeSensitive is sensitiveEntry's quick check: whether a name made in a
// directory could be (or change) a sensitive file.
func (w *Watcher) maybeSensitive(dir *fid, name []byte) bool {
	if len(w.pats) == 0 {
		return false
	}
	for i := range w.pats {
		if w.pats[i].matchBase(name) {
			return true
		}
	}
	_, ok := w.sensDirs[dir.key()]
	return ok
}

// scanWriteDirs marks the directories of Config.WriteDirs that exist for
// one scope (the host, or a container seen through root).
func (w *Watcher) scanWriteDirs(c *container, root string) {
	for _, p := range w.writePats {
		dirs, _ := filepath.Glob(root + p.glob)
		for _, d := range dirs {
			w.markWriteDir(c, root, d[len(root):])
		}
	}
}

// writeDir is a directory marked for writes.
type writeDir struct {
	scopedDir
	fs  *fsys
	raw []byte // its handle, to remove the mark
}

// markWriteDir marks a directory whose files' writes are reported; dir is
// the path the scope sees. A directory seen by more than one scope (a
// container's bind mount of a host directory) is marked once and
// remembered for each.
func (w *Watcher) markWriteDir(c *container, root, dir string) {
	full := root + dir
	var st unix.Stat_t
	if unix.Stat(full, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	k, raw, err := handleOf(full)
	if err != nil {
		w.st.errors.Add(1)
		return
	}
	for _, d := range w.writeDirs[k] {
		if d.ctr == c {
			return // /bin and /usr/bin, when one links to the other
		}
	}
	if _, ok := w.writeDirs[k]; !ok && len(w.writeDirs) >= maxWriteDirs {
		w.st.errors.Add(1)
		return
	}
	fs := w.fss[k.fsid]
	if fs == nil {
		if fs, err = w.registerPath(full, c, false); err != nil {
			w.st.errors.Add(1)
			return
		}
	}
	if w.paused {
		// Resume marks it.
	} else if err := unix.FanotifyMark(w.fd, unix.FAN_MARK_ADD, writeDirMask, unix.AT_FDCWD, full); err != nil {
		w.st.errors.Add(1)
		return
	}
	w.writeDirs[k] = append(w.writeDirs[k], writeDir{scopedDir{dir: dir, ctr: c}, fs, raw})
	w.st.writeDirs.Store(uint64(len(w.writeDirs)))
}

// writeDirEntry marks a directory just made or renamed into place when it
// matches Config.WriteDirs; p is its path in the scope c.
func (w *Watcher) writeDirEntry(name []byte, p string, c *container) {
	if len(w.writePats) == 0 || !pathMatches(w.writePats, p, name) {
		return
	}
	root := ""
	if c != nil {
		root = c.root
	}
	w.markWriteDir(c, root, p)
}

// maybeWriteDir is writeDirEntry's quick check, before the path is
// resolved.
func (w *Watcher) maybeWriteDir(name []byte) bool {
	for i := range w.writePats {
		if w.writePats[i].matchBase(name) {
			return true
		}
	}
	return false
}

// forgetWriteDir drops a directory that was removed or moved away, and
// its mark when it is still there.
func (w *Watcher) forgetWriteDir(k fileKey, unmark bool) {
	ds, ok := w.writeDirs[k]
	if !ok {
		return
	}
	delete(w.writeDirs, k)
	w.st.writeDirs.Store(uint64(len(w.writeDirs)))
	if unmark && !w.paused {
		w.markWriteDirs(ds, unix.FAN_MARK_REMOVE)
	}
}

// movedDir follows a directory renamed to p: a marked directory keeps its
// mark where it still matches Config.WriteDirs and loses it elsewhere; one
// moved to a matching path is marked.
func (w *Watcher) movedDir(k fileKey, name []byte, p string, where placed) {
	if len(w.writePats) == 0 {
		return
	}
	matches := where.kind == viewMap && pathMatches(w.writePats, p, name)
	w.forgetWriteDir(k, !matches)
	if matches {
		w.writeDirEntry(name, p, where.ctr)
	}
}

// markWriteDirs changes the mark of one directory of WriteDirs (seen by
// the scopes of ds) by its handle, or where the handle cannot be opened
// (overlayfs without nfs_export) by its path in a container.
func (w *Watcher) markWriteDirs(ds []writeDir, flags uint) error {
	d := ds[0]
	if w.fss[d.fs.fsid] != d.fs {
		return nil // unmounted with its marks
	}
	err := w.markHandle(d.fs, d.raw, flags, writeDirMask)
	if err == nil || errors.Is(err, unix.ENOENT) && flags&unix.FAN_MARK_REMOVE != 0 {
		return nil
	}
	for _, scope := range ds {
		if scope.ctr != nil {
			if perr := unix.FanotifyMark(w.fd, flags, writeDirMask, unix.AT_FDCWD, scope.ctr.root+scope.dir); perr == nil {
				return nil
			}
		}
	}
	return err
}

// writeDirPath returns the path, as its scope sees it, of name in a
// marked directory of a container's own filesystem, whose handles may
// not be decodable (overlayfs without nfs_export).
func (w *Watcher) writeDirPath(fs *fsys, dir *fid, name []byte) (string, placed, bool) {
	if fs.owner == nil {
		return "", placed{}, false
	}
	for _, d := range w.writeDirs[dir.key()] {
		if d.ctr == fs.owner {
			return join(d.dir, name), placed{kind: viewMap, ctr: d.ctr}, true
		}
	}
	return "", placed{}, false
}

// handleOf returns the fileKey of a path (following symlinks), as
// fanotify reports the file, and its handle as open_by_handle_at takes
// it.
func handleOf(p string) (fileKey, []byte, error) {
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, p, unix.AT_SYMLINK_FOLLOW|atHandleFID)
	if err != nil {
		return fileKey{}, nil, err
	}
	var sfs unix.Statfs_t
	if err := unix.Statfs(p, &sfs); err != nil {
		return fileKey{}, nil, err
	}
	fsid := uint64(uint32(sfs.Fsid.Val[0])) | uint64(uint32(sfs.Fsid.Val[1]))<<32
	b := h.Bytes()
	raw := make([]byte, handleHeaderLen, handleHeaderLen+len(b))
	binary.NativeEndian.PutUint32(raw, uint32(len(b)))
	binary.NativeEndian.PutUint32(raw[4:], uint32(h.Type()))
	return keyOf(fsid, h.Type(), b), append(raw, b...), nil
}

// handleKey returns the fileKey of a path (following symlinks), as
// fanotify reports the file.
func handleKey(p string) (fileKey, error) {
	k, _, err := handleOf(p)
	return k, err
}

// openByHandle is open_by_handle_at on a struct file_handle as fanotify
// reports it (raw points into the event buffer: no copy).
func openByHandle(mountFD int, raw []byte, flags int) (int, error) {
	if len(raw) < handleHeaderLen {
		return -1, unix.EINVAL
	}
	r, _, e := unix.Syscall(unix.SYS_OPEN_BY_HANDLE_AT, uintptr(mountFD), uintptr(unsafe.Pointer(&raw[0])), uintptr(flags))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// nsOf returns the inode number of a process's mount namespace.
func nsOf(pid uint32) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.FormatUint(uint64(pid), 10)+"/ns/mnt", &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// inodeOf reads the inode number from a file handle of a filesystem whose
// handle layout is known; 0 otherwise.
func inodeOf(magic int64, f *fid) uint64 {
	h := f.handle
	ne := binary.NativeEndian
	switch magic {
	case magicExt4, magicXFS:
		switch f.htype {
		case 1, 2: // FILEID_INO32_GEN, FILEID_INO32_GEN_PARENT
			if len(h) >= 4 {
				return uint64(ne.Uint32(h))
			}
		case 0x81, 0x82: // FILEID_INO64_GEN, FILEID_INO64_GEN_PARENT
			if len(h) >= 8 {
				return ne.Uint64(h)
			}
		}
	case magicBtrfs:
		if len(h) >= 8 {
			return ne.Uint64(h)
		}
	case magicTmpfs:
		if len(h) >= 12 {
			return uint64(ne.Uint32(h[4:])) | uint64(ne.Uint32(h[8:]))<<32
		}
	}
	return 0
}
