// Package runctest runs real OCI containers with runc and a busybox rootfs for the sensor's tests.
//
// A test calls Start with the container's arguments; the container runs in
// the foreground of a `runc run` child process whose output goes to files in
// the bundle, so that Wait reports the container's exit code. Every container
// is deleted with `runc delete -f` when the test ends. Containers have no
// network namespace of their own, so a process inside can reach a listener
// on the host's loopback.
package runctest

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Busybox is where the static busybox binary the rootfs is built from is
// looked for, first to last.
var Busybox = []string{"/bin/busybox", "/usr/bin/busybox"}

// Applets are the busybox applets linked into the rootfs's /bin.
var Applets = []string{
	"sh", "ash", "ls", "cat", "cp", "mv", "rm", "mkdir", "rmdir", "ln", "chmod", "chown",
	"touch", "nc", "sleep", "echo", "printf", "id", "wget", "env", "pwd", "true", "false",
	"grep", "head", "tail", "ps", "kill", "test", "[", "readlink", "stat", "wc", "tr",
	"sed", "awk", "find", "uname", "hostname", "whoami", "dd", "date", "timeout", "base64",
}

// Options describe a container to run.
type Options struct {
	// ID is the container id; empty gives a unique id derived from the
	// test's name. runc accepts letters, digits, '_', '+', '-' and '.'.
	ID string
	// Args is the container's command line; empty runs `sleep 3600`.
	Args []string
	// Env is added to the default PATH and TERM.
	Env []string
	// Cwd is the working directory inside the container; empty is "/".
	Cwd string
	// UID and GID are the container process's user and group.
	UID, GID uint32
	// ReadOnly makes the root filesystem read-only (runc spec's default);
	// by default it is writable.
	ReadOnly bool
	// Annotations go into the OCI config.
	Annotations map[string]string
	// CgroupsPath is the OCI linux.cgroupsPath; empty leaves runc's default
	// (a cgroup named by the id at the top of each hierarchy).
	CgroupsPath string
	// Files are written into the rootfs before the container starts, keyed
	// by path inside the container; mode 0755.
	Files map[string][]byte
	// Root is runc's state directory (--root); empty is runc's default,
	// /run/runc.
	Root string
	// Rootfs, when set, is an existing root file system directory the
	// container runs on (BuildRootfs makes one), instead of one built in
	// the bundle; Files are not written to it.
	Rootfs string
	// HostPID runs the container in the host's pid namespace (as a
	// Kubernetes pod with hostPID).
	HostPID bool
	// Capabilities are added to the container process's capability sets
	// (bounding, effective, permitted), e.g. "CAP_SYS_ADMIN".
	Capabilities []string
	// Mounts are added to the OCI config's mounts, each replacing a
	// default mount at its destination.
	Mounts []Mount
}

// Mount is an OCI mount of a container.
type Mount struct {
	Destination string   `json:"destination"`
	Type        string   `json:"type"`
	Source      string   `json:"source"`
	Options     []string `json:"options,omitempty"`
}

// Container is a running (or exited) runc container.
type Container struct {
	// ID is the container id.
	ID string
	// Bundle is the OCI bundle directory, holding config.json.
	Bundle string
	// Rootfs is the container's root filesystem on the host.
	Rootfs string

	t       testing.TB
	runc    string
	root    string
	pid     int
	cmd     *exec.Cmd
	outPath string
	errPath string
	done    chan struct{}
	waitErr error
}

var seq atomic.Uint64

// Require fails the test when runc or a static busybox is missing, with
// what to install.
func Require(t testing.TB) (runc, busybox string) {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatalf("runctest: runc not found in PATH (install Debian's runc package: apt-get install runc): %v", err)
	}
	busybox, err = findBusybox()
	if err != nil {
		t.Fatalf("runctest: %v (install Debian's busybox-static package: apt-get install busybox-static)", err)
	}
	return runc, busybox
}

