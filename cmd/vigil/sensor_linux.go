//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/outputs"
	"github.com/vigilsec/vigil/internal/sensor"
	"github.com/vigilsec/vigil/internal/sensor/fanotify"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
)

// missingPrivileges names the capabilities the sensor lacks: none for
// root, else CAP_BPF and CAP_PERFMON unless held (CAP_SYS_ADMIN stands in
// for both).
var missingPrivileges = func() ([]string, error) {
	if os.Geteuid() == 0 {
		return nil, nil
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil, fmt.Errorf("reading this process's capabilities: %w", err)
	}
	has := func(c uint) bool { return data[c/32].Effective&(1<<(c%32)) != 0 }
	var missing []string
	for _, c := range []struct {
		cap  uint
		name string
	}{{unix.CAP_BPF, "CAP_BPF"}, {unix.CAP_PERFMON, "CAP_PERFMON"}} {
		if !has(c.cap) && !has(unix.CAP_SYS_ADMIN) {
			missing = append(missing, c.name)
		}
	}
	return missing, nil
}

// sensorFlags are vigil sensor's own flags.
type sensorFlags struct {
	output      string
	events      bool
	eventsFile  string
	duration    time.Duration
	metricsAddr string
	verbose     bool
	syscallTP   bool
	netDedup    time.Duration
	allWrites   bool
	configFile  string
	deadline    time.Duration
}

func newSensorCmd() *cobra.Command {
	var rf ruleFlags
	var f sensorFlags
	cmd := &cobra.Command{
		Use:   "sensor [flags]",
		Short: "Watch this host's processes, files and connections and print the alerts the rules raise",
		Long: `Load the runtime sensor's eBPF programs, follow every process on this host
and in its containers, and run the builtin rules (runtime rules among them)
and any Sigma rules given with --rules over the events, printing alerts as
they happen. Runs until interrupted (SIGINT, SIGTERM) or for --duration,
then prints a summary on standard error.

Needs root, or the CAP_BPF and CAP_PERFMON capabilities.`,
		Example: "  sudo vigil sensor\n  sudo vigil sensor -o json --events-file events.jsonl --metrics-addr 127.0.0.1:9090\n  sudo vigil sensor --duration 1m --rules my-rules/",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSensor(cmd, &rf, &f)
		},
	}
	rf.register(cmd)
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "", "alerts: json (default when not a terminal), table (default on a terminal) or ocsf (Detection Finding 2004)")
	fl.BoolVar(&f.events, "events", false, "print every event too, as JSON lines (to standard output, or to --events-file)")
	fl.StringVar(&f.eventsFile, "events-file", "", "write every event as JSON lines to this file (implies --events)")
	fl.DurationVar(&f.duration, "duration", 0, "stop after this long (default: run until SIGINT or SIGTERM)")
	fl.StringVar(&f.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://ADDR/metrics (e.g. 127.0.0.1:9090)")
	fl.BoolVar(&f.syscallTP, "syscall-tracepoint", false, "take file activity, dup onto stdio and memfd_create from the kernel's sys_exit tracepoint instead of fanotify (every syscall then takes the kernel's slow path)")
	fl.BoolVar(&f.allWrites, "all-writes", false, "report writes of existing files anywhere on the watched filesystems, not only in program, library, configuration and persistence directories (creations, renames, deletions and chmods are reported everywhere either way); every close of a file open for writing then costs the kernel about 0.3 µs")
	fl.DurationVar(&f.netDedup, "net-dedup", time.Second, "report a process's repeated connections to one address and port (and a listener's accepts from one address) once in this long, counting the rest; 0 reports every one")
	fl.StringVar(&f.configFile, "config", "", "configuration file (YAML): outputs that alerts are delivered to (docs/CONFIG.md)")
	fl.DurationVar(&f.deadline, "delivery-deadline", 2*time.Minute, "with --config, how long to wait at exit for the outputs to confirm the alerts (overrides delivery_deadline)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log problems met on the way (unreadable /proc files, failed container metadata lookups)")
	return cmd
}

