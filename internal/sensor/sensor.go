//go:build linux

package sensor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/container"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/proctree"
)

// Source is where records come from: the kernel sensor, or another
// watcher that reports in kernel records. Read blocks until the next
// record and fills r, reusing r's buffers; a *kernel.DecodeError is one bad
// record (counted, and reading goes on); after Close, Read returns an
// error that ends the source (kernel.ErrClosed for the kernel sensor).
type Source interface {
	Read(r *kernel.Record) error
	Close() error
}

// lossCounter is a source that counts the records it dropped.
type lossCounter interface {
	Stats() kernel.Stats
}

// input is one source and its counters.
type input struct {
	name         string
	src          Source
	decodeErrors atomic.Uint64
}

// Sensor reads records from its sources and emits events. Run it once;
// Close releases what New opened.
type Sensor struct {
	cfg    Config
	kern   *kernel.Sensor // nil when the sources were given
	inputs []*input
	tree   *proctree.Tree
	attr   *container.Attributor
	seeded int

	mu    sync.Mutex // serialises the mapper and emit
	m     *mapper
	stats counters

	closeOnce sync.Once
	closeErr  error
}

// counters are the Sensor's counts, read by Stats while Run goes on.
type counters struct {
	records    [64]atomic.Uint64 // by kernel.Kind
	events     [numEvents]atomic.Uint64
	unresolved atomic.Uint64
}

func (c *counters) record(k kernel.Kind) {
	if int(k) < len(c.records) {
		c.records[k].Add(1)
	}
}

// New opens the kernel sensor, seeds the process tree from /proc and
// starts container attribution. It fails when the kernel sensor cannot be
// loaded (no privileges, no BTF, a verifier error): the error says why.
func New(cfg Config) (*Sensor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	// File activity (and dup onto stdio, memfd_create) comes from the
	// syscall tracepoint while the sensor has no file-event source of its
	// own.
	cfg.Kernel.SyscallTracepoint = true
	k, err := kernel.Open(cfg.Kernel)
	if err != nil {
		return nil, err
	}
	s, err := newSensor(cfg, []*input{{name: "kernel", src: k}})
	if err != nil {
		k.Close()
		return nil, err
	}
	s.kern = k
	return s, nil
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
	tree := proctree.New(cfg.Tree)
	// The sources are open: processes started from now on are in their
	// records, the others in /proc.
	n, err := tree.Seed()
	if err != nil {
		attr.Close()
		return nil, fmt.Errorf("sensor: %w", err)
	}
	s := &Sensor{cfg: cfg, inputs: inputs, tree: tree, attr: attr, seeded: n}
	grace := cfg.Tree.Grace
	if grace <= 0 {
		grace = 30 * time.Second
	}
	s.m = newMapper(tree, attr, newUsers(cfg.Passwd), cfg.Node, cfg.ProcRoot, grace, &s.stats)
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
	errc := make(chan error, len(s.inputs))
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
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.reap(ctx)
	}()
	<-ctx.Done()
	s.closeSources()
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// read handles one source's records until it ends.
func (s *Sensor) read(ctx context.Context, in *input, emit func(*event.Event) error) error {
	var r kernel.Record
	for {
		if err := in.src.Read(&r); err != nil {
			if ctx.Err() != nil || errors.Is(err, kernel.ErrClosed) {
				return nil
			}
			var de *kernel.DecodeError
			if errors.As(err, &de) {
				in.decodeErrors.Add(1)
				s.cfg.Logger.Debug("bad record", "source", in.name, "err", err)
				continue
			}
			return fmt.Errorf("sensor: reading %s: %w", in.name, err)
		}
		s.mu.Lock()
		err := emit(s.m.handle(&r))
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// reap drops exited processes from the tree when no records come.
func (s *Sensor) reap(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			s.tree.Reap(now)
			s.m.expire(now)
			s.mu.Unlock()
		}
	}
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
	// DecodeErrors counts malformed records, by source.
	DecodeErrors map[string]uint64
	// Unresolved counts records whose cgroup was not (yet) attributed to
	// the host or a container.
	Unresolved uint64
	Tree       proctree.Stats
	Container  container.Stats
}

// Stats returns the counters; it is safe to call while Run goes on.
func (s *Sensor) Stats() Stats {
	st := Stats{
		Events:       map[string]uint64{},
		Records:      map[string]uint64{},
		Lost:         map[string]map[string]uint64{},
		DecodeErrors: map[string]uint64{},
		Unresolved:   s.stats.unresolved.Load(),
		Tree:         s.tree.Stats(),
		Container:    s.attr.Stats(),
	}
	for i := range s.stats.events {
		if n := s.stats.events[i].Load(); n > 0 {
			st.Events[eventNames[i]] = n
		}
	}
	for k := range s.stats.records {
		if n := s.stats.records[k].Load(); n > 0 {
			st.Records[kernel.Kind(k).String()] = n
		}
	}
	for _, in := range s.inputs {
		st.DecodeErrors[in.name] = in.decodeErrors.Load()
		lost := map[string]uint64{}
		if lc, ok := in.src.(lossCounter); ok {
			for k, n := range lc.Stats().Lost {
				lost[k.String()] = n
			}
		}
		st.Lost[in.name] = lost
	}
	return st
}
