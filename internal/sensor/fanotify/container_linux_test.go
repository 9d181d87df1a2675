//go:build linux

package fanotify

import (
	"bufio"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// TestRuncContainer does each operation inside a runc container (rootfs: a
// plain directory on the host's filesystem) and checks that the record has
// the path as the container sees it and the process's host pid.
func TestRuncContainer(t *testing.T) {
	ctr := runctest.Start(t, runctest.Options{})
	marker := fmt.Sprintf("vgl%d", time.Now().UnixNano()%1e9)
	keep := func(r *record.Record) bool {
		return strings.Contains(r.File.Path, marker) || strings.Contains(r.File.NewPath, marker) ||
			strings.HasSuffix(r.File.Path, "/etc/shadow")
	}
	// A file of the image, in a directory of DefaultWriteDirs.
	conf := "/etc/" + marker + ".conf"
	if err := os.WriteFile(filepath.Join(ctr.Rootfs, conf), []byte("a=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := watch(t, Config{SensitivePaths: []string{"/etc/shadow"}, WriteDirs: append([]string{"/tmp"}, DefaultWriteDirs...)}, keep)
	if err := c.w.AddContainer(uint32(ctr.PID())); err != nil {
		t.Fatal(err)
	}
	exec := func(t *testing.T, args ...string) uint32 {
		t.Helper()
		p := ctr.StartExec(args...)
		if code := p.Wait(); code != 0 {
			t.Fatalf("%q in the container: exit %d: %s", args, code, p.Stderr())
		}
		return uint32(p.PID())
	}
	f, g := "/tmp/"+marker+"-f", "/tmp/"+marker+"-g"

	t.Run("create", func(t *testing.T) {
		pid := exec(t, "sh", "-c", "echo hi > "+f)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid})
		if r.File.Flags&unix.O_CREAT == 0 {
			t.Errorf("flags %#o, want O_CREAT", r.File.Flags)
		}
	})
	t.Run("write", func(t *testing.T) {
		pid := exec(t, "sh", "-c", "echo more >> "+f)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid})
		if r.File.Flags != unix.O_WRONLY {
			t.Errorf("flags %#o, want O_WRONLY", r.File.Flags)
		}
	})
	t.Run("write in /etc", func(t *testing.T) {
		pid := exec(t, "sh", "-c", "echo b=2 >> "+conf)
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: conf, pid: pid})
	})
	t.Run("chmod", func(t *testing.T) {
		pid := exec(t, "chmod", "755", f)
		r := c.expect(t, fileRecord{kind: record.KindChmod, op: record.OpChmod, path: f, pid: pid})
		if r.File.Mode != 0o755 {
			t.Errorf("mode %#o, want 0755", r.File.Mode)
		}
	})
	t.Run("rename", func(t *testing.T) {
		pid := exec(t, "mv", f, g)
		c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: f, newPath: g, pid: pid})
	})
	t.Run("unlink", func(t *testing.T) {
		pid := exec(t, "rm", g)
		c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpUnlink, path: g, pid: pid})
	})
	t.Run("rmdir", func(t *testing.T) {
		d := "/tmp/" + marker + "-d"
		exec(t, "mkdir", d)
		pid := exec(t, "rmdir", d)
		c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpRmdir, path: d, pid: pid})
	})
	t.Run("sensitive read", func(t *testing.T) {
		pid := exec(t, "cat", "/etc/shadow")
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/etc/shadow", pid: pid})
		if r.File.Flags != unix.O_RDONLY {
			t.Errorf("flags %#o, want O_RDONLY", r.File.Flags)
		}
	})
	t.Run("host process in the rootfs", func(t *testing.T) {
		// A host process writing into the container's rootfs sees, and
		// is reported with, the host's path (it is still running when
		// the event is read).
		p := filepath.Join(ctr.Rootfs, "tmp", marker+"-h")
		pid, stop := start(t, "create-wait", p)
		defer stop()
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: p, pid: pid})
	})
	t.Run("host process reads the rootfs's sensitive file", func(t *testing.T) {
		p := filepath.Join(ctr.Rootfs, "etc", "shadow")
		pid := run(t, "read", p)
		// The host's path; or, when the process was gone before its
		// event was read, the container's with the host's in HostPath.
		c.wait(t, "read "+p, func(r *record.Record) bool {
			return r.TGID == pid && r.Kind == record.KindOpen && (r.File.Path == p || r.File.Path == "/etc/shadow" && r.File.HostPath == p)
		})
	})
	t.Run("remove", func(t *testing.T) {
		before := c.w.Stats().WriteDirs
		if err := c.w.RemoveContainer(uint32(ctr.PID())); err != nil {
			t.Fatal(err)
		}
		// The rootfs's /tmp, /etc, /bin, ... are the container's only.
		if after := c.w.Stats().WriteDirs; after+3 > before {
			t.Errorf("Stats.WriteDirs %d after RemoveContainer, %d before", after, before)
		}
		// Their marks are gone: the host's write of the image's file is
		// not reported.
		pid := run(t, "write", filepath.Join(ctr.Rootfs, conf))
		bdir := filepath.Join(ctr.Rootfs, "tmp", marker+"-barrier")
		if err := os.Mkdir(bdir, 0o755); err != nil {
			t.Fatal(err)
		}
		c.none(t, bdir, pid, "a write in a removed container's /etc")
		if err := c.w.RemoveContainer(uint32(ctr.PID())); err == nil {
			t.Error("second RemoveContainer succeeded")
		}
	})
}

