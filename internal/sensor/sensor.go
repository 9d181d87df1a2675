//go:build linux

package sensor

import (
	"context"
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/container"
	"github.com/vigilsec/vigil/internal/sensor/fanotify"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"github.com/vigilsec/vigil/internal/sensor/proctree"
)

// Source is where records come from: the kernel sensor, or another
// watcher that reports in kernel records. Read blocks until the next
// record and fills r, reusing r's buffers; a *kernel.DecodeError is one bad
// record (counted, and reading goes on); after Close, Read returns an
// error that ends the source (record.ErrClosed for the kernel sensor).
type Source interface {
	Read(r *record.Record) error
	Close() error
}

// input is one source and its counters.
type input struct {
	name string
	src  Source
	// partial: the source's records carry only Kind, Time, TGID and their
	// own fields (fanotify); the rest of the header comes from the tree.
	partial bool
	// lost reads the source's count of dropped records, by kind;
	// suppressed its count of repeats it did not report.
	lost, suppressed func() map[string]uint64
	decodeErrors     atomic.Uint64
	readErrors       atomic.Uint64
	// waiting is when the source's goroutine began waiting in Read (unix
	// ns), 0 while it handles a record.
	waiting atomic.Int64
}

// maxReadErrors is how many failed reads in a row end a source.
const maxReadErrors = 100

func kernelInput(k *kernel.Sensor) *input {
	byKind := func(m map[record.Kind]uint64) map[string]uint64 {
		out := map[string]uint64{}
		for kind, n := range m {
			out[kind.String()] = n
		}
		return out
	}
	return &input{name: "kernel", src: k,
		lost:       func() map[string]uint64 { return byKind(k.Stats().Lost) },
		suppressed: func() map[string]uint64 { return byKind(k.Stats().Suppressed) },
	}
}

func fanotifyInput(w *fanotify.Watcher) *input {
	return &input{name: "fanotify", src: w, partial: true,
		lost: func() map[string]uint64 {
			// A queue overflow drops events of any kind.
			return map[string]uint64{"queue_overflow": w.Stats().Lost}
		},
		suppressed: func() map[string]uint64 {
			st := w.Stats()
			return map[string]uint64{"repeat": st.Suppressed, "hot_file": st.KernelSuppressed}
		},
	}
}

// Sensor reads records from its sources and emits events. Run it once;
// Close releases what New opened.
type Sensor struct {
	cfg    Config
	kern   *kernel.Sensor    // nil when the sources were given
	files  *fanotify.Watcher // nil when file activity comes from the kernel's sys_exit hook
	inputs []*input
	tree   *processTree
	attr   *container.Attributor
	mnt    *mounts.Table // nil when /proc/self/mountinfo cannot be read
	seeded int

	mu    sync.Mutex // serialises the mapper, emit and what follows
	m     *mapper
	stats counters
	// pending holds the records of partial sources (file events, whose
	// process the tree must know as it was then) until the full sources'
	// records up to their time are handled: kernelMark is the time of the
	// last one handled, latency how late the kernel delivers a record.
	pending    []record.Record
	pendHead   int
	kernelMark time.Time
	latency    time.Duration
	// held are the events waiting for their container's metadata
	// (Config.MetadataWait), by container, in order; heldN counts them.
	held  map[*container.Container]*heldEvents
	heldN int

	closeOnce sync.Once
	closeErr  error
}

// heldEvents are one container's events waiting for its metadata.
type heldEvents struct {
	info   container.Info
	since  time.Time
	events []*event.Event
}

// maxHeld bounds the events waiting for metadata.
const maxHeld = 1 << 16

// counters are the Sensor's counts, read by Stats while Run goes on.
type counters struct {
	records    [64]atomic.Uint64 // by record.Kind
	events     [numEvents]atomic.Uint64
	unresolved atomic.Uint64
	// heldEvents counts events that waited for their container's
	// metadata, heldTimeouts the containers whose wait ran out.
	heldEvents, heldTimeouts atomic.Uint64
	// pendingEarly counts partial sources' records handled before they
	// were due, for maxPending.
	pendingEarly atomic.Uint64
}

