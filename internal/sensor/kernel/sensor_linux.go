//go:build linux && amd64

package kernel

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// Sensor is the loaded and attached set of kernel programs and the reader
// of their records.
type Sensor struct {
	coll   *ebpf.Collection
	links  []link.Link
	btf    bool // the tp_btf programs are loaded, not the raw_tp ones
	hooks  []Hook
	reader *ringbuf.Reader
	lost   *ebpf.Map
	supp   *ebpf.Map

	bootWall int64
	latency  time.Duration

	mu  sync.Mutex // serialises Read
	rec ringbuf.Record

	records      atomic.Uint64
	decodeErrors atomic.Uint64
	closeOnce    sync.Once
	closeErr     error
}

// attachment is one tracepoint the sensor attaches, with its two program versions.
type attachment struct {
	tracepoint string
	tpBTF      string
	rawTP      string
}

var attachments = []attachment{
	{"sys_exit", "tp_sys_exit", "raw_sys_exit"},
	{"sched_process_exec", "tp_exec", "raw_exec"},
	{"sched_process_fork", "tp_fork", "raw_fork"},
	{"sched_process_exit", "tp_exit", "raw_exit"},
}

// Open checks privileges, loads the programs (tp_btf where the kernel
// supports it, raw_tp otherwise), attaches them and starts reading.
func Open(cfg Config) (*Sensor, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	if err := checkPrivileges(); err != nil {
		return nil, err
	}
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("sensor: raising the locked-memory limit: %w", err)
	}

	s := &Sensor{latency: cfg.MaxLatency}
	probes := map[string]error{}
	for _, k := range []string{HookTPBTF, HookRawTP, HookFentry, HookLSM, HookKprobe} {
		probes[k] = probeAttach(k)
	}
	useBTF := probes[HookTPBTF] == nil && !cfg.ForceRawTP
	coll, err := load(cfg, useBTF)
	if err != nil && useBTF {
		probes[HookTPBTF] = err
		useBTF = false
		coll, err = load(cfg, false)
	}
	if err != nil {
		return nil, err
	}
	s.coll = coll
	s.lost = coll.Maps["lost"]
	s.supp = coll.Maps["suppressed"]

	s.btf = useBTF
	if err := s.attach(); err != nil {
		s.Close()
		return nil, err
	}
	for _, a := range attachments {
		kind := HookRawTP
		if useBTF {
			kind = HookTPBTF
		}
		s.hooks = append(s.hooks, Hook{Name: a.tracepoint, Kind: kind, Active: true})
	}
	if !useBTF {
		s.hooks = append(s.hooks, Hook{Name: "sys_exit", Kind: HookTPBTF, Err: probes[HookTPBTF]})
	}
	s.hooks = append(s.hooks,
		Hook{Name: "vfs_open", Kind: HookFentry, Err: unavailable(probes[HookFentry])},
		Hook{Name: "file_open", Kind: HookLSM, Err: unavailable(probes[HookLSM])},
		Hook{Name: "vfs_open", Kind: HookKprobe, Err: unavailable(probes[HookKprobe])},
	)

	if s.reader, err = ringbuf.NewReader(coll.Maps["events"]); err != nil {
		s.Close()
		return nil, fmt.Errorf("sensor: ring buffer reader: %w", err)
	}
	s.reader.SetDeadline(time.Now().Add(s.latency))
	s.bootWall = bootWall()
	return s, nil
}

// attach attaches every program.
func (s *Sensor) attach() error {
	for _, a := range attachments {
		var l link.Link
		var err error
		if s.btf {
			l, err = link.AttachTracing(link.TracingOptions{Program: s.coll.Programs[a.tpBTF]})
		} else {
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: a.tracepoint, Program: s.coll.Programs[a.rawTP]})
		}
		if err != nil {
			return fmt.Errorf("sensor: attaching %s: %w", a.tracepoint, err)
		}
		s.links = append(s.links, l)
	}
	return nil
}

// detach detaches every program; attach brings them back.
func (s *Sensor) detach() error {
	var errs []error
	for _, l := range s.links {
		errs = append(errs, l.Close())
	}
	s.links = nil
	return errors.Join(errs...)
}

// unavailable marks a hook kind the sensor does not use: nil when the kernel would accept it.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("not available on this kernel: %w", err)
}

