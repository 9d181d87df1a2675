//go:build linux && amd64

// Overhead and throughput of the running sensor, as root:
//
//	go test -run '^$' -bench 'Overhead|Throughput' -benchmem -benchtime 10x ./internal/sensor/kernel/
//	go test -run '^$' -bench Decode -benchmem ./internal/sensor/kernel/
//
// Each overhead benchmark runs a child process doing a loop of one
// operation, alternately with the sensor's programs detached and attached
// (the child times its own loop), and reports ratio = time with / time
// without. The machine is shared and noisy, so only ratios measured in one
// run mean anything.

package kernel

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// drain reads and decodes every record until the sensor is closed, counting them.
func drain(s *Sensor, n *atomic.Uint64) {
	var r Record
	for {
		err := s.Read(&r)
		if errors.Is(err, ErrClosed) {
			return
		}
		n.Add(1)
	}
}

// timedLoop runs the loop action in a child and returns the ns it reported.
func timedLoop(b testing.TB, dir, kind string, n int) float64 {
	cmd := exec.Command(os.Args[0], kind, strconv.Itoa(n))
	cmd.Env = append(os.Environ(), actionEnv+"=loop")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("loop %s: %v", kind, err)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatal(err)
	}
	return ns
}

// benchOverhead reports ratio (time with the sensor / time without) and
// floor-ratio (time with an empty program on sys_exit / time without: the
// cost of the syscall tracepoint itself, which no program can go below).
func benchOverhead(b *testing.B, cfg Config, kind string, n int) {
	needRoot(b)
	s, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.detach(); err != nil {
		b.Fatal(err)
	}
	empty, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp, AttachTo: "sys_exit",
		Instructions: returnZero, License: "GPL",
	})
	if err != nil {
		b.Fatal(err)
	}
	defer empty.Close()
	var got atomic.Uint64
	go drain(s, &got)
	dir := b.TempDir()
	timedLoop(b, dir, kind, n) // warm caches

	var t [3]float64 // without, with the sensor, with the empty program
	run := func(mode int) {
		switch mode {
		case 1:
			if err := s.attach(); err != nil {
				b.Fatal(err)
			}
			defer s.detach()
		case 2:
			l, err := link.AttachTracing(link.TracingOptions{Program: empty})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
		}
		t[mode] += timedLoop(b, dir, kind, n)
	}
	round := 0
	for b.Loop() {
		for i := range 3 {
			run((round + i) % 3)
		}
		round++
	}
	ops := float64(round * n)
	b.ReportMetric(t[1]/t[0], "ratio")
	b.ReportMetric(t[2]/t[0], "floor-ratio")
	b.ReportMetric(t[1]/ops, "ns/op-with")
	b.ReportMetric(t[0]/ops, "ns/op-without")
	st := s.Stats()
	b.ReportMetric(float64(got.Load())/float64(round), "records/round")
	b.ReportMetric(float64(st.LostTotal), "lost")
}

func BenchmarkOverheadExec(b *testing.B)     { benchOverhead(b, Config{}, "exec", 200) }
func BenchmarkOverheadOpenRead(b *testing.B) { benchOverhead(b, Config{}, "open-read", 100000) }

// BenchmarkOverheadOpenWrite reopens one file for write: after the first,
// the opens repeat and are suppressed in the kernel (Config.OpenDedup).
func BenchmarkOverheadOpenWrite(b *testing.B) { benchOverhead(b, Config{}, "open-write", 100000) }

// BenchmarkOverheadOpenWriteEach reports every write-open.
func BenchmarkOverheadOpenWriteEach(b *testing.B) {
	benchOverhead(b, Config{OpenDedup: -1}, "open-write", 100000)
}
func BenchmarkOverheadConnect(b *testing.B) { benchOverhead(b, Config{}, "connect", 2000) }

// BenchmarkThroughput has a child open files for write as fast as it can
// (each open is a record) and reports the records per second that reach
// user space, the records lost, and the sensor process's peak RSS.
func BenchmarkThroughput(b *testing.B) {
	needRoot(b)
	s, err := Open(Config{OpenDedup: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dir := b.TempDir()
	const n = 1_000_000
	var got, total uint64
	var elapsed time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "open-write", strconv.Itoa(n))
		cmd.Env = append(os.Environ(), actionEnv+"=loop")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		pid := uint32(cmd.Process.Pid)
		var r Record
		count := uint64(0)
		for count < n {
			if err := s.Read(&r); err != nil {
				b.Fatal(err)
			}
			if r.Kind == KindOpen && r.TGID == pid {
				count++
			}
			if r.Kind == KindExit && r.TGID == pid {
				break
			}
		}
		elapsed += time.Since(start)
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		got += count
		total += n
	}
	b.ReportMetric(float64(got)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(total-got), "missing")
	b.ReportMetric(float64(s.Stats().LostTotal), "lost")
	b.ReportMetric(float64(peakRSS())/(1<<20), "peak-RSS-MiB")
}

// peakRSS returns this process's peak resident set size in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
