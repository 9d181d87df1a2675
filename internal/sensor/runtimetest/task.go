package runtimetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Options describe a container to run with ctr or podman.
type Options struct {
	// ID is the container id (podman: its name); empty gives a unique id
	// derived from the test's name.
	ID string
	// Args is the container's command line; empty runs `sleep 3600`.
	Args []string
	// Env is added to the image's environment (PATH).
	Env []string
	// Image is the image reference; empty is BusyboxRef.
	Image string
	// Detach runs the container detached (`ctr run -d`, `podman run -d`):
	// no client process stays attached, and Wait polls the runtime for the
	// exit. By default a client runs in the foreground, in the background
	// of the test, and Wait reports its exit status, which is the
	// container's.
	Detach bool
}

func (o *Options) defaults(t testing.TB) {
	if o.ID == "" {
		o.ID = uniqueID(t)
	}
	if len(o.Args) == 0 {
		o.Args = []string{"sleep", "3600"}
	}
	if o.Image == "" {
		o.Image = BusyboxRef
	}
}

// Task is a container started with ctr or podman.
type Task struct {
	// ID is the container id; for podman, the full 64-hex-digit id (the
	// name is Name).
	ID string
	// Name is the id or name the container was given (Options.ID).
	Name string
	// Namespace is the containerd namespace ("default"); empty for podman.
	Namespace string
	// PID is the host pid of the container's first process, known as soon
	// as Run returns, even if that process has already exited.
	PID int
	// Image is the image reference the container was run from.
	Image string

	t          testing.TB
	dir        string
	stdoutPath string
	stderrPath string
	cmd        *exec.Cmd
	done       chan struct{}
	waitErr    error
	exited     bool
	code       int
	// waitDetached waits for a detached container's exit and returns its
	// exit code.
	waitDetached func(timeout time.Duration) (int, error)
	kill         func() error
	// logs, when set, gives a detached container's standard output and
	// error.
	logs func() (stdout, stderr string)
}

// start runs a foreground client (ctr run, podman run) whose output goes
// to files in t.dir, and waits until the runtime has written pidFile;
// it fails the test when the client exits without having written it.
func (k *Task) start(name string, env []string, args []string, pidFile string) {
	k.t.Helper()
	stdout, err := os.Create(k.stdoutPath)
	if err != nil {
		k.t.Fatalf("runtimetest: %v", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(k.stderrPath)
	if err != nil {
		k.t.Fatalf("runtimetest: %v", err)
	}
	defer stderr.Close()
	k.cmd = exec.Command(name, args...)
	if env != nil {
		k.cmd.Env = append(os.Environ(), env...)
	}
	k.cmd.Stdout = stdout
	k.cmd.Stderr = stderr
	k.done = make(chan struct{})
	if err := k.cmd.Start(); err != nil {
		k.t.Fatalf("runtimetest: starting %s %q: %v", name, args, err)
	}
	go func() {
		k.waitErr = k.cmd.Wait()
		close(k.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		exited := k.clientExited()
		if pid, ok := readPID(pidFile); ok {
			k.PID = pid
			return
		}
		if exited {
			k.t.Fatalf("runtimetest: %s %q exited (%v) before the container started; stderr: %s", name, args, k.waitErr, k.Stderr())
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("runtimetest: %s %q: no container pid in %s within 30s; stderr: %s", name, args, pidFile, k.Stderr())
		}
		select {
		case <-k.done:
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (k *Task) clientExited() bool {
	select {
	case <-k.done:
		return true
	default:
		return false
	}
}

// waitClient waits up to timeout for a foreground client to return, after
// the container was deleted.
func (k *Task) waitClient(timeout time.Duration) {
	if k.cmd == nil {
		return
	}
	select {
	case <-k.done:
	case <-time.After(timeout):
		k.t.Errorf("runtimetest: %q did not return %v after its container %s was removed", k.cmd.Args, timeout, k.Name)
		k.cmd.Process.Kill()
		<-k.done
	}
}

// Wait waits up to timeout for the container's first process to exit and
// returns its exit code; it fails the test on a timeout.
func (k *Task) Wait(timeout time.Duration) int {
	k.t.Helper()
	if k.exited {
		return k.code
	}
	if k.cmd != nil {
		select {
		case <-k.done:
		case <-time.After(timeout):
			k.t.Fatalf("runtimetest: container %s still running after %v", k.Name, timeout)
		}
		k.exited, k.code = true, exitCode(k.waitErr)
		return k.code
	}
	code, err := k.waitDetached(timeout)
	if err != nil {
		k.t.Fatalf("runtimetest: waiting for container %s: %v", k.Name, err)
	}
	k.exited, k.code = true, code
	return code
}

// Stdout is what the container has written to its standard output so far
// (for a detached ctr container, its standard error too; for a detached
// podman container, from `podman logs`).
func (k *Task) Stdout() string {
	if k.logs != nil {
		stdout, _ := k.logs()
		return stdout
	}
	data, _ := os.ReadFile(k.stdoutPath)
	return string(data)
}

// Stderr is what the container and the runtime's client have written to
// standard error so far.
func (k *Task) Stderr() string {
	if k.logs != nil {
		_, stderr := k.logs()
		return stderr
	}
	data, _ := os.ReadFile(k.stderrPath)
	return string(data)
}

// Kill sends SIGKILL to the container's first process.
func (k *Task) Kill() {
	k.t.Helper()
	if err := k.kill(); err != nil {
		k.t.Errorf("runtimetest: killing container %s: %v", k.Name, err)
	}
}

// Cgroup is the container process's cgroup v2 path (the "0::" line of
// /proc/PID/cgroup), read while it runs.
func (k *Task) Cgroup() (string, error) {
	return CgroupV2(k.PID)
}

// CgroupV2 reads the cgroup v2 path of pid from /proc/PID/cgroup.
func CgroupV2(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", err
	}
	return cgroupV2Line(string(data))
}

func cgroupV2Line(s string) (string, error) {
	for _, line := range strings.Split(s, "\n") {
		if len(line) > 3 && line[:3] == "0::" {
			return line[3:], nil
		}
	}
	return "", fmt.Errorf("no cgroup v2 (0::) line in %q", s)
}

func newTask(t testing.TB, o Options, ns string) *Task {
	dir := t.TempDir()
	return &Task{
		ID:         o.ID,
		Name:       o.ID,
		Namespace:  ns,
		Image:      o.Image,
		t:          t,
		dir:        dir,
		stdoutPath: filepath.Join(dir, "stdout"),
		stderrPath: filepath.Join(dir, "stderr"),
	}
}
