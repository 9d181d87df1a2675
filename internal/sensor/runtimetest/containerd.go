package runtimetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// Containerd namespaces the images are imported into.
const (
	// CtrNamespace is the namespace Containerd.Run runs containers in.
	CtrNamespace = "default"
	// CRINamespace is the namespace of the CRI plugin's pods and containers.
	CRINamespace = "k8s.io"
)

// Containerd is a containerd daemon of the test's own, with its CRI plugin.
type Containerd struct {
	// Dir holds everything of this daemon's: Config, Socket, Root, State,
	// the runc state directory (runc --root), ctr's FIFOs, the CRI's pod
	// logs and the daemon's log.
	Dir string
	// Config is the daemon's config.toml.
	Config string
	// Socket is the daemon's gRPC socket (containerd's API and the CRI).
	Socket string
	// Root and State are containerd's root (content, metadata, snapshots)
	// and state (shim bundles, rootfs mounts) directories.
	Root, State string
	// RuncRoot is runc's state directory (runc --root) for all containers.
	RuncRoot string
	// Log is the daemon's standard output and error.
	Log string
	// Images are the images imported into CtrNamespace and CRINamespace.
	Images Images

	t       testing.TB
	ctr     string
	runc    string
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	conn    *grpc.ClientConn
	cri     *CRI
}

// StartContainerd starts containerd with its own state (a new directory
// under the system's temporary directory: root, state, sockets, runc
// root), waits for its socket, and imports the busybox and pause images
// (BuildImages) into the namespaces CtrNamespace and CRINamespace. When
// the test ends it deletes every task and container left, stops the
// daemon, kills shims left over, unmounts what is mounted under Dir and
// removes it. It fails the test when not root (runctest.RequireRoot) or
// when containerd, ctr or runc is missing.
func StartContainerd(t testing.TB) *Containerd {
	t.Helper()
	runctest.RequireRoot(t)
	runc, _ := runctest.Require(t)
	containerd, err := exec.LookPath("containerd")
	if err != nil {
		t.Fatalf("runtimetest: containerd not found (install Debian's containerd package: make test-deps): %v", err)
	}
	ctr, err := exec.LookPath("ctr")
	if err != nil {
		t.Fatalf("runtimetest: ctr not found (install Debian's containerd package: make test-deps): %v", err)
	}
	imgs := BuildImages(t)

	dir := stateDir(t, "vigil-containerd-")
	c := &Containerd{
		Dir:      dir,
		Config:   filepath.Join(dir, "config.toml"),
		Socket:   filepath.Join(dir, "containerd.sock"),
		Root:     filepath.Join(dir, "root"),
		State:    filepath.Join(dir, "state"),
		RuncRoot: filepath.Join(dir, "runc"),
		Log:      filepath.Join(dir, "containerd.log"),
		Images:   imgs,
		t:        t,
		ctr:      ctr,
		runc:     runc,
		done:     make(chan struct{}),
	}
	t.Cleanup(func() { removeStateDir(t, dir) })
	for _, d := range []string{"tmp", "opt", "cni", "fifo", "pods"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatalf("runtimetest: %v", err)
		}
	}
	if err := os.WriteFile(c.Config, []byte(c.configTOML()), 0o644); err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	log, err := os.Create(c.Log)
	if err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	defer log.Close()
	c.cmd = exec.Command(containerd, "--config", c.Config)
	c.cmd.Stdout = log
	c.cmd.Stderr = log
	// The daemon dies with the test process even if cleanups do not run.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("runtimetest: starting containerd --config %s: %v", c.Config, err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(c.stop)

	var lastErr error
	ok := waitFor(30*time.Second, 20*time.Millisecond, func() bool {
		select {
		case <-c.done:
			return true
		default:
		}
		if _, err := os.Stat(c.Socket); err != nil {
			lastErr = err
			return false
		}
		_, lastErr = c.Ctr(CtrNamespace, "version")
		return lastErr == nil
	})
	select {
	case <-c.done:
		t.Fatalf("runtimetest: containerd --config %s exited: %v; log:\n%s", c.Config, c.waitErr, tail(c.Log, 4000))
	default:
	}
	if !ok {
		t.Fatalf("runtimetest: containerd did not answer on %s within 30s: %v; log:\n%s", c.Socket, lastErr, tail(c.Log, 4000))
	}
	for _, ns := range []string{CtrNamespace, CRINamespace} {
		for _, img := range []Image{imgs.Busybox, imgs.Pause} {
			if _, err := c.Ctr(ns, "images", "import", img.Archive); err != nil {
				t.Fatalf("runtimetest: importing %s into containerd namespace %s: %v", img.Ref, ns, err)
			}
			if ns != CRINamespace {
				continue
			}
			// An image the CRI pulls also has a name by digest, from which
			// the CRI reports its repo digest (ContainerStatus.ImageRef).
			if _, err := c.Ctr(ns, "images", "tag", img.Ref, img.DigestRef()); err != nil {
				t.Fatalf("runtimetest: naming %s by digest in containerd namespace %s: %v", img.Ref, ns, err)
			}
		}
	}
	return c
}

// configTOML is the daemon's configuration: everything under Dir, the
// CRI plugin with the local pause image, overlayfs, runc with the
// cgroupfs driver and no CNI configuration (pods use the host network).
func (c *Containerd) configTOML() string {
	q := strconv.Quote
	return fmt.Sprintf(`version = 2
root = %s
state = %s
temp = %s
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = %s

[ttrpc]
  address = %s

[plugins."io.containerd.internal.v1.opt"]
  path = %s

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = %s
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = %s
    conf_dir = %s
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %s
        Root = %s
        SystemdCgroup = false
`,
		q(c.Root), q(c.State), q(filepath.Join(c.Dir, "tmp")),
		q(c.Socket), q(c.Socket+".ttrpc"),
		q(filepath.Join(c.Dir, "opt")),
		q(PauseRef),
		q("/usr/lib/cni"), q(filepath.Join(c.Dir, "cni")),
		q(c.runc), q(c.RuncRoot))
}