// netDedup turns the --net-dedup flag (0: every connection) into
// kernel.Config.NetDedup (0: the default, negative: every connection).
func netDedup(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// sensorMemoryLimit is the Go runtime's soft memory limit for the
// sensor, unless GOMEMLIMIT says otherwise: with GOGC 400 (main) the
// garbage of a burst of events would otherwise grow to several times the
// live heap, and the sensor must stay near 150 MB resident
// (docs/PERFORMANCE.md, "Runtime sensor: memory").
const sensorMemoryLimit = 100 << 20

func runSensor(cmd *cobra.Command, rf *ruleFlags, f *sensorFlags) error {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(sensorMemoryLimit)
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if f.duration < 0 {
		return exitError{code: 2, msg: fmt.Sprintf("--duration %v: must not be negative", f.duration)}
	}
	missing, err := missingPrivileges()
	if err != nil {
		return exitError{code: 2, msg: err.Error()}
	}
	if len(missing) > 0 {
		return exitError{code: 2, msg: fmt.Sprintf("the sensor needs root, or the CAP_BPF and CAP_PERFMON capabilities; missing %s.\n"+
			"Run it as root (sudo vigil sensor), or grant the capabilities to the binary: sudo setcap cap_bpf,cap_perfmon+ep %s",
			strings.Join(missing, " and "), executable())}
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	aw, err := newAlertWriter(f.output, stdout)
	if err != nil {
		return err
	}
	g, _, err := rf.load(stderr)
	if err != nil {
		return err
	}
	var queue *alertQueue
	if f.configFile != "" {
		cfg, err := config.Load(f.configFile, components.OutputTypes())
		if err != nil {
			return exitError{code: 2, msg: "--config: " + err.Error()}
		}
		if !cmd.Flags().Changed("delivery-deadline") {
			f.deadline = cfg.DeliveryDeadline
		}
		outs, err := outputs.Start(cfg)
		if err != nil {
			return exitError{code: 2, msg: err.Error()}
		}
		defer outs.Close()
		queue = newAlertQueue(outs)
	}
	var ew *bufio.Writer
	switch {
	case f.eventsFile != "":
		file, err := os.Create(f.eventsFile)
		if err != nil {
			return exitError{code: 2, msg: fmt.Sprintf("--events-file: %v", err)}
		}
		defer file.Close()
		ew = bufio.NewWriterSize(file, 64<<10)
	case f.events:
		ew = bufio.NewWriterSize(stdout, 64<<10)
	}

	s, err := sensor.New(sensor.Config{
		Logger: log,
		Kernel: kernel.Config{SyscallTracepoint: f.syscallTP, NetDedup: netDedup(f.netDedup)},
		Files:  fanotify.Config{AllWrites: f.allWrites},
	})
	if err != nil {
		return exitError{code: 2, msg: loadFailure(err)}
	}
	defer s.Close()
	logHooks(log, s.Hooks())
	logFiles(log, s)
	hookIdle := ruleCoverage(log, g.Rules(), s.EventCoverage())
	log.Info("process tree seeded from /proc", "processes", s.Seeded())

	m := newSensorMetrics(s)
	if queue != nil {
		m.reg.MustRegister(newOutputMetrics(queue))
	}
	if f.metricsAddr != "" {
		stop, err := m.serve(f.metricsAddr, log)
		if err != nil {
			return exitError{code: 2, msg: fmt.Sprintf("--metrics-addr: %v", err)}
		}
		defer stop()
	}

	ctx, cancel := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if f.duration > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, f.duration)
		defer c()
	}
	log.Info("sensor running", "rules", g.Stats().RulesLoaded, "duration", durationText(f.duration))

	// Alerts and events are written by the sensor's emit calls and
	// flushed by a ticker, so that they show while the sensor runs.
	var mu sync.Mutex
	var werr error
	var buf []byte
	out := func(a *detect.Alert) {
		m.match(a)
		owned := alert.From(a)
		if werr == nil {
			werr = aw.Write(owned)
		}
		if queue != nil {
			queue.Put(owned) // an enqueue: never blocks the read path
		}
	}
	flush := func() {
		mu.Lock()
		defer mu.Unlock()
		if werr == nil && ew != nil {
			werr = ew.Flush()
		}
		if werr == nil {
			werr = aw.Flush()
		}
	}
	// Correlation windows that end without a later event ("fewer than
	// N", absences, temporal timeouts) are decided on the clock.
	advance := func(now time.Time) {
		mu.Lock()
		defer mu.Unlock()
		g.Advance(now, out)
	}
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		var last time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				if now.Sub(last) >= time.Second {
					advance(now)
					last = now
				}
				flush()
			}
		}
	}()
	runErr := s.Run(ctx, func(e *event.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if ew != nil && werr == nil {
			buf = append(event.AppendJSON(buf[:0], e, false), '\n')
			_, werr = ew.Write(buf)
		}
		g.Process(e, out)
		return werr
	})
	mu.Lock()
	g.Flush(out)
	if ew != nil && werr == nil {
		werr = ew.Flush()
	}
	if err := aw.Close(); werr == nil {
		werr = err
	}
	mu.Unlock()
	writeSensorSummary(stderr, s.Stats(), g.Stats(), hookIdle)
	if werr != nil {
		return exitError{code: 2, msg: "writing output: " + werr.Error()}
	}
	if runErr != nil {
		return exitError{code: 2, msg: runErr.Error()}
	}
	if queue != nil {
		queue.Close()
		if n := queue.dropped.Load(); n > 0 {
			fmt.Fprintf(stderr, "vigil: %d alerts not spooled: the outputs' queue was full\n", n)
		}
		if n := queue.failures.Load(); n > 0 {
			fmt.Fprintf(stderr, "vigil: %d alerts not spooled: %v\n", n, queue.lastErr.Load())
		}
		return deliver(context.Background(), stderr, queue.outs, f.deadline)
	}
	return nil
}

