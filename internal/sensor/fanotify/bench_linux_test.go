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
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// drain reads records until the watcher is closed, counting them.
func drain(w *Watcher, n *atomic.Uint64) {
	var r kernel.Record
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
// without (overheadtest.Compare). A mask other than 0 replaces the
// filesystem marks' mask.
func benchOverhead(b *testing.B, cfg Config, kind string, n int, mask uint64) {
	runctest.RequireRoot(b)
	w, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if err := w.Pause(); err != nil {
		b.Fatal(err)
	}
	state := overheadtest.State{On: w.Resume, Off: w.Pause}
	if mask != 0 {
		state.On = func() error { return w.maskMarks(true, mask) }
		state.Off = func() error { return w.maskMarks(false, mask) }
	}
	var got atomic.Uint64
	go drain(w, &got)
	child := overheadtest.Start(b, kind, b.TempDir())
	rounds := overheadtest.Compare(b, child, n, 10*time.Millisecond, state)
	st := w.Stats()
	b.ReportMetric(float64(got.Load())/float64(rounds), "records/round")
	b.ReportMetric(float64(st.Events)/float64(rounds), "events/round")
	b.ReportMetric(float64(st.Lost), "lost")
	b.ReportMetric(float64(st.IgnoreMarks), "ignore-marks")
}

// maskMarks adds (on) or removes the filesystem marks with another mask
// than the watcher's, which stays paused.
func (w *Watcher) maskMarks(on bool, mask uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.paused = false
	err := w.setMarks(on, mask)
	w.paused = true
	return err
}

func BenchmarkOverheadOpenRead(b *testing.B) { benchOverhead(b, Config{}, "open-read", 20000, 0) }

// BenchmarkOverheadOpenWrite reopens one file for write: after HotThreshold
// writes in a second the file gets an ignore mark.
func BenchmarkOverheadOpenWrite(b *testing.B) { benchOverhead(b, Config{}, "open-write", 20000, 0) }

// BenchmarkOverheadOpenWriteEach queues every write (no ignore mark; the
// kernel merges what is still queued, user space dedups the rest).
func BenchmarkOverheadOpenWriteEach(b *testing.B) {
	benchOverhead(b, Config{HotThreshold: -1}, "open-write", 20000, 0)
}

// BenchmarkOverheadOpenWriteFloor marks the filesystem without
// FAN_CLOSE_WRITE: what the write loop costs with marks that do not
// report its closes.
func BenchmarkOverheadOpenWriteFloor(b *testing.B) {
	benchOverhead(b, Config{}, "open-write", 20000, fsMask&^maskCloseWrite)
}

// BenchmarkOverheadCreateUnlink creates and removes one name: three events
// per iteration (create, the unlinked file's link count, delete), the
// repeats suppressed in user space.
func BenchmarkOverheadCreateUnlink(b *testing.B) {
	benchOverhead(b, Config{}, "create-unlink", 2000, 0)
}

// BenchmarkThroughput has a child open files for writing as fast as it
// can, cycling over 1000 files so that the kernel seldom merges its events
// (Dedup and HotThreshold off: each close is a record), and reports the
// records per second that Read returns, the events the kernel merged
// (writes without a record), the overflows, and the process's peak RSS.
// records/s is bounded by how fast the child writes; records/cpu-s (records
// per second of this process's CPU time) is what the reader can take.
func BenchmarkThroughput(b *testing.B) {
	runctest.RequireRoot(b)
	w, err := Open(Config{Dedup: -1, HotThreshold: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	const files, n = 1000, 1_000_000
	var pid, got atomic.Uint32
	var last atomic.Int64
	go func() {
		var r kernel.Record
		for {
			err := w.Read(&r)
			if errors.Is(err, ErrClosed) {
				return
			}
			if err == nil && r.Kind == kernel.KindOpen && r.TGID == pid.Load() {
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