func (c *counters) record(k record.Kind) {
	if int(k) < len(c.records) {
		c.records[k].Add(1)
	}
}

// New opens the file watcher (unless Kernel.SyscallTracepoint) and the
// kernel sensor, seeds the process tree from /proc and starts container
// attribution. It fails when the kernel sensor cannot be loaded (no
// privileges, no BTF, a verifier error): the error says why. When fanotify
// cannot be opened, file activity comes from the kernel's sys_exit hook,
// and the Logger says why.
func New(cfg Config) (*Sensor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	var files *fanotify.Watcher
	if !cfg.Kernel.SyscallTracepoint {
		w, err := fanotify.Open(cfg.Files)
		if err != nil {
			cfg.Logger.Warn("no fanotify file watcher: file activity comes from the syscall tracepoint", "err", err)
			cfg.Kernel.SyscallTracepoint = true
		} else {
			files = w
		}
	}
	k, err := kernel.Open(cfg.Kernel)
	if err != nil {
		if files != nil {
			files.Close()
		}
		return nil, err
	}
	inputs := []*input{kernelInput(k)}
	if files != nil {
		inputs = append(inputs, fanotifyInput(files))
	}
	s, err := newSensor(cfg, inputs)
	if err != nil {
		k.Close()
		if files != nil {
			files.Close()
		}
		return nil, err
	}
	s.kern = k
	// The host's namespaces as the kernel says: /proc/1/ns may not be
	// readable (a sensor in a container, some sandboxes even as root).
	if ns, err := k.HostNamespaces(); err == nil {
		host := maps.Clone(s.m.hostNS)
		maps.DeleteFunc(host, func(_ uint64, name string) bool {
			return name == "CLONE_NEWNS" || name == "CLONE_NEWPID" || name == "CLONE_NEWNET"
		})
		host[uint64(ns.Mnt)], host[uint64(ns.Pid)], host[uint64(ns.Net)] = "CLONE_NEWNS", "CLONE_NEWPID", "CLONE_NEWNET"
		s.m.setHostNS(host)
	} else {
		cfg.Logger.Warn("the host's namespaces not known from the kernel: setns into them and containers' processes in them are told by /proc/1/ns only", "err", err)
	}
	if files != nil {
		s.files = files
		s.m.files = files
		s.m.watchRunning()
	}
	return s, nil
}

// FileSource names where file activity comes from: "fanotify", or
// "sys_exit" (the kernel's syscall tracepoint).
func (s *Sensor) FileSource() string {
	if s.files != nil {
		return "fanotify"
	}
	return "sys_exit"
}

// WriteDirs says where writes of existing files are reported: everywhere
// on the watched filesystems (all), or in dirs directories (the file
// watcher's Config.WriteDirs found on the host and in the containers). With
// the sys_exit hook every write is reported.
func (s *Sensor) WriteDirs() (dirs uint64, all bool) {
	if s.files == nil {
		return 0, true
	}
	return s.files.Stats().WriteDirs, s.cfg.Files.AllWrites
}

// newSensor assembles a sensor around the given sources; cfg has its
// defaults set.
func newSensor(cfg Config, inputs []*input) (*Sensor, error) {
	log := cfg.Logger
	if cfg.Container.OnError == nil {
		cfg.Container.OnError = func(err error) { log.Debug("container attribution", "err", err) }
	}
	if cfg.Tree.OnError == nil {
		cfg.Tree.OnError = func(err error) { log.Debug("process tree", "err", err) }
	}
	attr, err := container.New(cfg.Container)
	if err != nil {
		return nil, fmt.Errorf("sensor: %w", err)
	}
	cfg.Tree.Grace = cfg.grace()
	tree := proctree.New[*prog](cfg.Tree)
	// The sources are open: processes started from now on are in their
	// records, the others in /proc.
	n, err := tree.Seed()
	if err != nil {
		attr.Close()
		return nil, fmt.Errorf("sensor: %w", err)
	}
	s := &Sensor{cfg: cfg, inputs: inputs, tree: tree, attr: attr, seeded: n, latency: cfg.Kernel.MaxLatency,
		held: map[*container.Container]*heldEvents{}}
	if s.latency <= 0 {
		s.latency = 20 * time.Millisecond // the kernel sensor's default
	}
	s.m = newMapper(tree, attr, newUsers(cfg.Passwd), cfg.Node, cfg.ProcRoot, &s.stats)
	s.m.log = cfg.Logger
	// File paths are resolved in the sensor's mount namespace: its own
	// mount table says where a container's root is.
	if mt, err := mounts.NewTable(cfg.ProcRoot+"/self/mountinfo", 0, nil); err != nil {
		log.Warn("no mount table: file paths of containers the file watcher could not register stay the host's", "err", err)
	} else {
		s.mnt, s.m.mounts = mt, mt
	}
	return s, nil
}