func findBusybox() (string, error) {
	var errs []error
	for _, p := range Busybox {
		f, err := elf.Open(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		static := true
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				static = false
			}
		}
		f.Close()
		if !static {
			errs = append(errs, fmt.Errorf("%s is dynamically linked; a container rootfs needs busybox-static", p))
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("no static busybox: %w", errors.Join(errs...))
}

// RequireRoot skips the test when not running as root, and fails it instead
// when CI is set, since CI runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root")
		}
		t.Skip("needs root")
	}
}

// BuildRootfs makes a busybox root filesystem in dir: /bin/busybox with
// symlinks for Applets, /etc/passwd, /etc/shadow and /etc/group with root
// and nobody, and empty /tmp, /root, /proc, /sys, /dev and /dev/shm.
func BuildRootfs(t testing.TB, dir string) {
	t.Helper()
	_, busybox := Require(t)
	if err := buildRootfs(dir, busybox); err != nil {
		t.Fatalf("runctest: building rootfs in %s: %v", dir, err)
	}
}

func buildRootfs(dir, busybox string) error {
	for _, d := range []string{"bin", "etc", "tmp", "root", "proc", "sys", "dev", "dev/shm", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	data, err := os.ReadFile(busybox)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		return err
	}
	for _, a := range Applets {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", a)); err != nil {
			return err
		}
	}
	etc := map[string]string{
		"passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
		"shadow": "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
		"group":  "root:x:0:\nnogroup:x:65534:\n",
		"hosts":  "127.0.0.1 localhost\n",
	}
	for name, content := range etc {
		mode := os.FileMode(0o644)
		if name == "shadow" {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(dir, "etc", name), []byte(content), mode); err != nil {
			return err
		}
	}
	return nil
}

// UniqueID returns a container id unique to this process, derived from the
// test's name.
func UniqueID(t testing.TB) string {
	var b strings.Builder
	b.WriteString("vt-")
	for _, r := range t.Name() {
		if b.Len() >= 40 {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return fmt.Sprintf("%s-%d-%d", b.String(), os.Getpid(), seq.Add(1))
}

// Start builds a bundle in a temporary directory and runs the container;
// it returns once the container's process has started, and registers its
// deletion with t.Cleanup. It fails the test when not root, when runc or
// busybox is missing, or when the container does not start.
func Start(t testing.TB, o Options) *Container {
	t.Helper()
	RequireRoot(t)
	runc, busybox := Require(t)
	if o.ID == "" {
		o.ID = UniqueID(t)
	}
	if len(o.Args) == 0 {
		o.Args = []string{"sleep", "3600"}
	}
	bundle := t.TempDir()
	c := &Container{
		ID:      o.ID,
		Bundle:  bundle,
		Rootfs:  filepath.Join(bundle, "rootfs"),
		t:       t,
		runc:    runc,
		root:    o.Root,
		outPath: filepath.Join(bundle, "stdout"),
		errPath: filepath.Join(bundle, "stderr"),
		done:    make(chan struct{}),
	}
	if o.Rootfs != "" {
		c.Rootfs = o.Rootfs
		o.Files = nil
	} else if err := buildRootfs(c.Rootfs, busybox); err != nil {
		t.Fatalf("runctest: building rootfs for %s: %v", o.ID, err)
	}
	for p, data := range o.Files {
		full := filepath.Join(c.Rootfs, filepath.Clean("/"+p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatalf("runctest: %v", err)
		}
		if err := os.WriteFile(full, data, 0o755); err != nil {
			t.Fatalf("runctest: %v", err)
		}
	}
	if err := writeConfig(runc, bundle, o); err != nil {
		t.Fatalf("runctest: OCI config for %s: %v", o.ID, err)
	}

	stdout, err := os.Create(c.outPath)
	if err != nil {
		t.Fatalf("runctest: %v", err)
	}
	stderr, err := os.Create(c.errPath)
	if err != nil {
		t.Fatalf("runctest: %v", err)
	}
	pidFile := filepath.Join(bundle, "pid")
	c.cmd = exec.Command(runc, c.args("run", "--bundle", bundle, "--pid-file", pidFile, o.ID)...)
	c.cmd.Stdin = nil
	c.cmd.Stdout = stdout
	c.cmd.Stderr = stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("runctest: starting runc run %s: %v", o.ID, err)
	}
	stdout.Close()
	stderr.Close()
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.delete)

	deadline := time.Now().Add(20 * time.Second)
	for {
		exited := c.Exited()
		if pid, ok := readPID(pidFile); ok && !inRuncInit(pid) {
			// runc writes the pid file when it has created the
			// container, while runc init still waits to exec the
			// container's program: returned once it has.
			c.pid = pid
			return c
		}
		if exited {
			t.Fatalf("runctest: container %s exited before it started: %v\nstderr: %s", o.ID, c.waitErr, c.Stderr())
		}
		select {
		case <-c.done:
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("runctest: container %s did not start within 20s\nstderr: %s", o.ID, c.Stderr())
		}
	}
}

// inRuncInit reports whether process pid still runs runc init (it has
// not exec'd the container's program yet); false once it has, or has
// exited.
func inRuncInit(pid int) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	argv0, rest, _ := strings.Cut(string(cmdline), "\x00")
	return filepath.Base(argv0) == "runc" && strings.HasPrefix(rest, "init\x00")
}

