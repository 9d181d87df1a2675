//go:build linux && amd64

// Overhead and throughput of the running sensor, as root:
//
//	go test -run '^$' -bench Overhead -benchmem -benchtime 40x ./internal/sensor/kernel/
//	go test -run '^$' -bench Throughput -benchmem -benchtime 3x ./internal/sensor/kernel/
//	go test -run '^$' -bench Decode -benchmem ./internal/sensor/kernel/
//
// Each overhead benchmark runs a child process doing a loop of one
// operation in batches, alternately with the sensor's programs detached
// and attached (overheadtest; -benchtime 40x is 40 batches of each), and
// reports ratio = time with / time without. BenchmarkOverhead* measure the default hooks;
// BenchmarkOverheadSyscallTracepoint* the sensor with
// Config.SyscallTracepoint, and also floor-ratio: the loop with an empty
// program on sys_exit. The machine is shared and noisy, so only ratios
// measured in one run mean anything.

package kernel

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// drain reads and decodes every record until the sensor is closed, counting them.
func drain(s *Sensor, n *atomic.Uint64) {
	var r record.Record
	for {
		err := s.Read(&r)
		if errors.Is(err, record.ErrClosed) {
			return
		}
		n.Add(1)
	}
}

// benchOverhead runs a loop child (overheadtest) in batches alternately
// with the sensor's programs detached and attached, and reports ratio,
// median-ratio and cpu-ratio (see overheadtest.Compare), bpf-ns/op (the
// time the sensor's programs ran per operation, from the kernel's
// statistics in one more batch), records/round and lost; with
// Config.SyscallTracepoint also floor-ratio: the loop with an empty
// program on sys_exit, the cost of the syscall tracepoint itself, which no
// program on it can go below.
func benchOverhead(b *testing.B, cfg Config, kind string, n int) {
	runctest.RequireRoot(b)
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Pause(); err != nil {
		b.Fatal(err)
	}
	var got atomic.Uint64
	go drain(s, &got)
	child := overheadtest.Start(b, kind, b.TempDir())
	states := []overheadtest.State{{On: s.Resume, Off: s.Pause}}
	if cfg.SyscallTracepoint {
		empty, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp, AttachTo: "sys_exit",
			Instructions: returnZero, License: "GPL",
		})
		if err != nil {
			b.Fatal(err)
		}
		defer empty.Close()
		var l link.Link
		states = append(states, overheadtest.State{
			Name: "floor",
			On: func() (err error) {
				l, err = link.AttachTracing(link.TracingOptions{Program: empty})
				return err
			},
			Off: func() error { return l.Close() },
		})
	}
	rounds := overheadtest.Compare(b, child, n, 30*time.Millisecond, states...)
	b.ReportMetric(bpfNSPerOp(b, s, child, n), "bpf-ns/op")
	b.ReportMetric(float64(got.Load())/float64(rounds), "records/round")
	b.ReportMetric(float64(s.Stats().LostTotal), "lost")
}

// bpfNSPerOp runs one more batch with the sensor attached and the
// kernel's BPF run-time statistics on, and returns the time the sensor's
// programs ran per operation (an upper bound: the statistics add a clock
// read or two to every run).
func bpfNSPerOp(b *testing.B, s *Sensor, child *overheadtest.Child, n int) float64 {
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		b.Fatal(err)
	}
	defer stats.Close()
	total := func() time.Duration {
		var d time.Duration
		for _, p := range s.coll.Programs {
			st, err := p.Stats()
			if err != nil {
				b.Fatal(err)
			}
			d += st.Runtime
		}
		return d
	}
	if err := s.Resume(); err != nil {
		b.Fatal(err)
	}
	defer s.Pause()
	before := total()
	child.Run(b, n)
	return float64(total()-before) / float64(n)
}

var syscallTP = Config{SyscallTracepoint: true}

func BenchmarkOverheadExec(b *testing.B)     { benchOverhead(b, Config{}, "exec", 100) }
func BenchmarkOverheadOpenRead(b *testing.B) { benchOverhead(b, Config{}, "open-read", 20000) }