// Hooks lists the kernel hooks in use and those the kernel refused.
func (s *Sensor) Hooks() []kernel.Hook {
	if s.kern == nil {
		return nil
	}
	return s.kern.Hooks()
}

// Seeded is how many processes the tree read from /proc at start.
func (s *Sensor) Seeded() int { return s.seeded }

// Run reads every source, each in its own goroutine, and passes each
// record's event to emit, one call at a time. emit owns the event: the
// sensor does not touch it again. Run returns when ctx is done (nil), when
// emit fails (its error) or when a source fails (an error naming it); it
// closes the sources before it returns.
func (s *Sensor) Run(ctx context.Context, emit func(*event.Event) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, len(s.inputs)+1)
	for _, in := range s.inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.read(ctx, in, emit); err != nil {
				errc <- err
				cancel()
			}
		}()
	}
	if s.mnt != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.mnt.Watch(ctx); err != nil {
				s.cfg.Logger.Warn("mount table not watched: reread on demand only", "err", err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.tick(ctx, emit); err != nil {
			errc <- err
			cancel()
		}
	}()
	<-ctx.Done()
	s.closeSources()
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}
	// What the partial sources read last is handed out too, and what
	// waits for metadata.
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.drain(time.Now(), emit, true); err != nil {
		return err
	}
	return s.release(time.Now(), emit, true)
}

// read handles one source's records until it ends.
func (s *Sensor) read(ctx context.Context, in *input, emit func(*event.Event) error) error {
	var r record.Record
	failed := 0
	for {
		in.waiting.Store(time.Now().UnixNano())
		err := in.src.Read(&r)
		in.waiting.Store(0)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, record.ErrClosed) {
				return nil
			}
			var de *kernel.DecodeError
			if errors.As(err, &de) {
				in.decodeErrors.Add(1)
				s.cfg.Logger.Debug("bad record", "source", in.name, "err", err)
				continue
			}
			// A failed read costs what it was reading; many in a row
			// mean the source is broken.
			in.readErrors.Add(1)
			if failed++; failed >= maxReadErrors {
				return fmt.Errorf("sensor: reading %s: %d failures in a row, the last: %w", in.name, failed, err)
			}
			s.cfg.Logger.Debug("read failed", "source", in.name, "err", err)
			continue
		}
		failed = 0
		s.mu.Lock()
		if in.partial {
			s.pending = append(s.pending, r)
		} else {
			if s.pendHead < len(s.pending) && s.pending[s.pendHead].Time.Before(r.Time) {
				// File records read before this record's time come
				// first: the kernel's records up to it are handled.
				if r.Time.After(s.kernelMark) {
					s.kernelMark = r.Time.Add(-1)
				}
				err = s.drain(time.Now(), emit, false)
			}
			if err == nil {
				if r.Kind == record.KindCgroup {
					s.m.cgroupRecord(&r)
				} else {
					err = s.emit(s.m.handle(&r, false), emit)
				}
			}
			if r.Time.After(s.kernelMark) {
				s.kernelMark = r.Time
			}
		}
		if err == nil && s.pendHead < len(s.pending) {
			err = s.drain(time.Now(), emit, false)
		}
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// emit passes on the event of the record just mapped; a record that is no
// event (nil) is dropped. The event of a container whose metadata lookup
// is under way waits for it (Config.MetadataWait), and so do the
// container's events after it. Called with mu held.
func (s *Sensor) emit(e *event.Event, emit func(*event.Event) error) error {
	if e == nil {
		return nil
	}
	info := s.m.last
	if c := info.Container; c != nil && s.cfg.MetadataWait > 0 && e.Container != nil {
		h := s.held[c]
		if h == nil && c.Pending() {
			h = &heldEvents{info: info, since: time.Now()}
			s.held[c] = h
		}
		if h != nil {
			h.events = append(h.events, e)
			s.heldN++
			s.stats.heldEvents.Add(1)
			if s.heldN > maxHeld {
				return s.release(time.Now(), emit, true)
			}
			return nil
		}
	}
	return emit(e)
}