// TestMountNS checks that Config.MountNS tells an exited host process
// from the container's processes, and that without its answer the record
// has the container's path and the host's.
func TestMountNS(t *testing.T) {
	ctr := runctest.Start(t, runctest.Options{})
	marker := fmt.Sprintf("vgl%d", time.Now().UnixNano()%1e9)
	hostNS, err := nsOf(uint32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	var hostPID atomic.Uint32
	// Events are read 300 ms after the first one: the processes have
	// exited and been reaped by then.
	cfg := Config{SensitivePaths: []string{}, Batch: 300 * time.Millisecond, MountNS: func(pid uint32) (uint64, bool) {
		return hostNS, pid == hostPID.Load()
	}}
	c := watch(t, cfg, func(r *record.Record) bool { return strings.Contains(r.File.Path, marker) })
	if err := c.w.AddContainer(uint32(ctr.PID())); err != nil {
		t.Fatal(err)
	}
	// The watcher reads the event after the process has exited: only
	// MountNS knows it was the host's.
	p := filepath.Join(ctr.Rootfs, "tmp", marker+"-h")
	cmd := exec.Command(os.Args[0], p)
	cmd.Env = append(os.Environ(), actionEnv+"=create")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hostPID.Store(uint32(cmd.Process.Pid))
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: p, pid: uint32(cmd.Process.Pid)})
	if r.File.HostPath != "" {
		t.Errorf("HostPath %q for a process MountNS placed", r.File.HostPath)
	}

	// A process neither MountNS nor /proc knows: the container's path,
	// and the host's for the consumer to choose.
	p = filepath.Join(ctr.Rootfs, "tmp", marker+"-u")
	cmd = exec.Command(os.Args[0], p)
	cmd.Env = append(os.Environ(), actionEnv+"=create")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	r = c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/tmp/" + marker + "-u", pid: uint32(cmd.Process.Pid)})
	if r.File.HostPath != p {
		t.Errorf("HostPath %q, want %q", r.File.HostPath, p)
	}
}

