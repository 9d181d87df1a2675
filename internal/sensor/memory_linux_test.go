//go:build linux && amd64

// Memory of the whole running sensor under a burst, as root:
//
//	go test -run '^$' -bench BenchmarkSensorMemory -benchtime 1x ./internal/sensor/
//
// One sensor runs (sensor.New(Config{}) + Run, feeding the builtin rules,
// as vigil sensor does) while loop children (overheadtest) make a burst:
// 200,000 files created and removed under a directory of the root file
// system (each name new, 1,000 to a directory), 20,000 execs of
// /bin/true and 20,000 TCP connects, at once. Reported, for this test
// process (the sensor; the children are processes of their own):
//   - idle-MB: RSS before the burst, start-up's garbage collected;
//   - peak-MB: the highest RSS during the burst (VmHWM, reset before it);
//   - after-MB: RSS VIGIL_MEMORY_AFTER (default 45 s: the process tree's
//     and the mapper's 30 s grace, and the Go runtime's scavenger) after
//     the burst ended, nothing forced;
//   - heap-*-MB: the Go heap's live objects at those points (runtime
//     metrics, after the burst and at the end without a collection
//     forced), and heap-released-MB, what the runtime has given back;
//   - live-after-MB: live heap after a forced collection at the end (what
//     the sensor still holds).
//
// The garbage collector runs as in vigil, which sets GOGC to 400 unless
// GOGC is set (cmd/vigil); VIGIL_MEMORY_LIMIT (bytes, with a unit suffix
// as GOMEMLIMIT takes them, e.g. 100MiB) sets a soft memory limit on top.
// VIGIL_MEMORY_PROFILE=dir writes heap profiles (runtime/pprof) to dir at
// the end of the burst and at the end (after a collection).

package sensor

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// The burst.
const (
	burstFiles    = 200_000
	burstExecs    = 20_000
	burstConnects = 20_000
)

func BenchmarkSensorMemory(b *testing.B) {
	runctest.RequireRoot(b)
	after := 45 * time.Second
	if v := os.Getenv("VIGIL_MEMORY_AFTER"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("VIGIL_MEMORY_AFTER: %v", err)
		}
		after = d
	}
	profiles := os.Getenv("VIGIL_MEMORY_PROFILE")
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	if v := os.Getenv("VIGIL_MEMORY_LIMIT"); v != "" {
		limit, err := parseBytes(v)
		if err != nil {
			b.Fatalf("VIGIL_MEMORY_LIMIT: %v", err)
		}
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
	}
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	// The files are made on the root file system, watched by its
	// filesystem mark (the test's temporary directory may be a tmpfs).
	root, err := os.MkdirTemp("/var/tmp", "vigil-memory-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(root)
	files := overheadtest.Start(b, "create-files", root)
	execs := overheadtest.Start(b, "exec", root)
	conns := overheadtest.Start(b, "connect", root)

	r := startSensor(b, g, Config{})
	defer r.stop(b)
	// Start-up's garbage (the kernel's BTF) is collected, as a sensor
	// that has run for a while has long done.
	time.Sleep(2 * time.Second)
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(time.Second)
	idle, idleHeap := overheadtest.RSS(), heapObjects()
	if err := overheadtest.ResetPeakRSS(); err != nil {
		b.Logf("peak RSS not reset (%v): peak-MB includes start-up", err)
	}

	for b.Loop() {
		events0 := r.events.Load()
		start := time.Now()
		var wg sync.WaitGroup
		var done atomic.Bool
		for _, c := range []struct {
			child *overheadtest.Child
			n     int
		}{{files, burstFiles}, {execs, burstExecs}, {conns, burstConnects}} {
			wg.Go(func() {
				// Batches, so that a child's failure shows early.
				for left := c.n; left > 0; left -= 10_000 {
					c.child.Run(b, min(left, 10_000))
				}
			})
		}
		// The heap at its highest, sampled.
		var peakHeap atomic.Uint64
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			for !done.Load() {
				peakHeap.Store(max(peakHeap.Load(), heapObjects()))
				time.Sleep(50 * time.Millisecond)
			}
		}()
		wg.Wait()
		burst := time.Since(start)
		// The sensor's last records of the burst.
		for prev := uint64(0); ; {
			time.Sleep(500 * time.Millisecond)
			n := r.events.Load()
			if n == prev {
				break
			}
			prev = n
		}
		done.Store(true)
		<-sampled
		peak := overheadtest.PeakRSS()
		if profiles != "" {
			writeHeapProfile(b, filepath.Join(profiles, "burst.pprof"))
		}
		endHeap := heapObjects()
		time.Sleep(after)
		rss, heap, released := overheadtest.RSS(), heapObjects(), heapReleased()
		b.Logf("after: %s", rssParts())
		runtime.GC()
		live := heapObjects()
		if profiles != "" {
			writeHeapProfile(b, filepath.Join(profiles, "after.pprof"))
		}
		b.ReportMetric(mb(idle), "idle-MB")
		b.ReportMetric(mb(peak), "peak-MB")
		b.ReportMetric(mb(rss), "after-MB")
		b.ReportMetric(mb(idleHeap), "heap-idle-MB")
		b.ReportMetric(mb(peakHeap.Load()), "heap-peak-MB")
		b.ReportMetric(mb(endHeap), "heap-burst-end-MB")
		b.ReportMetric(mb(heap), "heap-after-MB")
		b.ReportMetric(mb(released), "heap-released-MB")
		b.ReportMetric(mb(live), "live-after-MB")
		b.ReportMetric(burst.Seconds(), "burst-s")
		b.ReportMetric(float64(r.events.Load()-events0), "events")
		b.ReportMetric(float64(r.lost()), "lost")
		st := r.s.Stats()
		b.Logf("tree: %+v", st.Tree)
		b.Logf("container: %+v", st.Container)
		if r.s.files != nil {
			b.Logf("fanotify: %+v", r.s.files.Stats())
		}
	}
}

// rssParts is the resident set's parts, from /proc/self/status.
func rssParts() string {
	data, _ := os.ReadFile("/proc/self/status")
	var parts []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "Rss") {
			parts = append(parts, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(parts, ", ")
}

// parseBytes reads a size as GOMEMLIMIT does: a number with an optional
// B, KiB, MiB or GiB suffix.
func parseBytes(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}} {
		if t, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = t, u.n
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n * mult, err
}

func mb[T int64 | uint64](n T) float64 { return float64(n) / (1 << 20) }

// heapObjects is the Go heap's objects, live and not yet swept.
func heapObjects() uint64 { return readMetric("/memory/classes/heap/objects:bytes") }

// heapReleased is the heap memory the runtime has returned to the system.
func heapReleased() uint64 { return readMetric("/memory/classes/heap/released:bytes") }

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func writeHeapProfile(b *testing.B, name string) {
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