// release hands out the held events of the containers whose metadata has
// come or whose wait ran out (all of them with all), filling in what the
// runtime said. Called with mu held.
func (s *Sensor) release(now time.Time, emit func(*event.Event) error, all bool) error {
	for c, h := range s.held {
		timedOut := now.Sub(h.since) >= s.cfg.MetadataWait
		if !all && c.Pending() && !timedOut {
			continue
		}
		if timedOut && c.Pending() {
			s.stats.heldTimeouts.Add(1)
		}
		delete(s.held, c)
		s.heldN -= len(h.events)
		for _, e := range h.events {
			s.m.setContainer(e.Container, h.info)
			if err := emit(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxHold bounds how long a partial source's record waits for the full
// sources to catch up.
const maxHold = 2 * time.Second

// maxPending bounds the partial sources' records waiting (1,232 bytes
// each): beyond it the oldest are handled at once, before they are due
// (their process may not be known yet), counted in Stats.PendingEarly.
// pendingKept is the room kept once they are all handled; a burst's
// larger backlog is given back.
const (
	maxPending  = 1 << 14
	pendingKept = 1 << 10
)

// idleMargin is how much longer than its latency a full source must have
// waited in Read to count as having delivered everything until then
// (goroutines are not scheduled the moment they are due).
const idleMargin = 50 * time.Millisecond

// drain handles the pending records that are due (all of them with all):
// those whose time the full sources have passed and whose process the tree
// knows, or that waited maxHold. Called with mu held.
func (s *Sensor) drain(now time.Time, emit func(*event.Event) error, all bool) error {
	mark := s.kernelMark
	idle := true
	for _, in := range s.inputs {
		if in.partial {
			continue
		}
		// A full source waiting in Read for longer than its latency has
		// delivered every record of its events until then.
		w := in.waiting.Load()
		if w == 0 || time.Duration(now.UnixNano()-w) <= s.latency+idleMargin {
			idle = false
		}
	}
	if idle {
		if t := now.Add(-s.latency - idleMargin); t.After(mark) {
			mark = t
		}
	}
	for s.pendHead < len(s.pending) {
		r := &s.pending[s.pendHead]
		if over := len(s.pending)-s.pendHead > maxPending; over && !all {
			s.stats.pendingEarly.Add(1)
		} else if !all && now.Sub(r.Time) < maxHold {
			if r.Time.After(mark) {
				break
			}
			// The process's fork or exec may still be on its way.
			if _, ok := s.tree.Get(int32(r.TGID)); r.TGID != 0 && !ok {
				break
			}
		}
		s.pendHead++
		if err := s.emit(s.m.handle(r, true), emit); err != nil {
			return err
		}
		*r = record.Record{}
	}
	if s.pendHead == len(s.pending) {
		s.pending, s.pendHead = s.pending[:0], 0
		if cap(s.pending) > pendingKept {
			s.pending = nil
		}
	} else if s.pendHead > 4096 && s.pendHead*2 > len(s.pending) {
		n := copy(s.pending, s.pending[s.pendHead:])
		s.pending, s.pendHead = s.pending[:n], 0
	}
	return nil
}

// tick hands out pending records when no record comes to do it, and
// drops exited processes from the tree.
func (s *Sensor) tick(ctx context.Context, emit func(*event.Event) error) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	lastReap := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			s.mu.Lock()
			var err error
			if s.pendHead < len(s.pending) {
				err = s.drain(now, emit, false)
			}
			if err == nil && len(s.held) > 0 {
				err = s.release(now, emit, false)
			}
			if now.Sub(lastReap) >= time.Second {
				lastReap = now
				s.tree.Reap(now)
				s.attr.Expire(now)
			}
			s.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
}

// Pause detaches the kernel programs and removes the file watcher's
// marks: until Resume, the sensor costs the watched processes nothing and
// sees nothing of what they do (what happens meanwhile is never reported).
// Records already delivered are still handled.
func (s *Sensor) Pause() error {
	var errs []error
	if s.kern != nil {
		errs = append(errs, s.kern.Pause())
	}
	if s.files != nil {
		errs = append(errs, s.files.Pause())
	}
	return errors.Join(errs...)
}

// Resume undoes Pause.
func (s *Sensor) Resume() error {
	var errs []error
	if s.kern != nil {
		errs = append(errs, s.kern.Resume())
	}
	if s.files != nil {
		errs = append(errs, s.files.Resume())
	}
	return errors.Join(errs...)
}

func (s *Sensor) closeSources() error {
	var errs []error
	for _, in := range s.inputs {
		errs = append(errs, in.src.Close())
	}
	return errors.Join(errs...)
}

// Close closes the sources and stops container metadata lookups. It is
// safe to call twice, and after Run.
func (s *Sensor) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.closeSources(), s.attr.Close())
	})
	return s.closeErr
}