// load loads the collection with either the tp_btf or the raw_tp programs.
func load(cfg Config, btf bool) (*ebpf.Collection, error) {
	spec, err := loadSensor()
	if err != nil {
		return nil, fmt.Errorf("sensor: reading the embedded object: %w", err)
	}
	for _, a := range attachments {
		if btf {
			delete(spec.Programs, a.rawTP)
		} else {
			delete(spec.Programs, a.tpBTF)
		}
	}
	spec.Maps["events"].MaxEntries = uint32(cfg.RingBufferBytes)
	var mask uint64
	for _, n := range cfg.SensitiveNames {
		mask |= 1 << len(n)
	}
	wakeup := uint64(cfg.WakeupBytes)
	if cfg.WakeupBytes < 0 {
		wakeup = 0
	}
	for name, v := range map[string]any{
		"self_tgid":          uint32(os.Getpid()),
		"wakeup_bytes":       wakeup,
		"sensitive_len_mask": mask,
		"open_dedup_ns":      uint64(max(cfg.OpenDedup, 0)),
	} {
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("sensor: setting %s: %w", name, err)
		}
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("sensor: loading programs: %w (verifier log tail: %+v)", err, ve)
		}
		return nil, fmt.Errorf("sensor: loading programs: %w", err)
	}
	for _, n := range cfg.SensitiveNames {
		var k sensorNameKey
		for i := 0; i < len(n); i++ {
			k.Name[i] = int8(n[i])
		}
		if err := coll.Maps["sensitive_names"].Put(k, uint8(1)); err != nil {
			coll.Close()
			return nil, fmt.Errorf("sensor: adding sensitive name %q: %w", n, err)
		}
	}
	for _, pid := range cfg.IgnorePIDs {
		if err := coll.Maps["ignore_pids"].Put(pid, uint8(1)); err != nil {
			coll.Close()
			return nil, fmt.Errorf("sensor: ignoring pid %d: %w", pid, err)
		}
	}
	return coll, nil
}

// checkPrivileges says which capabilities are missing, if any.
func checkPrivileges() error {
	if os.Geteuid() == 0 {
		return nil
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("sensor: reading capabilities: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	if !has(unix.CAP_BPF) && !has(unix.CAP_SYS_ADMIN) {
		missing = append(missing, "CAP_BPF")
	}
	if !has(unix.CAP_PERFMON) && !has(unix.CAP_SYS_ADMIN) {
		missing = append(missing, "CAP_PERFMON")
	}
	if len(missing) > 0 {
		return fmt.Errorf("sensor: needs root or CAP_BPF and CAP_PERFMON; missing %v", missing)
	}
	return nil
}

// bootWall returns the wall-clock time of CLOCK_BOOTTIME zero, in Unix ns.
func bootWall() int64 {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return now.UnixNano() - ts.Nano()
}

// Hooks lists the hooks in use and the hook kinds the kernel refused.
func (s *Sensor) Hooks() []Hook {
	return append([]Hook(nil), s.hooks...)
}

// Read blocks until the next record and decodes it into r, reusing r's
// buffers. A malformed record gives a *DecodeError (and is counted); Read
// can be called again after it. After Close, Read returns ErrClosed.
func (s *Sensor) Read(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		err := s.reader.ReadInto(&s.rec)
		if err == nil {
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			s.reader.SetDeadline(time.Now().Add(s.latency))
			continue
		}
		if errors.Is(err, ringbuf.ErrClosed) || errors.Is(err, os.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("sensor: reading the ring buffer: %w", err)
	}
	s.records.Add(1)
	if err := Decode(s.rec.RawSample, r, s.bootWall); err != nil {
		s.decodeErrors.Add(1)
		return err
	}
	return nil
}

// Stats returns counters since Open.
func (s *Sensor) Stats() Stats {
	st := Stats{Records: s.records.Load(), DecodeErrors: s.decodeErrors.Load()}
	st.Lost, st.LostTotal = perKind(s.lost)
	st.Suppressed, _ = perKind(s.supp)
	return st
}

// perKind sums a per-CPU array of counters indexed by kind.
func perKind(m *ebpf.Map) (map[Kind]uint64, uint64) {
	out := map[Kind]uint64{}
	var total uint64
	var perCPU []uint64
	for k := Kind(1); k < kindEnd; k++ {
		if err := m.Lookup(uint32(k), &perCPU); err != nil {
			continue
		}
		var n uint64
		for _, c := range perCPU {
			n += c
		}
		if n > 0 {
			out[k] = n
			total += n
		}
	}
	return out, total
}

// Close detaches the programs and stops Read. It is safe to call twice.
func (s *Sensor) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.reader != nil {
			errs = append(errs, s.reader.Close())
		}
		for _, l := range s.links {
			errs = append(errs, l.Close())
		}
		if s.coll != nil {
			s.coll.Close()
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
