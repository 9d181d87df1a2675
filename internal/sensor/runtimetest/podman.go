package runtimetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// Podman runs podman with storage and state of the test's own. Podman has
// no daemon: every command is a podman process given the same flags and
// configuration files.
type Podman struct {
	// Dir holds everything of this instance's: Root (--root, image and
	// container storage), RunRoot (--runroot), TmpDir (--tmpdir, exit
	// files and the events log), the network config directory and the
	// containers.conf and storage.conf podman is pointed at.
	Dir, Root, RunRoot, TmpDir string
	// StorageDriver is "overlay", or "vfs" when overlay cannot work here
	// (StartPodman says so with t.Log).
	StorageDriver string
	// Images are the images loaded (only Images.Busybox is loaded).
	Images Images

	t      testing.TB
	podman string
	env    []string
	flags  []string
}

// varLibContainers is containers/image's blob info cache, which podman
// run as root keeps in /var/lib/containers/cache whatever its --root:
// StartPodman notes whether the directory existed before this process
// first used podman, and the cleanup removes it when not, if it holds
// nothing but that cache.
const varLibContainers = "/var/lib/containers"

var (
	varLibOnce    sync.Once
	varLibExisted bool
)

// StartPodman prepares podman state in a new directory under the
// system's temporary directory: containers.conf and storage.conf of its
// own (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), and the flags --root,
// --runroot, --tmpdir, --runtime runc (crun fails on this host's hybrid
// cgroups), --cgroup-manager cgroupfs, --events-backend file,
// --network-config-dir and --storage-driver overlay; it then loads the
// busybox image with `podman load`. When the test ends it removes every
// container, kills conmon and podman processes left over, unmounts what
// is mounted under Dir and removes it. It fails the test when not root or
// when podman, conmon or runc is missing.
func StartPodman(t testing.TB) *Podman {
	t.Helper()
	runctest.RequireRoot(t)
	runc, _ := runctest.Require(t)
	podman, err := exec.LookPath("podman")
	if err != nil {
		t.Fatalf("runtimetest: podman not found (install Debian's podman package: make test-deps): %v", err)
	}
	if _, err := exec.LookPath("conmon"); err != nil {
		t.Fatalf("runtimetest: conmon not found (install Debian's conmon package: make test-deps): %v", err)
	}
	imgs := BuildImages(t)
	varLibOnce.Do(func() {
		_, err := os.Lstat(varLibContainers)
		varLibExisted = err == nil
	})

	dir := stateDir(t, "vigil-podman-")
	p := &Podman{
		Dir:           dir,
		Root:          filepath.Join(dir, "root"),
		RunRoot:       filepath.Join(dir, "runroot"),
		TmpDir:        filepath.Join(dir, "tmp"),
		StorageDriver: "overlay",
		Images:        imgs,
		t:             t,
		podman:        podman,
	}
	t.Cleanup(func() {
		removeStateDir(t, dir)
		removeBlobInfoCache(t)
	})
	for _, d := range []string{p.TmpDir, filepath.Join(dir, "net")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("runtimetest: %v", err)
		}
	}
	containersConf := filepath.Join(dir, "containers.conf")
	// No default ulimits: runs pass --ulimit host instead (see Run).
	conf := fmt.Sprintf("[containers]\ndefault_ulimits = []\n\n[engine]\nevents_logger = \"file\"\nevents_logfile_path = %q\n",
		filepath.Join(p.TmpDir, "events.log"))
	if err := os.WriteFile(containersConf, []byte(conf), 0o644); err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	storageConf := filepath.Join(dir, "storage.conf")
	p.env = []string{"CONTAINERS_CONF=" + containersConf, "CONTAINERS_STORAGE_CONF=" + storageConf}
	var infoErr error
	for _, driver := range []string{"overlay", "vfs"} {
		storage := fmt.Sprintf("[storage]\ndriver = %q\ngraphroot = %q\nrunroot = %q\n", driver, p.Root, p.RunRoot)
		if err := os.WriteFile(storageConf, []byte(storage), 0o644); err != nil {
			t.Fatalf("runtimetest: %v", err)
		}
		p.StorageDriver = driver
		p.flags = []string{
			"--root", p.Root, "--runroot", p.RunRoot, "--tmpdir", p.TmpDir,
			"--runtime", runc, "--cgroup-manager", "cgroupfs", "--events-backend", "file",
			"--network-config-dir", filepath.Join(dir, "net"), "--storage-driver", driver,
		}
		if _, infoErr = p.Podman("info"); infoErr == nil {
			break
		}
		if driver == "overlay" {
			t.Logf("runtimetest: podman's overlay storage driver does not work here, using vfs: %v", infoErr)
			removeStateDir(t, p.Root)
		}
	}
	if infoErr != nil {
		t.Fatalf("runtimetest: %v", infoErr)
	}
	t.Cleanup(p.removeAll)
	if _, err := p.Podman("load", "--quiet", "--input", imgs.Busybox.Archive); err != nil {
		t.Fatalf("runtimetest: loading %s: %v", imgs.Busybox.Ref, err)
	}
	return p
}