// Stats counts what the sensor has done since New.
type Stats struct {
	// Events counts the events emitted, by event_name.
	Events map[string]uint64
	// Records counts the records read, by kind.
	Records map[string]uint64
	// Lost counts the records each source dropped (the kernel's ring
	// buffer was full), by source and kind.
	Lost map[string]map[string]uint64
	// Suppressed counts the repeats each source did not report, by
	// source and kind (kernel: connects, accepts and privileged calls
	// repeated within a second; fanotify: repeated writes, and the
	// estimated writes to hot files under an ignore mark).
	Suppressed map[string]map[string]uint64
	// DecodeErrors counts malformed records, by source.
	DecodeErrors map[string]uint64
	// ReadErrors counts failed reads, by source.
	ReadErrors map[string]uint64
	// Unresolved counts records whose cgroup was not (yet) attributed to
	// the host or a container.
	Unresolved uint64
	// MetadataHeld counts events that waited for their container's
	// metadata (Config.MetadataWait); MetadataTimeouts the containers
	// whose events went out without it, the wait having run out.
	MetadataHeld, MetadataTimeouts uint64
	Tree                           proctree.Stats
	Container                      container.Stats
	// PendingEarly counts file records handled before their time had
	// come, because more than maxPending (16,384) waited.
	PendingEarly uint64
}

// Stats returns the counters; it is safe to call while Run goes on.
func (s *Sensor) Stats() Stats {
	st := Stats{
		Events:           map[string]uint64{},
		Records:          map[string]uint64{},
		Lost:             map[string]map[string]uint64{},
		Suppressed:       map[string]map[string]uint64{},
		DecodeErrors:     map[string]uint64{},
		ReadErrors:       map[string]uint64{},
		Unresolved:       s.stats.unresolved.Load(),
		MetadataHeld:     s.stats.heldEvents.Load(),
		MetadataTimeouts: s.stats.heldTimeouts.Load(),
		PendingEarly:     s.stats.pendingEarly.Load(),
		Tree:             s.tree.Stats(),
		Container:        s.attr.Stats(),
	}
	for i := range s.stats.events {
		if n := s.stats.events[i].Load(); n > 0 {
			st.Events[eventNames[i]] = n
		}
	}
	for k := range s.stats.records {
		if n := s.stats.records[k].Load(); n > 0 {
			st.Records[record.Kind(k).String()] = n
		}
	}
	for _, in := range s.inputs {
		st.DecodeErrors[in.name] = in.decodeErrors.Load()
		st.ReadErrors[in.name] = in.readErrors.Load()
		st.Lost[in.name] = map[string]uint64{}
		if in.lost != nil {
			st.Lost[in.name] = in.lost()
		}
		st.Suppressed[in.name] = map[string]uint64{}
		if in.suppressed != nil {
			st.Suppressed[in.name] = in.suppressed()
		}
	}
	return st
}