// TestAddContainerErrors checks AddContainer's errors.
func TestAddContainerErrors(t *testing.T) {
	runctest.RequireRoot(t)
	w, err := Open(Config{Paths: []string{}, SensitivePaths: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, tc := range []struct {
		pid  uint32
		want string
	}{
		{0, "container pid 0"},
		{1 << 30, "no such file or directory"},
		{uint32(os.Getpid()), "in the host's mount namespace"},
	} {
		err := w.AddContainer(tc.pid)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddContainer(%d): %v, want %q", tc.pid, err, tc.want)
		}
	}
}

// ovlContainer is a process in its own mount namespace whose root is an
// overlay: what a container runtime builds, without the runtime.
type ovlContainer struct {
	cmd   *exec.Cmd
	in    *bufio.Writer
	out   *bufio.Scanner
	upper string
}

func startOverlay(t *testing.T, nfsExport bool) *ovlContainer {
	t.Helper()
	runctest.RequireRoot(t)
	base := t.TempDir()
	lower, upper, work, merged := filepath.Join(base, "lower"), filepath.Join(base, "upper"), filepath.Join(base, "work"), filepath.Join(base, "merged")
	for _, d := range []string{lower, upper, work, merged, lower + "/.oldroot", lower + "/etc", lower + "/tmp", lower + "/ldir"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string]string{"/etc/shadow": "root:*:1::::::\n", "/lowfile": "low\n", "/lowfile2": "low\n"} {
		if err := os.WriteFile(lower+name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nfs := "0"
	if nfsExport {
		nfs = "1"
	}
	cmd := exec.Command(os.Args[0], lower, upper, work, merged, nfs)
	cmd.Env = append(os.Environ(), actionEnv+"=ovl")
	cmd.SysProcAttr = &unix.SysProcAttr{Unshareflags: unix.CLONE_NEWNS}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	o := &ovlContainer{cmd: cmd, in: bufio.NewWriter(stdin), out: bufio.NewScanner(stdout), upper: upper}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	if !o.out.Scan() || o.out.Text() != "ready" {
		t.Fatalf("overlay container did not start: %q %v", o.out.Text(), o.out.Err())
	}
	return o
}

func (o *ovlContainer) pid() uint32 { return uint32(o.cmd.Process.Pid) }

// do runs one action inside the container.
func (o *ovlContainer) do(t *testing.T, args ...string) {
	t.Helper()
	fmt.Fprintln(o.in, strings.Join(args, " "))
	o.in.Flush()
	if !o.out.Scan() {
		t.Fatalf("%q: container gone: %v", args, o.out.Err())
	}
	if o.out.Text() != "ok" {
		t.Fatalf("%q in the container: %s", args, o.out.Text())
	}
}

// TestOverlayContainer does each operation in a container whose root is
// an overlay, in the two ways the watcher can see it: through the upper
// directory's filesystem (runtimes' default mount options) and through
// the overlay itself (nfs_export=on).
func TestOverlayContainer(t *testing.T) {
	for _, tc := range []struct {
		name      string
		nfsExport bool
	}{{"upper", false}, {"nfs_export", true}} {
		t.Run(tc.name, func(t *testing.T) {
			o := startOverlay(t, tc.nfsExport)
			pid := o.pid()
			// Records of the container's process only: the host's view
			// of the same files must not be reported.
			c := watch(t, Config{SensitivePaths: []string{"/etc/shadow"}, WriteDirs: []string{"/", "/tmp"}}, func(r *record.Record) bool { return r.TGID == pid })
			if err := c.w.AddContainer(pid); err != nil {
				t.Fatal(err)
			}
			c.w.mu.Lock()
			marked := false
			if ctr := c.w.containers[pid]; ctr != nil {
				for _, fs := range ctr.owned {
					marked = marked || fs.marked
				}
			}
			c.w.mu.Unlock()
			if marked != tc.nfsExport {
				t.Errorf("overlay marked itself: %v, want %v", marked, tc.nfsExport)
			}
			steps := []struct {
				args []string
				want fileRecord
			}{
				{[]string{"create", "/tmp/f"}, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/tmp/f"}},
				{[]string{"write", "/tmp/f"}, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/tmp/f"}},
				{[]string{"chmod", "/tmp/f", "755"}, fileRecord{kind: record.KindChmod, op: record.OpChmod, path: "/tmp/f"}},
				{[]string{"rename", "/tmp/f", "/tmp/g"}, fileRecord{kind: record.KindRename, op: record.OpRename, path: "/tmp/f", newPath: "/tmp/g"}},
				{[]string{"unlink", "/tmp/g"}, fileRecord{kind: record.KindUnlink, op: record.OpUnlink, path: "/tmp/g"}},
				{[]string{"write", "/lowfile"}, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/lowfile"}},
				{[]string{"unlink", "/lowfile2"}, fileRecord{kind: record.KindUnlink, op: record.OpUnlink, path: "/lowfile2"}},
				{[]string{"read", "/etc/shadow"}, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: "/etc/shadow"}},
			}
			for _, s := range steps {
				o.do(t, s.args...)
				s.want.pid = pid
				r := c.expect(t, s.want)
				if s.args[0] == "read" && r.File.Flags != unix.O_RDONLY {
					t.Errorf("read: flags %#o", r.File.Flags)
				}
			}
			o.do(t, "mkdir", "/tmp/d")
			o.do(t, "rmdir", "/tmp/d")
			c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpRmdir, path: "/tmp/d", pid: pid})
			if tc.nfsExport {
				o.do(t, "rmdir", "/ldir")
				c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpRmdir, path: "/ldir", pid: pid})
			}
			for _, r := range c.all(func(*record.Record) bool { return true }) {
				if strings.HasPrefix(r.File.Path, o.upper) || strings.Contains(r.File.Path, "/work/") || strings.HasPrefix(r.File.Path, "/tmp/Test") {
					t.Errorf("a host path or overlay internals reported: %s", describe(&r))
				}
			}
			if t.Failed() {
				t.Logf("records:\n%s", c.dump())
			}
		})
	}
}

// TestHostMountNotPinned bind-mounts into a container a tmpfs the host
// mounted (as podman does a container's /dev/shm): the watcher reports its
// files with the container's path without keeping the host from
// unmounting it once the container is done, even before RemoveContainer.
func TestHostMountNotPinned(t *testing.T) {
	shm := t.TempDir()
	if err := unix.Mount("vigil-shm", shm, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	mounted := true
	defer func() {
		if mounted {
			unix.Unmount(shm, unix.MNT_DETACH)
		}
	}()
	ctr := runctest.Start(t, runctest.Options{Mounts: []runctest.Mount{{Destination: "/dev/shm", Type: "bind", Source: shm, Options: []string{"rbind", "rw"}}}})
	marker := fmt.Sprintf("vgl%d", time.Now().UnixNano()%1e9)
	c := watch(t, Config{}, func(r *record.Record) bool { return strings.Contains(r.File.Path, marker) })
	if err := c.w.AddContainer(uint32(ctr.PID())); err != nil {
		t.Fatal(err)
	}
	f := "/dev/shm/" + marker
	p := ctr.StartExec("sh", "-c", "echo hi > "+f)
	if code := p.Wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, p.Stderr())
	}
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: uint32(p.PID())})
	ctr.Kill()
	ctr.Wait(10 * time.Second)
	if err := unix.Unmount(shm, 0); err != nil {
		t.Fatalf("the host cannot unmount the container's tmpfs while the watcher watches it: %v", err)
	}
	mounted = false
	// Removing the container releases the filesystem.
	if err := c.w.RemoveContainer(uint32(ctr.PID())); err != nil {
		t.Fatal(err)
	}
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	for _, fs := range c.w.fss {
		if fs.forViews {
			t.Errorf("filesystem %x (dev %d) still registered after RemoveContainer", fs.fsid, fs.dev)
		}
	}
}