// Podman runs podman with this instance's flags and configuration and
// returns its standard output; the error names the command and carries
// its standard error.
func (p *Podman) Podman(args ...string) (string, error) {
	return command(p.env, p.podman, append(append([]string{}, p.flags...), args...)...)
}

// Run runs a container from o.Image (BusyboxRef by default) with
// `podman run` on the host network, with the podman process's resource
// limits (--ulimit host: without CAP_SYS_RESOURCE, as in some sandboxes,
// podman's default limits for root cannot be set), and returns once its
// first process exists (it may already have exited). Its cgroup is
// /libpod_parent/libpod-ID. The container is removed when the test ends.
func (p *Podman) Run(t testing.TB, o Options) *Task {
	t.Helper()
	o.defaults(t)
	k := newTask(t, o, "")
	pidFile := filepath.Join(k.dir, "pid")
	args := append(append([]string{}, p.flags...), "run", "--name", o.ID, "--pidfile", pidFile,
		"--network", "host", "--pull", "never", "--ulimit", "host")
	for _, e := range o.Env {
		args = append(args, "--env", e)
	}
	k.kill = func() error {
		_, err := p.Podman("kill", "--signal", "KILL", o.ID)
		return err
	}
	t.Cleanup(func() {
		if _, err := p.Podman("rm", "--force", "--time", "0", o.ID); err != nil && !strings.Contains(err.Error(), "no such container") {
			t.Errorf("runtimetest: %v", err)
		}
		k.waitClient(10 * time.Second)
	})
	if o.Detach {
		args = append(append(append(args, "--detach"), o.Image), o.Args...)
		if _, err := command(p.env, p.podman, args...); err != nil {
			t.Fatalf("runtimetest: %v", err)
		}
		pid, ok := readPID(pidFile)
		if !ok {
			t.Fatalf("runtimetest: podman run --detach %s wrote no pid to %s", o.ID, pidFile)
		}
		k.PID = pid
		k.waitDetached = func(timeout time.Duration) (int, error) { return p.wait(o.ID, timeout) }
		k.logs = func() (string, string) {
			cmd := exec.Command(p.podman, append(append([]string{}, p.flags...), "logs", o.ID)...)
			cmd.Env = append(os.Environ(), p.env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				return stdout.String(), fmt.Sprintf("%q: %v: %s", cmd.Args, err, stderr.String())
			}
			return stdout.String(), stderr.String()
		}
	} else {
		k.start(p.podman, p.env, append(append(args, o.Image), o.Args...), pidFile)
	}
	id, err := p.Podman("inspect", "--type", "container", "--format", "{{.Id}}", o.ID)
	if err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	k.ID = strings.TrimSpace(id)
	return k
}

// wait runs `podman wait`, which prints the container's exit code.
func (p *Podman) wait(name string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.podman, append(append([]string{}, p.flags...), "wait", name)...)
	cmd.Env = append(os.Environ(), p.env...)
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return -1, fmt.Errorf("container %s still running after %v", name, timeout)
		}
		return -1, fmt.Errorf("%q: %v: %s", cmd.Args, err, stderrOf(err))
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// removeAll removes every container of this instance's.
func (p *Podman) removeAll() {
	if _, err := p.Podman("rm", "--all", "--force", "--time", "0"); err != nil {
		p.t.Errorf("runtimetest: %v", err)
	}
}

// removeBlobInfoCache removes /var/lib/containers if this process's
// podman made it (it did not exist before) and it holds nothing but the
// blob info cache.
func removeBlobInfoCache(t testing.TB) {
	if varLibExisted {
		return
	}
	var other []string
	filepath.WalkDir(varLibContainers, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != filepath.Join(varLibContainers, "cache", "blob-info-cache-v1.boltdb") {
			other = append(other, path)
		}
		return nil
	})
	if len(other) > 0 {
		t.Logf("runtimetest: leaving %s, which holds %q", varLibContainers, other)
		return
	}
	os.RemoveAll(varLibContainers)
}

// Service starts podman's Docker-compatible API service (`podman system
// service`) on a socket in Dir, with this instance's flags, and returns
// the socket's path once it answers; the service is stopped when the test
// ends.
func (p *Podman) Service(t testing.TB) string {
	t.Helper()
	sock := filepath.Join(p.Dir, "podman.sock")
	cmd := exec.Command(p.podman, append(append([]string{}, p.flags...), "system", "service", "--time", "0", "unix://"+sock)...)
	cmd.Env = append(os.Environ(), p.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("runtimetest: starting podman system service: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return sock
		}
		select {
		case <-done:
			t.Fatalf("runtimetest: podman system service exited: %s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("runtimetest: podman system service: no socket within 20s: %s", stderr.String())
		}
	}
}
