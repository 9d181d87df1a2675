//go:build linux && amd64

package kernel

import (
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
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
	plan   []*planned
	hooks  []Hook
	cgroup string // the cgroup v2 root the cgroup programs attach to
	reader *ringbuf.Reader
	lost   *ebpf.Map
	supp   *ebpf.Map
	// hostNS are the host's namespaces as the kernel says (hostNSErr why
	// not).
	hostNS    HostNS
	hostNSErr error

	bootWall int64
	latency  time.Duration

	mu  sync.Mutex // serialises Read
	rec ringbuf.Record
	dec decoder // its buffers are kept from one Read to the next

	linkMu sync.Mutex // guards links against Pause, Resume and Close
	paused bool
	closed bool

	records      atomic.Uint64
	decodeErrors atomic.Uint64
	closeOnce    sync.Once
	closeErr     error
}

// hookSet says in which configuration a hook is attached.
type hookSet uint8

const (
	setAlways  hookSet = iota // every configuration
	setDefault                // unless Config.SyscallTracepoint
	setSyscall                // with Config.SyscallTracepoint
)

// attachment is one hook the sensor can attach: a tracepoint with its two
// program versions, or a cgroup attach point with its program.
type attachment struct {
	name     string
	set      hookSet
	optional bool // Open goes on without it, reporting why in Hooks
	tpBTF    string
	rawTP    string
	cgroup   string          // cgroup program
	attach   ebpf.AttachType // cgroup attach type
	kinds    []record.Kind
	partial  map[record.Kind]string // see Hook.Partial
}

// syscallKinds are the kinds the sys_exit hook reports.
var syscallKinds = []record.Kind{
	record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod, record.KindConnect, record.KindAccept, record.KindBind, record.KindListen, record.KindDup,
	record.KindPtrace, record.KindMemfd, record.KindSetID, record.KindMount, record.KindUmount, record.KindChroot, record.KindUnshare, record.KindSetns, record.KindModule, record.KindBPF,
}

// capPartial are the kinds cap_capable sees only when the call checks a
// capability, and what that leaves out.
var capPartial = map[record.Kind]string{
	record.KindPtrace:  "only ptrace calls that check CAP_SYS_PTRACE (another user's process, or under Yama's ptrace_scope); tracing a process of one's own user is not seen (it is with the syscall tracepoint)",
	record.KindSetID:   "only set*id calls that check CAP_SETUID or CAP_SETGID (changing to another user); dropping to one's own ids is not seen (it is with the syscall tracepoint)",
	record.KindUnshare: "only unshare calls that check a capability; new user namespaces (and those made in them) are not seen (they are with the syscall tracepoint)",
}

// capKinds are the kinds the cap_capable hook reports.
var capKinds = []record.Kind{
	record.KindPtrace, record.KindSetID, record.KindMount, record.KindUmount, record.KindChroot, record.KindUnshare, record.KindSetns, record.KindModule, record.KindBPF,
}

var attachments = []attachment{
	{name: "sched_process_exec", tpBTF: "tp_exec", rawTP: "raw_exec", kinds: []record.Kind{record.KindExec}},
	{name: "sched_process_fork", tpBTF: "tp_fork", rawTP: "raw_fork", kinds: []record.Kind{record.KindFork}},
	{name: "sched_process_exit", tpBTF: "tp_exit", rawTP: "raw_exit", kinds: []record.Kind{record.KindExit}},
	{name: "cgroup_mkdir", tpBTF: "tp_cgroup_mkdir", rawTP: "raw_cgroup_mkdir", kinds: []record.Kind{record.KindCgroup}},
	{name: "cgroup_rmdir", tpBTF: "tp_cgroup_rmdir", rawTP: "raw_cgroup_rmdir", kinds: []record.Kind{record.KindCgroup}},
	{name: "cgroup_attach_task", tpBTF: "tp_cgroup_attach", rawTP: "raw_cgroup_attach", kinds: []record.Kind{record.KindCgroup}},
	{name: "sys_exit", set: setSyscall, tpBTF: "tp_sys_exit", rawTP: "raw_sys_exit", kinds: syscallKinds},
	{name: "connect4", set: setDefault, optional: true, cgroup: "sock_connect4", attach: ebpf.AttachCGroupInet4Connect, kinds: []record.Kind{record.KindConnect}},
	{name: "connect6", set: setDefault, optional: true, cgroup: "sock_connect6", attach: ebpf.AttachCGroupInet6Connect, kinds: []record.Kind{record.KindConnect}},
	{name: "connect_unix", set: setDefault, optional: true, cgroup: "sock_connect_unix", attach: ebpf.AttachCgroupUnixConnect, kinds: []record.Kind{record.KindConnect}},
	{name: "bind4", set: setDefault, optional: true, cgroup: "sock_bind4", attach: ebpf.AttachCGroupInet4Bind, kinds: []record.Kind{record.KindBind}},
	{name: "bind6", set: setDefault, optional: true, cgroup: "sock_bind6", attach: ebpf.AttachCGroupInet6Bind, kinds: []record.Kind{record.KindBind}},
	{name: "inet_sock_set_state", set: setDefault, optional: true, tpBTF: "tp_sock_state", rawTP: "raw_sock_state", kinds: []record.Kind{record.KindListen, record.KindAccept}},
	{name: "cap_capable", set: setDefault, optional: true, tpBTF: "tp_cap", rawTP: "raw_cap", kinds: capKinds, partial: capPartial},
	{name: "signal_generate", set: setDefault, optional: true, tpBTF: "tp_signal", rawTP: "raw_signal", kinds: []record.Kind{record.KindPtrace},
		partial: map[record.Kind]string{record.KindPtrace: "only PTRACE_ATTACH (by the stop signal it sends its tracee); PTRACE_SEIZE and memory or register writes of one's own user's processes are not seen (they are with the syscall tracepoint)"}},
}