// loadFailure explains why the sensor could not start.
func loadFailure(err error) string {
	msg := "starting the sensor: " + err.Error()
	if _, serr := os.Stat("/sys/kernel/btf/vmlinux"); serr != nil {
		msg += "\nThe kernel has no BTF (/sys/kernel/btf/vmlinux): the sensor needs a kernel built with CONFIG_DEBUG_INFO_BTF (Linux 5.8 or later)."
	} else if errors.Is(err, unix.EPERM) {
		msg += "\nThe kernel refused to load the eBPF programs: run as root, and check that kernel.unprivileged_bpf_disabled or a lockdown does not forbid it."
	}
	return msg
}

// logHooks says which kernel hooks are active, and why the others are not.
// logFiles says where file activity comes from and which writes are seen.
func logFiles(log *slog.Logger, s *sensor.Sensor) {
	dirs, all := s.WriteDirs()
	if all {
		log.Info("file activity", "source", s.FileSource(), "writes", "all")
		return
	}
	log.Info("file activity", "source", s.FileSource(), "writes", fmt.Sprintf("in %d program, library, configuration and persistence directories (--all-writes for all)", dirs))
}

func logHooks(log *slog.Logger, hooks []kernel.Hook) {
	var active []string
	for _, h := range hooks {
		if h.Active {
			active = append(active, h.Name+" ("+h.Kind+")")
		}
	}
	log.Info("kernel hooks active", "hooks", strings.Join(active, ", "))
	for _, h := range hooks {
		switch {
		case h.Active || h.Err == nil:
		case len(h.Kinds) > 0:
			// A hook of this configuration the kernel lacks: what it
			// reports is not seen.
			var kinds []string
			for _, k := range h.Kinds {
				kinds = append(kinds, k.String())
			}
			log.Warn("kernel hook unavailable", "hook", h.Name, "kind", h.Kind, "unseen", strings.Join(kinds, ","), "reason", h.Err)
		default:
			log.Debug("kernel hook kind not available", "hook", h.Name, "kind", h.Kind, "reason", h.Err)
		}
	}
}

