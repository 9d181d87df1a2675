//go:build linux && amd64

// Overhead of the whole running sensor — kernel hooks, fanotify, the
// process tree, container attribution, mapping and the builtin rules, as
// `vigil sensor` runs them — on loops of one operation, as root:
//
//	go test -run '^$' -bench SensorOverhead -benchtime 10x ./internal/sensor/
//
// Each round runs the loop in a child process once without a sensor and
// once with one started for the round, in alternating order; before the
// timed run a quarter of the loop runs untimed (with the sensor: so that
// it has settled, as a sensor that has run for a while has). ratio is the summed wall time with over without;
// cpu-ratio the same with the child's CPU time; events/round what the
// sensor emitted while the loop ran (other processes' activity included).

package sensor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// loopEnv makes a re-executed test binary run a loop (see TestMain);
// loopFileEnv names the file the open loops open.
const (
	loopEnv     = "VIGIL_SENSOR_LOOP"
	loopFileEnv = "VIGIL_SENSOR_LOOP_FILE"
)

// runLoop runs n operations of one kind and prints the loop's wall and
// CPU time in ns; it returns the exit code.
func runLoop(kind string, args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: loop N")
		return 2
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	op, cleanup, err := loopOp(kind)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := op(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	wall := time.Since(start)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	fmt.Println(wall.Nanoseconds(), cpu.Nanoseconds())
	return 0
}

// loopOp returns one operation of a loop.
func loopOp(kind string) (op func() error, cleanup func(), err error) {
	cleanup = func() {}
	switch kind {
	case "exec":
		return func() error { return exec.Command("/bin/true").Run() }, cleanup, nil
	case "open-read", "open-write":
		name := os.Getenv(loopFileEnv)
		flag := os.O_RDONLY
		if kind == "open-write" {
			flag = os.O_WRONLY | os.O_TRUNC
		}
		return func() error {
			f, err := os.OpenFile(name, flag, 0)
			if err != nil {
				return err
			}
			return f.Close()
		}, cleanup, nil
	case "connect":
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, nil, err
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		addr := ln.Addr().String()
		return func() error {
			c, err := net.Dial("tcp4", addr)
			if err != nil {
				return err
			}
			return c.Close()
		}, func() { ln.Close() }, nil
	}
	return nil, nil, fmt.Errorf("unknown loop %q", kind)
}

// timeLoop runs a loop in a child and returns its wall and CPU ns.
func timeLoop(b *testing.B, kind, file string, n int) (wall, cpu float64) {
	cmd := exec.Command(os.Args[0], strconv.Itoa(n))
	cmd.Env = append(os.Environ(), loopEnv+"="+kind, loopFileEnv+"="+file)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("loop %s: %v: %s", kind, err, stderr.String())
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		b.Fatalf("loop %s printed %q", kind, out)
	}
	wall, _ = strconv.ParseFloat(f[0], 64)
	cpu, _ = strconv.ParseFloat(f[1], 64)
	return wall, cpu
}

// runningSensor is a whole sensor feeding the builtin rules.
type runningSensor struct {
	s      *Sensor
	cancel context.CancelFunc
	done   chan error
	events atomic.Uint64
	alerts atomic.Uint64
}

func startSensor(b *testing.B, g *detect.Engine) *runningSensor {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningSensor{s: s, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- s.Run(ctx, func(e *event.Event) error {
			r.events.Add(1)
			g.Process(e, func(*detect.Alert) { r.alerts.Add(1) })
			return nil
		})
	}()
	return r
}

// stop ends the sensor and returns the records its sources lost.
func (r *runningSensor) stop(b *testing.B) uint64 {
	r.cancel()
	if err := <-r.done; err != nil && !errors.Is(err, context.Canceled) {
		b.Errorf("sensor: %v", err)
	}
	var lost uint64
	for _, kinds := range r.s.Stats().Lost {
		for _, n := range kinds {
			lost += n
		}
	}
	if err := r.s.Close(); err != nil {
		b.Errorf("close: %v", err)
	}
	return lost
}

func benchSensorOverhead(b *testing.B, kind string, n int) {
	runctest.RequireRoot(b)
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	// The open loops use one long-lived file, as a busy log file is.
	file := filepath.Join(b.TempDir(), "loop")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	timeLoop(b, kind, file, n/10+1) // warm the page cache and the binary
	var with, without, cpuWith, cpuWithout float64
	var ratios []float64
	var events, lost uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var w, c [2]float64 // [0] without, [1] with
		for _, on := range []bool{i%2 == 0, i%2 != 0} {
			if !on {
				timeLoop(b, kind, file, n/4)
				w[0], c[0] = timeLoop(b, kind, file, n)
				continue
			}
			// A sensor that has run for a while: its process tree,
			// container cache and hot-file marks settled by a first
			// stretch of the loop (run without the sensor too).
			r := startSensor(b, g)
			// Loading the programs parses the kernel's BTF, hundreds
			// of MB of short-lived garbage: collect it now, as a sensor
			// that has run for a while has long done.
			runtime.GC()
			debug.FreeOSMemory()
			timeLoop(b, kind, file, n/4)
			time.Sleep(100 * time.Millisecond)
			before := r.events.Load()
			w[1], c[1] = timeLoop(b, kind, file, n)
			time.Sleep(50 * time.Millisecond) // the records of the loop's end are read
			events += r.events.Load() - before
			lost += r.stop(b)
		}
		without, with = without+w[0], with+w[1]
		cpuWithout, cpuWith = cpuWithout+c[0], cpuWith+c[1]
		ratios = append(ratios, w[1]/w[0])
		b.StartTimer()
	}
	slices.Sort(ratios)
	b.ReportMetric(with/without, "ratio")
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(cpuWith/cpuWithout, "cpu-ratio")
	b.ReportMetric(with/float64(b.N*n), "ns/op-with")
	b.ReportMetric(without/float64(b.N*n), "ns/op-without")
	b.ReportMetric(float64(events)/float64(b.N), "events/round")
	b.ReportMetric(float64(lost), "lost")
}

func BenchmarkSensorOverheadExec(b *testing.B)      { benchSensorOverhead(b, "exec", 300) }
func BenchmarkSensorOverheadOpenRead(b *testing.B)  { benchSensorOverhead(b, "open-read", 100000) }
func BenchmarkSensorOverheadOpenWrite(b *testing.B) { benchSensorOverhead(b, "open-write", 100000) }
func BenchmarkSensorOverheadConnect(b *testing.B)   { benchSensorOverhead(b, "connect", 3000) }