// TestImageLayerSensitive reads a sensitive file in containers the watcher
// was never told of: one on a rootfs laid out on the host after the
// watcher started, one on an image layer that was there before (found by
// Config.ImageLayers). Each read is reported, with the host's path.
func TestImageLayerSensitive(t *testing.T) {
	layers := t.TempDir()
	before := filepath.Join(layers, "1", "fs")
	runctest.BuildRootfs(t, before)
	template := filepath.Join(t.TempDir(), "template")
	runctest.BuildRootfs(t, template)
	c := watch(t, Config{ImageLayers: []string{layers + "/*/fs"}}, func(r *record.Record) bool {
		return strings.HasSuffix(r.File.Path, "/etc/shadow")
	})
	for _, tc := range []struct {
		name   string
		rootfs string
	}{
		{"image layer scanned at start", before},
		{"rootfs made later", filepath.Join(t.TempDir(), "later")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.rootfs != before {
				// By another process: the watcher ignores its own.
				if out, err := exec.Command("cp", "-a", template, tc.rootfs).CombinedOutput(); err != nil {
					t.Fatalf("cp: %v: %s", err, out)
				}
			}
			ctr := runctest.Start(t, runctest.Options{Args: []string{"cat", "/etc/shadow"}, Rootfs: tc.rootfs})
			if code := ctr.Wait(10 * time.Second); code != 0 {
				t.Fatalf("exit %d: %s", code, ctr.Stderr())
			}
			want := filepath.Join(tc.rootfs, "etc", "shadow")
			c.wait(t, "read of "+want, func(r *record.Record) bool {
				return r.Kind == record.KindOpen && r.File.Path == want && r.File.Flags == unix.O_RDONLY
			})
		})
	}
}