func (c *Container) args(a ...string) []string {
	if c.root == "" {
		return a
	}
	return append([]string{"--root", c.root}, a...)
}

func writeConfig(runc, bundle string, o Options) error {
	if out, err := exec.Command(runc, "spec", "--bundle", bundle).CombinedOutput(); err != nil {
		return fmt.Errorf("runc spec: %v: %s", err, out)
	}
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	proc, _ := spec["process"].(map[string]any)
	root, _ := spec["root"].(map[string]any)
	linux, _ := spec["linux"].(map[string]any)
	if proc == nil || root == nil || linux == nil {
		return fmt.Errorf("%s: runc spec wrote no process, root or linux section", path)
	}
	proc["terminal"] = false
	proc["args"] = o.Args
	env := []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin", "TERM=xterm", "HOME=/root"}
	proc["env"] = append(env, o.Env...)
	cwd := o.Cwd
	if cwd == "" {
		cwd = "/"
	}
	proc["cwd"] = cwd
	proc["user"] = map[string]any{"uid": o.UID, "gid": o.GID}
	if len(o.Capabilities) > 0 {
		caps, _ := proc["capabilities"].(map[string]any)
		if caps == nil {
			caps = map[string]any{}
		}
		for _, set := range []string{"bounding", "effective", "permitted"} {
			have, _ := caps[set].([]any)
			for _, c := range o.Capabilities {
				have = append(have, c)
			}
			caps[set] = have
		}
		proc["capabilities"] = caps
	}
	root["path"] = "rootfs"
	if o.Rootfs != "" {
		root["path"] = o.Rootfs
	}
	root["readonly"] = o.ReadOnly
	spec["hostname"] = "runctest"
	if len(o.Annotations) > 0 {
		spec["annotations"] = o.Annotations
	}
	if o.CgroupsPath != "" {
		linux["cgroupsPath"] = o.CgroupsPath
	}
	if len(o.Mounts) > 0 {
		// A mount given replaces the default one at its destination.
		ms, _ := spec["mounts"].([]any)
		kept := ms[:0]
		for _, m := range ms {
			d, _ := m.(map[string]any)["destination"].(string)
			if !slices.ContainsFunc(o.Mounts, func(o Mount) bool { return o.Destination == d }) {
				kept = append(kept, m)
			}
		}
		for _, m := range o.Mounts {
			kept = append(kept, m)
		}
		spec["mounts"] = kept
	}
	nss, _ := linux["namespaces"].([]any)
	kept := nss[:0]
	for _, ns := range nss {
		if m, ok := ns.(map[string]any); ok && (m["type"] == "network" || o.HostPID && m["type"] == "pid") {
			continue
		}
		kept = append(kept, ns)
	}
	linux["namespaces"] = kept
	out, err := json.MarshalIndent(spec, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// PID is the host pid of the container's first process.
func (c *Container) PID() int { return c.pid }

// Stdout is what the container's first process has written so far.
func (c *Container) Stdout() string {
	data, _ := os.ReadFile(c.outPath)
	return string(data)
}

// Stderr is what the container's first process (and runc) has written to
// standard error so far.
func (c *Container) Stderr() string {
	data, _ := os.ReadFile(c.errPath)
	return string(data)
}

// Wait waits up to timeout for the container's first process to exit and
// returns its exit code; it fails the test on a timeout.
func (c *Container) Wait(timeout time.Duration) int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.t.Fatalf("runctest: container %s still running after %v", c.ID, timeout)
	}
	return exitCode(c.waitErr)
}