// BenchmarkOverheadOpenWrite: the default hooks report no opens (file
// events come from elsewhere); this measures that they cost opens nothing.
func BenchmarkOverheadOpenWrite(b *testing.B) { benchOverhead(b, Config{}, "open-write", 20000) }
func BenchmarkOverheadConnect(b *testing.B)   { benchOverhead(b, Config{}, "connect", 1000) }

// BenchmarkOverheadConnectEach reports every connect and accept (the loop
// connects to 16 listeners in turn: with the default NetDedup only the
// first connection to each in a second is reported).
func BenchmarkOverheadConnectEach(b *testing.B) {
	benchOverhead(b, Config{NetDedup: -1}, "connect", 1000)
}

// BenchmarkOverheadMmap maps and unmaps memory: each map runs the
// cap_capable hook, which filters it out.
func BenchmarkOverheadMmap(b *testing.B) { benchOverhead(b, Config{}, "mmap", 50000) }

func BenchmarkOverheadSyscallTracepointExec(b *testing.B) { benchOverhead(b, syscallTP, "exec", 100) }
func BenchmarkOverheadSyscallTracepointOpenRead(b *testing.B) {
	benchOverhead(b, syscallTP, "open-read", 20000)
}

// BenchmarkOverheadSyscallTracepointOpenWrite reopens one file for write:
// after the first, the opens repeat and are suppressed in the kernel
// (Config.OpenDedup).
func BenchmarkOverheadSyscallTracepointOpenWrite(b *testing.B) {
	benchOverhead(b, syscallTP, "open-write", 20000)
}

// BenchmarkOverheadSyscallTracepointOpenWriteEach reports every write-open.
func BenchmarkOverheadSyscallTracepointOpenWriteEach(b *testing.B) {
	benchOverhead(b, Config{SyscallTracepoint: true, OpenDedup: -1}, "open-write", 20000)
}
func BenchmarkOverheadSyscallTracepointConnect(b *testing.B) {
	benchOverhead(b, syscallTP, "connect", 1000)
}

// BenchmarkThroughput has a child connect a UDP socket as fast as it can
// (each connect is a record from the default hooks, NetDedup off) and reports the
// records per second that reach user space, the records lost, and the
// sensor process's peak RSS.
func BenchmarkThroughput(b *testing.B) {
	benchThroughput(b, Config{NetDedup: -1}, "udp-connect", record.KindConnect)
}

// BenchmarkThroughput100k has the child connect at 100,000 a second (the
// target rate) for 3 s a round.
func BenchmarkThroughput100k(b *testing.B) {
	benchThroughputN(b, Config{NetDedup: -1}, "udp-connect-100k", record.KindConnect, 300_000)
}

// BenchmarkThroughputSyscallTracepoint does the same with write-opens
// reported by sys_exit.
func BenchmarkThroughputSyscallTracepoint(b *testing.B) {
	benchThroughput(b, Config{SyscallTracepoint: true, OpenDedup: -1}, "open-write", record.KindOpen)
}

func benchThroughput(b *testing.B, cfg Config, loop string, kind record.Kind) {
	benchThroughputN(b, cfg, loop, kind, 1_000_000)
}

func benchThroughputN(b *testing.B, cfg Config, loop string, kind record.Kind, n int) {
	runctest.RequireRoot(b)
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dir := b.TempDir()
	var got, total uint64
	var elapsed time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0], loop, strconv.Itoa(n))
		cmd.Env = append(os.Environ(), actionEnv+"=loop")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		pid := uint32(cmd.Process.Pid)
		var r record.Record
		count := uint64(0)
		for count < uint64(n) {
			if err := s.Read(&r); err != nil {
				b.Fatal(err)
			}
			if r.Kind == kind && r.TGID == pid {
				count++
			}
			if r.Kind == record.KindExit && r.TGID == pid {
				break
			}
		}
		elapsed += time.Since(start)
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		got += count
		total += uint64(n)
	}
	b.ReportMetric(float64(got)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(total-got), "missing")
	b.ReportMetric(float64(s.Stats().LostTotal), "lost")
	b.ReportMetric(float64(overheadtest.PeakRSS())/(1<<20), "peak-RSS-MiB")
}