func durationText(d time.Duration) string {
	if d == 0 {
		return "until interrupted"
	}
	return d.String()
}

func executable() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "vigil"
}

// ruleCoverage checks which rules can fire with the active hooks: a rule
// whose events (by its logsource or its event_name values) none of the
// active hooks produce is idle, and one whose events they produce only in
// part is logged with what is missed. It returns the idle rules' count.
func ruleCoverage(log *slog.Logger, rules []*detect.Rule, cov map[string]sensor.Coverage) int {
	idle := 0
	for _, r := range rules {
		names, ok := r.EventNames()
		if !ok {
			continue
		}
		var whyIdle, partial []string
		produced, sensorRule := false, false
		for _, n := range names {
			c, ok := cov[strings.ToLower(n)]
			if !ok {
				continue // not one of the sensor's events
			}
			sensorRule = true
			switch {
			case !c.Produced:
				whyIdle = append(whyIdle, n+": "+c.Why)
			case c.Why != "":
				produced = true
				partial = append(partial, n+": "+c.Why)
			default:
				produced = true
			}
		}
		switch {
		case !sensorRule:
		case !produced:
			idle++
			log.Warn("rule idle: the active kernel hooks report none of its events", "rule", r.Title, "why", strings.Join(whyIdle, "; "))
		case len(partial) > 0:
			log.Info("rule sees its events only in part with the active kernel hooks", "rule", r.Title, "missed", strings.Join(partial, "; "))
		}
	}
	return idle
}

// writeSensorSummary prints what the sensor saw and the rules raised;
// hookIdle rules can see none of their events with the active hooks.
func writeSensorSummary(w io.Writer, st sensor.Stats, gs detect.Stats, hookIdle int) {
	var total uint64
	var types []string
	for name, n := range st.Events {
		total += n
		types = append(types, fmt.Sprintf("%s %d", name, n))
	}
	sort.Strings(types)
	if len(types) == 0 {
		types = []string{"none"}
	}
	fmt.Fprintf(w, "vigil: %d events: %s\n", total, strings.Join(types, ", "))
	var lost []string
	var lostTotal uint64
	for src, kinds := range st.Lost {
		for kind, n := range kinds {
			lost = append(lost, fmt.Sprintf("%s %s %d", src, kind, n))
			lostTotal += n
		}
	}
	sort.Strings(lost)
	var decode uint64
	for _, n := range st.DecodeErrors {
		decode += n
	}
	if lostTotal > 0 {
		fmt.Fprintf(w, "  %d records lost (the kernel's buffer was full): %s\n", lostTotal, strings.Join(lost, ", "))
	} else {
		fmt.Fprintf(w, "  0 records lost\n")
	}
	var supp []string
	for src, kinds := range st.Suppressed {
		for kind, n := range kinds {
			if n > 0 {
				supp = append(supp, fmt.Sprintf("%s %s %d", src, kind, n))
			}
		}
	}
	sort.Strings(supp)
	if len(supp) > 0 {
		fmt.Fprintf(w, "  repeats not reported: %s\n", strings.Join(supp, ", "))
	}
	if decode > 0 {
		fmt.Fprintf(w, "  %d malformed records skipped\n", decode)
	}
	if st.Unresolved > 0 {
		fmt.Fprintf(w, "  %d records not attributed to the host or a container\n", st.Unresolved)
	}
	n, levels := alertLevels(gs)
	fmt.Fprintf(w, "  %d rules loaded (%d idle: no events of their logsource; %d idle: no active hook reports their events), %d alerts: %s\n", gs.RulesLoaded, gs.RulesIdle, hookIdle, n, levels)
	writeCorrelationSummary(w, gs)
}

// listen opens addr for the metrics server.
func listen(addr string) (net.Listener, error) {
	return net.Listen("tcp", addr)
}

// serveHTTP serves h on l until stop is called.
func serveHTTP(l net.Listener, h http.Handler) (stop func()) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		<-done
	}
}
