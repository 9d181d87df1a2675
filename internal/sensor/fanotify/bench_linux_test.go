//go:build linux

// Overhead and throughput of a running Watcher, as root:
//
//	go test -run '^$' -bench 'Overhead' -benchmem -benchtime 40x ./internal/sensor/fanotify/
//	go test -run '^$' -bench 'Throughput|Parse' -benchmem -benchtime 3x ./internal/sensor/fanotify/
//
// Each overhead benchmark runs a child process doing a loop of one
// operation in a directory on "/", in batches, alternately with the
// watcher paused (its filesystem marks removed) and running
// (overheadtest), and reports ratio = total time with / total time
// without, the median of the rounds' ratios, and cpu-ratio, the same for
// the child's CPU time (user and system: the work the kernel does for the
// watcher in the child's context, without the waits for a CPU that a
// loaded machine adds to wall time). The machine is shared and noisy, so
// only ratios measured in one run mean anything.

package fanotify

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// drain reads records until the watcher is closed, counting them.
func drain(w *Watcher, n *atomic.Uint64) {
	var r record.Record
	for {
		err := w.Read(&r)
		if errors.Is(err, ErrClosed) {
			return
		}
		if err == nil {
			n.Add(1)
		}
	}
}

// benchOverhead reports ratio: time with the watcher's marks / time
// without (overheadtest.Compare). cfg makes the watcher's configuration
// for the directory the loop runs in.
func benchOverhead(b *testing.B, cfg func(dir string) Config, kind string, n int) {
	runctest.RequireRoot(b)
	dir := b.TempDir()
	w, err := Open(cfg(dir))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if err := w.Pause(); err != nil {
		b.Fatal(err)
	}
	var got atomic.Uint64
	go drain(w, &got)
	child := overheadtest.Start(b, kind, dir)
	rounds := overheadtest.Compare(b, child, n, 10*time.Millisecond, overheadtest.State{On: w.Resume, Off: w.Pause})
	st := w.Stats()
	b.ReportMetric(float64(got.Load())/float64(rounds), "records/round")
	b.ReportMetric(float64(st.Events)/float64(rounds), "events/round")
	b.ReportMetric(float64(st.Lost), "lost")
	b.ReportMetric(float64(st.IgnoreMarks), "ignore-marks")
}

// defaults is the default configuration, wherever the loop runs.
func defaults(string) Config { return Config{} }

func BenchmarkOverheadOpenRead(b *testing.B) { benchOverhead(b, defaults, "open-read", 20000) }

// BenchmarkOverheadOpenWrite reopens one file for write, in a directory
// that is not one of the default WriteDirs (where almost all writes
// happen): no event.
func BenchmarkOverheadOpenWrite(b *testing.B) { benchOverhead(b, defaults, "open-write", 20000) }

// BenchmarkOverheadOpenWriteWatched is the write loop in one of
// WriteDirs: after HotThreshold writes in a second the file gets an
// ignore mark.
func BenchmarkOverheadOpenWriteWatched(b *testing.B) {
	benchOverhead(b, func(dir string) Config { return Config{WriteDirs: []string{dir}} }, "open-write", 20000)
}

// BenchmarkOverheadOpenWriteAll is the write loop with AllWrites: the
// filesystem mark asks for every close after writing (the file gets an
// ignore mark, as above).
func BenchmarkOverheadOpenWriteAll(b *testing.B) {
	benchOverhead(b, func(string) Config { return Config{AllWrites: true} }, "open-write", 20000)
}

// BenchmarkOverheadOpenWriteAllEach queues every write (AllWrites, no
// ignore mark; the kernel merges what is still queued, user space dedups
// the rest).
func BenchmarkOverheadOpenWriteAllEach(b *testing.B) {
	benchOverhead(b, func(string) Config { return Config{AllWrites: true, HotThreshold: -1} }, "open-write", 20000)
}

// BenchmarkOverheadCreateUnlink creates and removes one name: three events
// per iteration (create, the unlinked file's link count, delete), the
// repeats suppressed in user space.
func BenchmarkOverheadCreateUnlink(b *testing.B) {
	benchOverhead(b, defaults, "create-unlink", 2000)
}

// BenchmarkThroughput has a child open files for writing as fast as it
// can, cycling over 1000 files so that the kernel seldom merges its events
// (AllWrites; Dedup and HotThreshold off: each close is a record), and reports the
// records per second that Read returns, the events the kernel merged
// (writes without a record), the overflows, and the process's peak RSS.
// records/s is bounded by how fast the child writes; records/cpu-s (records
// per second of this process's CPU time) is what the reader can take.
func BenchmarkThroughput(b *testing.B) {
	runctest.RequireRoot(b)
	w, err := Open(Config{AllWrites: true, Dedup: -1, HotThreshold: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const files, n = 1000, 1_000_000
	var pid, got atomic.Uint32
	var last atomic.Int64
	go func() {
		var r record.Record
		for {
			err := w.Read(&r)
			if errors.Is(err, ErrClosed) {
				return
			}
			if err == nil && r.Kind == record.KindOpen && r.TGID == pid.Load() {
				got.Add(1)
				last.Store(time.Now().UnixNano())
			}
		}
	}()
	var records, total uint64
	var elapsed time.Duration
	var cpu0, cpu1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	for b.Loop() {
		dir := b.TempDir()
		cmd := exec.Command(os.Args[0], dir, strconv.Itoa(files), strconv.Itoa(n))
		cmd.Env = append(os.Environ(), actionEnv+"=write-cycle")
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		pid.Store(uint32(cmd.Process.Pid))
		got.Store(0)
		var ready [6]byte
		if _, err := out.Read(ready[:]); err != nil { // the files exist: the loop starts
			b.Fatal(err)
		}
		start := time.Now()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		for prev := uint32(0); ; {
			time.Sleep(200 * time.Millisecond)
			if cur := got.Load(); cur == prev {
				break
			} else {
				prev = cur
			}
		}
		elapsed += time.Unix(0, last.Load()).Sub(start)
		records += uint64(got.Load())
		total += n
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	cpu := time.Duration(cpu1.Utime.Nano() + cpu1.Stime.Nano() - cpu0.Utime.Nano() - cpu0.Stime.Nano())
	st := w.Stats()
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(records)/cpu.Seconds(), "records/cpu-s")
	b.ReportMetric(float64(total-records)/float64(total), "merged-fraction")
	b.ReportMetric(float64(st.Lost), "lost")
	b.ReportMetric(float64(overheadtest.PeakRSS())/(1<<20), "peak-RSS-MiB")
}

// BenchmarkParse parses the captured events.
func BenchmarkParse(b *testing.B) {
	var all []byte
	for _, s := range samples(b) {
		all = append(all, s...)
	}
	var ev event
	b.SetBytes(int64(len(all)))
	for b.Loop() {
		for rest := all; len(rest) > 0; {
			n, err := parseEvent(rest, &ev)
			if err != nil {
				b.Fatal(err)
			}
			rest = rest[n:]
		}
	}
}