// Ctr runs ctr against this daemon in namespace ns and returns its
// standard output; the error names the command and carries its standard
// error.
func (c *Containerd) Ctr(ns string, args ...string) (string, error) {
	return command(nil, c.ctr, append([]string{"--address", c.Socket, "--namespace", ns}, args...)...)
}

// Run runs a container from o.Image (BusyboxRef by default) with `ctr run`
// in CtrNamespace, on the host network, and returns once its first
// process exists (it may already have exited). Its cgroup is containerd's
// default, /default/ID. The task and the container are deleted when the
// test ends.
func (c *Containerd) Run(t testing.TB, o Options) *Task {
	t.Helper()
	o.defaults(t)
	k := newTask(t, o, CtrNamespace)
	pidFile := filepath.Join(k.dir, "pid")
	args := []string{"--address", c.Socket, "--namespace", CtrNamespace, "run",
		"--runc-binary", c.runc, "--runc-root", c.RuncRoot, "--fifo-dir", filepath.Join(c.Dir, "fifo"),
		"--net-host", "--pid-file", pidFile}
	for _, e := range o.Env {
		args = append(args, "--env", e)
	}
	k.kill = func() error {
		_, err := c.Ctr(CtrNamespace, "tasks", "kill", "--signal", "SIGKILL", o.ID)
		return err
	}
	t.Cleanup(func() { c.deleteTask(t, k) })
	if !o.Detach {
		k.start(c.ctr, nil, append(append(args, o.Image, o.ID), o.Args...), pidFile)
		return k
	}
	args = append(args, "--detach", "--log-uri", "file://"+k.stdoutPath)
	args = append(append(args, o.Image, o.ID), o.Args...)
	if _, err := command(nil, c.ctr, args...); err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	pid, ok := readPID(pidFile)
	if !ok {
		t.Fatalf("runtimetest: ctr run --detach %s wrote no pid to %s", o.ID, pidFile)
	}
	k.PID = pid
	k.waitDetached = func(timeout time.Duration) (int, error) { return c.waitTask(o.ID, pid, timeout) }
	return k
}

var exitCodeRE = regexp.MustCompile(`exit with non-zero exit code (\d+)`)

// waitTask waits for a detached task's process to go, then deletes the
// task, which gives its exit status: ctr tasks delete logs a warning with
// it when it is not 0.
func (c *Containerd) waitTask(id string, pid int, timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		if !alive(pid) {
			cmd := exec.Command(c.ctr, "--address", c.Socket, "--namespace", CtrNamespace, "tasks", "delete", id)
			out, err := cmd.CombinedOutput()
			if err == nil {
				if m := exitCodeRE.FindSubmatch(out); m != nil {
					return strconv.Atoi(string(m[1]))
				}
				return 0, nil
			}
			if !strings.Contains(string(out), "must be stopped") {
				return -1, fmt.Errorf("%q: %v: %s", cmd.Args, err, out)
			}
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("task %s (pid %d) still running after %v", id, pid, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deleteTask deletes a task (killing it) and its container. A task whose
// shim goes away as it is deleted (it exited meanwhile: "ttrpc: closed")
// is asked again.
func (c *Containerd) deleteTask(t testing.TB, k *Task) {
	for try := 1; ; try++ {
		_, err := c.Ctr(CtrNamespace, "tasks", "delete", "--force", k.ID)
		if err == nil || strings.Contains(err.Error(), "not found") {
			break
		}
		if !strings.Contains(err.Error(), "ttrpc: closed") || try == 5 {
			t.Errorf("runtimetest: %v", err)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.waitClient(10 * time.Second)
	if _, err := c.Ctr(CtrNamespace, "containers", "delete", k.ID); err != nil && !strings.Contains(err.Error(), "not found") {
		t.Errorf("runtimetest: %v", err)
	}
}

// stop deletes what tasks and containers are left in every namespace,
// then stops the daemon: SIGTERM, and SIGKILL after 10s.
func (c *Containerd) stop() {
	t := c.t
	if c.conn != nil {
		c.conn.Close()
	}
	select {
	case <-c.done:
		t.Errorf("runtimetest: containerd exited during the test: %v; log:\n%s", c.waitErr, tail(c.Log, 4000))
		return
	default:
	}
	nss, err := c.Ctr(CtrNamespace, "namespaces", "list", "--quiet")
	if err != nil {
		t.Errorf("runtimetest: %v", err)
	}
	for _, ns := range strings.Fields(nss) {
		tasks, _ := c.Ctr(ns, "tasks", "list", "--quiet")
		for _, id := range strings.Fields(tasks) {
			if _, err := c.Ctr(ns, "tasks", "delete", "--force", id); err != nil {
				t.Errorf("runtimetest: %v", err)
			}
		}
		ctrs, _ := c.Ctr(ns, "containers", "list", "--quiet")
		for _, id := range strings.Fields(ctrs) {
			if _, err := c.Ctr(ns, "containers", "delete", id); err != nil {
				t.Errorf("runtimetest: %v", err)
			}
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Errorf("runtimetest: containerd did not stop within 10s of SIGTERM; killing it")
		c.cmd.Process.Kill()
		<-c.done
	}
}
