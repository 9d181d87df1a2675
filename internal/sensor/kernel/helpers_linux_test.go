//go:build linux && amd64

package kernel

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// actionEnv selects what a re-executed test binary does (see TestMain).
const actionEnv = "VIGIL_KTEST_ACTION"

func TestMain(m *testing.M) {
	if a := os.Getenv(actionEnv); a != "" {
		if err := runAction(a, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, a+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if theHub != nil {
		theHub.s.Close()
	}
	os.Exit(code)
}

// needRoot skips a test without root, except in CI where it fails.
func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root")
		}
		t.Skip("needs root")
	}
}

// hub reads every record of one sensor shared by the tests and keeps
// those of the test's descendants.
type hub struct {
	s       *Sensor
	mu      sync.Mutex
	recs    []*Record
	raw     map[Kind][]byte // one raw record of each kind, for testdata
	tracked map[uint32]bool
	notify  chan struct{}
	err     error
}

var (
	theHub  *hub
	hubOnce sync.Once
	hubErr  error
)

func sensorHub(t *testing.T) *hub {
	t.Helper()
	needRoot(t)
	hubOnce.Do(func() {
		s, err := Open(Config{})
		if err != nil {
			hubErr = err
			return
		}
		theHub = &hub{s: s, raw: map[Kind][]byte{}, tracked: map[uint32]bool{uint32(os.Getpid()): true}, notify: make(chan struct{})}
		go theHub.run()
	})
	if hubErr != nil {
		t.Fatal(hubErr)
	}
	return theHub
}

func (h *hub) run() {
	var r Record
	for {
		err := h.s.Read(&r)
		if errors.Is(err, ErrClosed) {
			return
		}
		h.mu.Lock()
		if err != nil {
			h.err = err
		} else if h.tracked[r.PPID] || h.tracked[r.TGID] {
			h.tracked[r.TGID] = true
			if r.Kind == KindFork {
				h.tracked[r.Fork.ChildTGID] = true
			}
			c := r
			c.Exec.Args = append([]string(nil), r.Exec.Args...)
			c.text, c.spans = nil, nil
			h.recs = append(h.recs, &c)
			if h.raw[r.Kind] == nil {
				h.raw[r.Kind] = append([]byte(nil), h.s.rec.RawSample...)
			}
			close(h.notify)
			h.notify = make(chan struct{})
		}
		h.mu.Unlock()
	}
}

// wait returns the first record (in arrival order) for which match is
// true, failing the test if none arrives within a generous time.
func (h *hub) wait(t *testing.T, what string, match func(*Record) bool) *Record {
	t.Helper()
	deadline := time.After(20 * time.Second)
	seen := 0
	for {
		h.mu.Lock()
		if h.err != nil {
			err := h.err
			h.mu.Unlock()
			t.Fatalf("reading records: %v", err)
		}
		for ; seen < len(h.recs); seen++ {
			if match(h.recs[seen]) {
				r := h.recs[seen]
				h.mu.Unlock()
				return r
			}
		}
		ch := h.notify
		h.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %s record within 20s", what)
		}
	}
}

// all returns the records so far for which match is true.
func (h *hub) all(match func(*Record) bool) []*Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Record
	for _, r := range h.recs {
		if match(r) {
			out = append(out, r)
		}
	}
	return out
}

// action runs the test binary as a child doing action; it returns the finished command.
func action(t *testing.T, dir, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), actionEnv+"="+name)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("action %s: %v\n%s", name, err, out)
	}
	return cmd
}

// realDir is t.TempDir with symlinks resolved, as the kernel reports it.
func realDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
