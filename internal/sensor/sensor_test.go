//go:build linux

package sensor

import (
	"context"
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
)

// script is a Source that returns what the test sends it.
type script struct {
	recs   chan record.Record
	errs   chan error
	closed chan struct{}
	once   sync.Once
}

func newScript() *script {
	return &script{recs: make(chan record.Record), errs: make(chan error), closed: make(chan struct{})}
}

func (s *script) Read(r *record.Record) error {
	select {
	case rec := <-s.recs:
		*r = rec
		return nil
	case err := <-s.errs:
		return err
	case <-s.closed:
		return record.ErrClosed
	}
}

func (s *script) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// newScripted assembles a sensor over a full source (as the kernel's) and
// a partial one (as fanotify's), over this host's /proc.
func newScripted(t *testing.T, latency time.Duration) (*Sensor, *script, *script) {
	t.Helper()
	passwd := filepath.Join(t.TempDir(), "passwd")
	os.WriteFile(passwd, []byte(testUsers), 0o644)
	cfg := Config{Passwd: passwd}
	cfg.Kernel.MaxLatency = latency
	cfg.setDefaults()
	k, f := newScript(), newScript()
	s, err := newSensor(cfg, []*input{{name: "kernel", src: k}, {name: "files", src: f, partial: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, k, f
}

// collector gathers emitted events.
type collector struct {
	mu     sync.Mutex
	events []*event.Event
	got    chan struct{}
}

func (c *collector) emit(e *event.Event) error {
	c.mu.Lock()
	c.events = append(c.events, e)
	c.mu.Unlock()
	select {
	case c.got <- struct{}{}:
	default:
	}
	return nil
}

func (c *collector) wait(t *testing.T, n int) []*event.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.events) >= n {
			out := append([]*event.Event(nil), c.events...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.got:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			t.Fatalf("fewer than %d events", n)
		}
	}
}

// A file record read before the kernel's record of the exec that came
// first waits for it, and takes the program the exec started.
func TestRunOrdersSources(t *testing.T) {
	s, k, f := newScripted(t, 200*time.Millisecond)
	c := &collector{got: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, c.emit) }()

	now := time.Now()
	exec := execRec(4000, 1, cgHost, "/usr/bin/touch", "/usr/bin/touch", "touch", "/tmp/x")
	exec.Time = now.Add(-time.Millisecond)
	file := record.Record{Kind: record.KindOpen, Time: now, TGID: 4000,
		File: record.File{Op: record.OpOpen, Path: "/tmp/x", Flags: unix.O_WRONLY | unix.O_CREAT, Mode: 0o644, FD: -1}}
	f.recs <- file
	time.Sleep(5 * time.Millisecond)
	k.recs <- exec
	evs := c.wait(t, 2)
	if evs[0].EventName != "execve" || evs[1].EventName != "create" {
		t.Fatalf("order: %s, %s", evs[0].EventName, evs[1].EventName)
	}
	e := evs[1]
	if e.Proc.Path != "/usr/bin/touch" || e.Proc.Name != "touch" || e.Proc.UserID != "33" || e.SrcUser != "www-data" || e.File.Path != "/tmp/x" {
		t.Errorf("file event: %s", event.AppendJSON(nil, e, false))
	}

	// A decode error is counted and reading goes on.
	k.errs <- &kernel.DecodeError{Kind: record.KindOpen, Len: 3, Reason: "short"}
	exit := rec(record.KindExit, 4000, cgHost, "touch")
	k.recs <- exit
	c.wait(t, 3)
	// A file record still waiting when the run ends is handed out.
	file.Time = time.Now().Add(time.Minute)
	file.File.Path = "/tmp/last"
	f.recs <- file
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if evs := c.wait(t, 4); evs[3].File == nil || evs[3].File.Path != "/tmp/last" {
		t.Errorf("last event: %s", event.AppendJSON(nil, evs[3], false))
	}
	st := s.Stats()
	if st.DecodeErrors["kernel"] != 1 || st.Events["execve"] != 1 || st.Events["create"] != 2 || st.Events["exit"] != 1 || st.Records["exec"] != 1 {
		t.Errorf("stats: %+v", st)
	}
}

// Many failed reads in a row end the run with an error naming the source;
// an emit error ends it with that error.
func TestRunErrors(t *testing.T) {
	s, k, _ := newScripted(t, 0)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background(), func(*event.Event) error { return nil }) }()
	for i := 0; i < maxReadErrors; i++ {
		k.errs <- errors.New("ring buffer gone")
	}
	err := <-done
	if err == nil || !strings.Contains(err.Error(), "kernel") || !strings.Contains(err.Error(), "ring buffer gone") {
		t.Errorf("Run: %v", err)
	}
	if n := s.Stats().ReadErrors["kernel"]; n != maxReadErrors {
		t.Errorf("%d read errors counted", n)
	}

	s, k, _ = newScripted(t, 0)
	stop := errors.New("output closed")
	go func() { done <- s.Run(context.Background(), func(*event.Event) error { return stop }) }()
	k.recs <- rec(record.KindExit, 4001, cgHost, "x")
	if err := <-done; !errors.Is(err, stop) {
		t.Errorf("Run: %v, want the emit error", err)
	}
}
