//go:build linux

// Overhead and throughput of a running Watcher, as root:
//
//	go test -run '^$' -bench 'Overhead' -benchmem -benchtime 60x ./internal/sensor/fanotify/
//	go test -run '^$' -bench 'Throughput|Parse' -benchmem -benchtime 3x ./internal/sensor/fanotify/
//
// Each overhead benchmark runs a child process doing a loop of one
// operation in a directory on "/", alternately with the watcher's
// filesystem mark removed and in place (the child times its own loop), and
// reports ratio = total time with / total time without, and the median of
// the rounds' ratios (each round runs both, in alternating order), and
// cpu-ratio, the same for the child's CPU time (user and system: the work
// the kernel does for the watcher in the child's context, without the
// waits for a CPU that a loaded machine adds to wall time). The
// machine is shared and noisy, so only ratios measured in one run mean
// anything.

package fanotify

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/kernel"
)

// setMarks removes (on false) or puts back the watcher's filesystem marks,
// with the given mask.
func (w *Watcher) setMarks(on bool, mask uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if marksOff[w] != on {
		return nil
	}
	marksOff[w] = !on
	flags := uint(unix.FAN_MARK_FILESYSTEM | unix.FAN_MARK_REMOVE)
	if on {
		flags = unix.FAN_MARK_FILESYSTEM | unix.FAN_MARK_ADD
	}
	for _, fs := range w.fss {
		if fs.marked {
			if err := unix.FanotifyMark(w.fd, flags, mask, fs.mountFD, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// marksOff records which watchers have their marks removed (setMarks).
var marksOff = map[*Watcher]bool{}

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

// loopTime runs the loop action in a child and returns the wall time in ns
// the child reported for its loop, and the child's CPU time (user and
// system, its whole life).
func loopTime(b testing.TB, dir, kind string, n int) (wall, cpu float64) {
	cmd := exec.Command(os.Args[0], kind, strconv.Itoa(n), dir)
	cmd.Env = append(os.Environ(), actionEnv+"=loop")
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("loop %s: %v", kind, err)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return ns, float64(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchOverhead reports ratio: time with the watcher's marks / time
// without. A mask other than 0 replaces the filesystem marks' mask.
func benchOverhead(b *testing.B, cfg Config, kind string, n int, mask uint64) {
	needRoot(b)
	w, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	if mask == 0 {
		mask = fsMask
	} else if err := w.setMarks(false, fsMask); err != nil {
		b.Fatal(err)
	}
	var got atomic.Uint64
	go drain(w, &got)
	dir := b.TempDir()
	loopTime(b, dir, kind, n) // warm caches

	var t, cpu [2]float64 // without, with
	var ratios []float64
	run := func(with int) float64 {
		if err := w.setMarks(with == 1, mask); err != nil {
			b.Fatal(err)
		}
		ns, c := loopTime(b, dir, kind, n)
		t[with] += ns
		cpu[with] += c
		return ns
	}
	round := 0
	for b.Loop() {
		var pair [2]float64
		pair[round%2] = run(round % 2)
		pair[(round+1)%2] = run((round + 1) % 2)
		ratios = append(ratios, pair[1]/pair[0])
		round++
	}
	slices.Sort(ratios)
	ops := float64(round * n)
	st := w.Stats()
	b.ReportMetric(t[1]/t[0], "ratio")
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(cpu[1]/cpu[0], "cpu-ratio")
	b.ReportMetric(t[1]/ops, "ns/op-with")
	b.ReportMetric(t[0]/ops, "ns/op-without")
	b.ReportMetric(float64(got.Load())/float64(round), "records/round")
	b.ReportMetric(float64(st.Events)/float64(round), "events/round")
	b.ReportMetric(float64(st.Lost), "lost")
	b.ReportMetric(float64(st.IgnoreMarks), "ignore-marks")
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
	needRoot(b)
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
