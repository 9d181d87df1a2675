//go:build linux && amd64

// Overhead of the whole running sensor — kernel hooks, fanotify, the
// process tree, container attribution, mapping and the builtin rules, as
// `vigil sensor` runs them — on loops of one operation, as root:
//
//	go test -run '^$' -bench SensorOverhead -benchtime 40x ./internal/sensor/
//
// One sensor runs for the benchmark; a loop child (overheadtest) runs
// batches of operations, alternately with the sensor paused and running
// (-benchtime 40x: 40 batches of each). ratio is the summed wall time with
// over without; cpu-ratio the same with the child's CPU time;
// events/round what the sensor emitted during a running batch (other
// processes' activity included).

package sensor

import (
	"context"
	"errors"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// runningSensor is a whole sensor feeding the builtin rules.
type runningSensor struct {
	s      *Sensor
	cancel context.CancelFunc
	done   chan error
	events atomic.Uint64
	alerts atomic.Uint64
}

func startSensor(b *testing.B, g *detect.Engine, cfg Config) *runningSensor {
	s, err := New(cfg)
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

// lost is the records the sensor's sources lost.
func (r *runningSensor) lost() uint64 {
	var lost uint64
	for _, kinds := range r.s.Stats().Lost {
		for _, n := range kinds {
			lost += n
		}
	}
	return lost
}

// stop ends the sensor.
func (r *runningSensor) stop(b *testing.B) {
	r.cancel()
	if err := <-r.done; err != nil && !errors.Is(err, context.Canceled) {
		b.Errorf("sensor: %v", err)
	}
	if err := r.s.Close(); err != nil {
		b.Errorf("close: %v", err)
	}
}

func benchSensorOverhead(b *testing.B, cfg Config, kind string, n int) {
	runctest.RequireRoot(b)
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	child := overheadtest.Start(b, kind, b.TempDir())
	r := startSensor(b, g, cfg)
	defer r.stop(b)
	if err := r.s.Pause(); err != nil {
		b.Fatal(err)
	}
	// Loading the programs parses the kernel's BTF, hundreds of MB of
	// short-lived garbage: collect it now, as a sensor that has run for a
	// while has long done.
	runtime.GC()
	debug.FreeOSMemory()
	var events uint64
	var before uint64
	rounds := overheadtest.Compare(b, child, n, 0, overheadtest.State{
		On: func() error {
			before = r.events.Load()
			return r.s.Resume()
		},
		Off: func() error {
			err := r.s.Pause()
			time.Sleep(settle) // the batch's last records are handled
			events += r.events.Load() - before
			return err
		},
	})
	b.ReportMetric(float64(events)/float64(rounds), "events/round")
	b.ReportMetric(float64(r.lost()), "lost")
}

// settle is how long the sensor takes to hand out what a batch's
// operations did: the kernel sensor's latency, the pending records' tick
// and a margin.
const settle = 60 * time.Millisecond

func BenchmarkSensorOverheadExec(b *testing.B) { benchSensorOverhead(b, Config{}, "exec", 100) }
func BenchmarkSensorOverheadOpenRead(b *testing.B) {
	benchSensorOverhead(b, Config{}, "open-read", 20000)
}
func BenchmarkSensorOverheadOpenWrite(b *testing.B) {
	benchSensorOverhead(b, Config{}, "open-write", 20000)
}
func BenchmarkSensorOverheadConnect(b *testing.B) {
	benchSensorOverhead(b, Config{}, "connect", 1000)
}

// BenchmarkSensorOverheadConnectEach reports every connect and accept
// (kernel.Config.NetDedup negative).
func BenchmarkSensorOverheadConnectEach(b *testing.B) {
	benchSensorOverhead(b, Config{Kernel: kernel.Config{NetDedup: -1}}, "connect", 1000)
}