// planned is an attachment chosen at Open, its program and its entry in Sensor.hooks.
type planned struct {
	a    *attachment
	prog string // the program's name in the collection
	hook int
}

// entryDedup is how long a thread's capability checks of one privileged
// call with the same arguments count as that one call.
const entryDedup = time.Second

// Open checks privileges, loads the programs (tp_btf where the kernel
// supports it, raw_tp otherwise), attaches them and starts reading. Hooks of
// the configuration that the kernel lacks (an optional one: a cgroup attach
// type, a tracepoint) are left out and reported by Hooks with the reason;
// a missing scheduler or sys_exit hook fails Open.
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
	var coll *ebpf.Collection
	var err error
	for {
		s.plan, s.hooks = s.choose(cfg, useBTF)
		coll, err = load(cfg, useBTF, s.plan)
		if err != nil && useBTF {
			probes[HookTPBTF] = err
			useBTF = false
			continue
		}
		break
	}
	if err != nil {
		return nil, err
	}
	s.coll = coll
	s.lost = coll.Maps["lost"]
	s.supp = coll.Maps["suppressed"]
	s.btf = useBTF
	s.hostNS, s.hostNSErr = readHostNS(coll)

	if err := s.attach(); err != nil {
		s.Close()
		return nil, err
	}
	if !useBTF {
		s.hooks = append(s.hooks, Hook{Name: probeTracepoint, Kind: HookTPBTF, Err: probes[HookTPBTF]})
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

// choose picks the hooks of the configuration the kernel offers: the plan
// to load and attach, and one Hook per attachment (those of the other
// configuration inactive, the unavailable ones with the reason).
func (s *Sensor) choose(cfg Config, btf bool) ([]*planned, []Hook) {
	var plan []*planned
	var hooks []Hook
	want := setDefault
	if cfg.SyscallTracepoint {
		want = setSyscall
	}
	var cgroupErr error
	if want == setDefault && s.cgroup == "" {
		s.cgroup, cgroupErr = cgroup2Root()
	}
	for i := range attachments {
		a := &attachments[i]
		h := Hook{Name: a.name, Kind: HookRawTP, Kinds: a.kinds, Partial: a.partial}
		prog := a.rawTP
		switch {
		case a.cgroup != "":
			h.Kind, prog = HookCgroup, a.cgroup
		case btf:
			h.Kind, prog = HookTPBTF, a.tpBTF
		}
		if a.set != setAlways && a.set != want {
			hooks = append(hooks, h)
			continue
		}
		if a.optional {
			switch {
			case a.cgroup != "" && cgroupErr != nil:
				h.Err = fmt.Errorf("finding the cgroup v2 root: %w", cgroupErr)
			case a.cgroup != "":
				h.Err = unavailable(probeCgroupHook(a.attach))
			default:
				h.Err = unavailable(probeTracepointHook(a.name, btf))
			}
		}
		if h.Err == nil {
			plan = append(plan, &planned{a: a, prog: prog, hook: len(hooks)})
		}
		hooks = append(hooks, h)
	}
	return plan, hooks
}

// attach attaches every planned program. A mandatory hook that fails
// fails attach; an optional one is recorded in Hooks and left out.
func (s *Sensor) attach() error {
	for _, p := range s.plan {
		var l link.Link
		var err error
		prog := s.coll.Programs[p.prog]
		switch {
		case p.a.cgroup != "":
			l, err = link.AttachCgroup(link.CgroupOptions{Path: s.cgroup, Attach: p.a.attach, Program: prog})
		case s.btf:
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		default:
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: p.a.name, Program: prog})
		}
		h := &s.hooks[p.hook]
		if err != nil {
			if !p.a.optional {
				return fmt.Errorf("sensor: attaching %s: %w", p.a.name, err)
			}
			h.Active, h.Err = false, err
			continue
		}
		h.Active, h.Err = true, nil
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

// HostNS are the mount, pid and network namespaces (inode numbers) of the
// host's init process.
type HostNS struct {
	Mnt, Pid, Net uint32
}

// HostNamespaces returns the host's namespaces as the kernel says, found
// at Open by walking up from the sensor's own process to the host's pid 1
// (through a container's init, if the sensor runs in one); the error says
// why they are unknown.
func (s *Sensor) HostNamespaces() (HostNS, error) { return s.hostNS, s.hostNSErr }

// hostNSProg is the program that finds the host's namespaces, run once
// at Open.
const hostNSProg = "find_host_ns"

// readHostNS runs hostNSProg and reads what it found: the namespaces of
// the host's init process, known from the kernel even where /proc/1/ns
// cannot be read.
func readHostNS(coll *ebpf.Collection) (HostNS, error) {
	prog := coll.Programs[hostNSProg]
	if prog == nil {
		return HostNS{}, errors.New("sensor: no host namespace program")
	}
	if _, err := prog.Run(&ebpf.RunOptions{}); err != nil {
		return HostNS{}, fmt.Errorf("sensor: running %s: %w", hostNSProg, err)
	}
	var v sensorHostNs
	if err := coll.Maps["host_namespaces"].Lookup(uint32(0), &v); err != nil {
		return HostNS{}, fmt.Errorf("sensor: reading the host's namespaces: %w", err)
	}
	if v.Found == 0 {
		return HostNS{}, errors.New("sensor: the host's init process is not among the sensor's ancestors")
	}
	return HostNS{Mnt: v.Mnt, Pid: v.Pid, Net: v.Net}, nil
}

// load loads the collection with the planned programs only.
func load(cfg Config, btf bool, plan []*planned) (*ebpf.Collection, error) {
	spec, err := loadSensor()
	if err != nil {
		return nil, fmt.Errorf("sensor: reading the embedded object: %w", err)
	}
	keep := map[string]bool{hostNSProg: true}
	for _, p := range plan {
		keep[p.prog] = true
	}
	for name := range spec.Programs {
		if !keep[name] {
			delete(spec.Programs, name)
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
		"net_dedup_ns":       uint64(max(cfg.NetDedup, 0)),
		"entry_dedup_ns":     uint64(entryDedup),
		"have_ignore_pids":   uint32(min(len(cfg.IgnorePIDs), 1)),
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

// Hooks lists every hook the sensor knows, with the record kinds each
// reports: those attached (Active), those of the other configuration
// (inactive, Err nil), those of the configuration the kernel refused
// (inactive, with Err), and the hook kinds the sensor does not use, with
// whether the kernel would accept them.
func (s *Sensor) Hooks() []Hook {
	out := append([]Hook(nil), s.hooks...)
	for i := range out {
		out[i].Kinds = append([]record.Kind(nil), out[i].Kinds...)
	}
	return out
}

// Read blocks until the next record and decodes it into r, reusing r's
// buffers. A malformed record gives a *DecodeError (and is counted); Read
// can be called again after it. After Close, Read returns ErrClosed.
func (s *Sensor) Read(r *record.Record) error {
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
			return record.ErrClosed
		}
		return fmt.Errorf("sensor: reading the ring buffer: %w", err)
	}
	s.records.Add(1)
	s.dec.Record = r
	if err := s.dec.decode(s.rec.RawSample, s.bootWall); err != nil {
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
func perKind(m *ebpf.Map) (map[record.Kind]uint64, uint64) {
	out := map[record.Kind]uint64{}
	var total uint64
	var perCPU []uint64
	for k := record.Kind(1); k < record.KindCount; k++ {
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

// Pause detaches the programs: until Resume, the sensor costs the kernel
// nothing and sees nothing (what happens meanwhile is never reported).
// Records already in the ring buffer can still be read.
func (s *Sensor) Pause() error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if s.paused || s.closed {
		return nil
	}
	s.paused = true
	return s.detach()
}

// Resume attaches the programs Pause detached.
func (s *Sensor) Resume() error {
	s.linkMu.Lock()
	defer s.linkMu.Unlock()
	if !s.paused || s.closed {
		return nil
	}
	s.paused = false
	return s.attach()
}

// Close detaches the programs and stops Read. It is safe to call twice.
func (s *Sensor) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.reader != nil {
			errs = append(errs, s.reader.Close())
		}
		s.linkMu.Lock()
		s.closed = true
		errs = append(errs, s.detach())
		s.linkMu.Unlock()
		if s.coll != nil {
			s.coll.Close()
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
