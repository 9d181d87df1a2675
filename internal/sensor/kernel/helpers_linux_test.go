//go:build linux && amd64

package kernel

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// actionEnv selects what a re-executed test binary does (see TestMain).
const actionEnv = "VIGIL_KTEST_ACTION"

func TestMain(m *testing.M) {
	overheadtest.Main()
	if a := os.Getenv(actionEnv); a != "" {
		if err := runAction(a, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, a+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// Children are started from os.Args[0] in other directories.
	if exe, err := os.Executable(); err == nil {
		os.Args[0] = exe
	}
	code := m.Run()
	for i := range hubs {
		if h := hubs[i].hub; h != nil {
			h.s.Close()
		}
	}
	os.Exit(code)
}

// hub reads every record of one sensor shared by the tests and keeps
// those of the test's descendants.
type hub struct {
	s       *Sensor
	mu      sync.Mutex
	recs    []*record.Record
	raw     map[record.Kind][]byte // one raw record of each kind, for testdata
	tracked map[uint32]bool
	notify  chan struct{}
	err     error
}

// hubs are the shared sensors: [0] with the default hooks, [1] with the
// syscall tracepoint.
var hubs [2]struct {
	once sync.Once
	hub  *hub
	err  error
}

// sensorHub returns the shared sensor with the default hooks.
func sensorHub(t *testing.T) *hub { return openHub(t, false) }

// syscallHub returns the shared sensor with Config.SyscallTracepoint.
func syscallHub(t *testing.T) *hub { return openHub(t, true) }

func openHub(t *testing.T, syscallTP bool) *hub {
	t.Helper()
	runctest.RequireRoot(t)
	i := 0
	if syscallTP {
		i = 1
	}
	e := &hubs[i]
	e.once.Do(func() {
		s, err := Open(Config{SyscallTracepoint: syscallTP})
		if err != nil {
			e.err = err
			return
		}
		e.hub = &hub{s: s, raw: map[record.Kind][]byte{}, tracked: map[uint32]bool{uint32(os.Getpid()): true}, notify: make(chan struct{})}
		go e.hub.run()
	})
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e.hub
}

// modes runs f as a subtest against each shared sensor: "default" and
// "syscall-tracepoint" (sys is true for the latter).
func modes(t *testing.T, f func(t *testing.T, h *hub, sys bool)) {
	t.Run("default", func(t *testing.T) { f(t, sensorHub(t), false) })
	t.Run("syscall-tracepoint", func(t *testing.T) { f(t, syscallHub(t), true) })
}

func (h *hub) run() {
	var r record.Record
	for {
		err := h.s.Read(&r)
		if errors.Is(err, record.ErrClosed) {
			return
		}
		h.mu.Lock()
		if err != nil {
			h.err = err
		} else if h.tracked[r.PPID] || h.tracked[r.TGID] {
			h.tracked[r.TGID] = true
			if r.Kind == record.KindFork {
				h.tracked[r.Fork.ChildTGID] = true
			}
			c := r
			c.Exec.Args = append([]string(nil), r.Exec.Args...)
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
func (h *hub) wait(t *testing.T, what string, match func(*record.Record) bool) *record.Record {
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
func (h *hub) all(match func(*record.Record) bool) []*record.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*record.Record
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

// actionOut runs the test binary as a child doing action and returns the
// finished command and its standard output.
func actionOut(t *testing.T, dir, name string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), actionEnv+"="+name)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("action %s: %v\n%s", name, err, stderr.String())
	}
	return cmd, string(out)
}

// startListener starts the "listen" action on network and addr (args may
// add the uid owning the socket) and returns it with the address it listens
// on; its second line of output is the peer it accepted.
func startListener(t *testing.T, network, addr string, args ...string) (*exec.Cmd, *bufio.Scanner, netip.AddrPort) {
	t.Helper()
	return startListenAction(t, "listen", network, addr, args...)
}

// startListenAction starts a listening action ("listen" or "listen-n") and
// returns it with the address it listens on.
func startListenAction(t *testing.T, name, network, addr string, args ...string) (*exec.Cmd, *bufio.Scanner, netip.AddrPort) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{network, addr}, args...)...)
	cmd.Env = append(os.Environ(), actionEnv+"="+name)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatalf("listener printed no address: %v", sc.Err())
	}
	return cmd, sc, netip.MustParseAddrPort(sc.Text())
}

// realDir is t.TempDir with symlinks resolved, as the kernel reports it.
func realDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return d
}
