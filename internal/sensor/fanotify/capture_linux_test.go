//go:build linux

package fanotify

import (
	"errors"
	"flag"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

var capture = flag.Bool("capture", false, "save the raw events of TestCapture to testdata/events")

// TestCapture does one operation of each kind in a child, takes that
// child's events from the raw buffers the kernel returned, and checks that
// they parse into what the operation should produce. With -capture it
// saves them as the seeds of FuzzParse and TestParseSamples.
func TestCapture(t *testing.T) {
	runctest.RequireRoot(t)
	dir := t.TempDir()
	shadow := filepath.Join(dir, "shadow")
	if err := os.WriteFile(shadow, []byte("x\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	w, err := Open(Config{Paths: []string{dir}, SensitivePaths: []string{shadow}, AllWrites: true, Batch: -1})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var bufs [][]byte
	w.capture = func(b []byte) {
		mu.Lock()
		bufs = append(bufs, append([]byte(nil), b...))
		mu.Unlock()
	}
	c := &collector{w: w, keep: underDir(dir), notify: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	defer func() {
		w.Close()
		<-c.done
	}()

	a, b, d := filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "d")
	steps := []struct {
		name   string
		action string
		args   []string
		mask   uint64 // bits one of the child's events must have
	}{
		{"create", "create", []string{a}, maskCreate},
		{"close_write", "write", []string{a}, maskCloseWrite},
		{"attrib", "chmod", []string{a, "755"}, maskAttrib},
		{"rename", "rename", []string{a, b}, maskRename},
		{"delete", "unlink", []string{b}, maskDelete},
		{"rmdir", "rmdir", []string{d}, maskDelete | maskOnDir},
		{"open", "read", []string{shadow}, maskOpen},
	}
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		mu.Lock()
		bufs = nil
		mu.Unlock()
		pid := run(t, s.action, s.args...)
		c.wait(t, s.name, func(r *record.Record) bool { return r.TGID == pid })
		mu.Lock()
		var raw []byte
		for _, buf := range bufs {
			raw = append(raw, eventsOf(t, buf, pid)...)
		}
		mu.Unlock()
		found := false
		var ev event
		for rest := raw; len(rest) > 0; {
			n, err := parseEvent(rest, &ev)
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			rest = rest[n:]
			if ev.mask&s.mask != s.mask {
				continue
			}
			found = true
			switch {
			case s.mask&maskRename != 0:
				if string(ev.oldName) != "a" || string(ev.newName) != "b" || !ev.oldDir.valid() || !ev.newDir.valid() || !ev.file.valid() {
					t.Errorf("%s: old %q new %q", s.name, ev.oldName, ev.newName)
				}
			default:
				if !ev.dir.valid() || !ev.file.valid() || len(ev.name) == 0 {
					t.Errorf("%s: dir %v file %v name %q", s.name, ev.dir.valid(), ev.file.valid(), ev.name)
				}
			}
		}
		if !found {
			t.Errorf("%s: no event with mask %#x among the child's", s.name, s.mask)
		}
		if *capture {
			if err := os.MkdirAll("testdata/events", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("testdata/events", s.name+".bin"), raw, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Let a late Read finish before the buffers go.
	time.Sleep(10 * time.Millisecond)
}

// eventsOf returns the events of one process in a buffer, as they were.
func eventsOf(t *testing.T, buf []byte, pid uint32) []byte {
	t.Helper()
	var out []byte
	var ev event
	for len(buf) > 0 {
		n, err := parseEvent(buf, &ev)
		if err != nil {
			t.Fatal(errors.New("captured buffer: " + err.Error()))
		}
		if uint32(ev.pid) == pid {
			out = append(out, buf[:n]...)
		}
		buf = buf[n:]
	}
	return out
}