// Exited reports whether the container's first process has exited.
func (c *Container) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Exec runs a command in the container with `runc exec` and waits for it,
// returning its standard output; the error carries the exit status and
// standard error.
func (c *Container) Exec(args ...string) (string, error) {
	p, err := c.startExec(args)
	if err != nil {
		return "", err
	}
	code := p.Wait()
	if code != 0 {
		return p.Stdout(), fmt.Errorf("runc exec %s %q: exit status %d: %s", c.ID, args, code, strings.TrimSpace(p.Stderr()))
	}
	return p.Stdout(), nil
}

// Process is a process started in a container with StartExec.
type Process struct {
	pid    int
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
	err    error
}

// StartExec starts a command in the container with `runc exec` and returns
// once its process exists; it fails the test if runc cannot start it.
func (c *Container) StartExec(args ...string) *Process {
	c.t.Helper()
	p, err := c.startExec(args)
	if err != nil {
		c.t.Fatalf("runctest: %v", err)
	}
	return p
}

func (c *Container) startExec(args []string) (*Process, error) {
	dir, err := os.MkdirTemp(c.Bundle, "exec")
	if err != nil {
		return nil, err
	}
	pidFile := filepath.Join(dir, "pid")
	p := &Process{done: make(chan struct{})}
	p.cmd = exec.Command(c.runc, c.args(append([]string{"exec", "--pid-file", pidFile, c.ID}, args...)...)...)
	p.cmd.Stdout = &p.stdout
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("runc exec %s %q: %w", c.ID, args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		exited := p.exited()
		if pid, ok := readPID(pidFile); ok {
			p.pid = pid
			return p, nil
		}
		if exited {
			return nil, fmt.Errorf("runc exec %s %q: %v: %s", c.ID, args, p.err, strings.TrimSpace(p.stderr.String()))
		}
		select {
		case <-p.done:
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("runc exec %s %q: no process within 20s", c.ID, args)
		}
	}
}

// readPID reads a pid file runc wrote; runc writes it whole with a rename.
func readPID(path string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data)))
	return pid, err == nil && pid > 0
}

func (p *Process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// PID is the host pid of the exec'd process.
func (p *Process) PID() int { return p.pid }

// Wait waits for the process and returns its exit code.
func (p *Process) Wait() int {
	<-p.done
	return exitCode(p.err)
}

// Stdout is the process's standard output; complete once Wait returned.
func (p *Process) Stdout() string {
	select {
	case <-p.done:
		return p.stdout.String()
	default:
		return ""
	}
}

// Stderr is the process's standard error; complete once Wait returned.
func (p *Process) Stderr() string {
	select {
	case <-p.done:
		return p.stderr.String()
	default:
		return ""
	}
}

// Kill stops the container with SIGKILL; the first process's Wait then
// returns.
func (c *Container) Kill() {
	c.t.Helper()
	if out, err := exec.Command(c.runc, c.args("kill", c.ID, "KILL")...).CombinedOutput(); err != nil && !c.Exited() {
		c.t.Errorf("runctest: runc kill %s: %v: %s", c.ID, err, out)
	}
}

func (c *Container) delete() {
	out, err := exec.Command(c.runc, c.args("delete", "-f", c.ID)...).CombinedOutput()
	if err != nil && !strings.Contains(string(out), "does not exist") {
		c.t.Errorf("runctest: runc delete -f %s: %v: %s", c.ID, err, out)
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Errorf("runctest: runc run %s did not return after delete", c.ID)
		c.cmd.Process.Kill()
	}
}
