//go:build linux && amd64

package kernel

import (
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// run runs a command, failing the test if it fails: what the sensor's own
// process does is not reported.
func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

// testCgroup makes a cgroup named name under a hierarchy's mount point and
// removes it when the test ends.
func testCgroup(t *testing.T, mount, name string) (dir string, id uint64) {
	t.Helper()
	dir = filepath.Join(mount, name)
	run(t, "mkdir", dir)
	t.Cleanup(func() { os.Remove(dir) })
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	return dir, st.Ino
}

// pidsV1 returns the mount point and hierarchy id of the pids controller's
// cgroup v1 hierarchy, or "" where the controller is on cgroup v2.
func pidsV1(t *testing.T) (string, uint32) {
	t.Helper()
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.SplitN(l, ":", 3)
		if len(f) == 3 && f[0] != "0" && strings.Contains(","+f[1]+",", ",pids,") {
			id, _ := strconv.ParseUint(f[0], 10, 32)
			return "/sys/fs/cgroup/" + f[1], uint32(id)
		}
	}
	return "", 0
}

// TestCgroupAttribution moves a process into cgroups of its own and checks
// what the kernel says: the cgroups made, the process moved, its exec's
// cgroup paths in both hierarchies, and the cgroups removed.
func TestCgroupAttribution(t *testing.T) {
	h := sensorHub(t)
	root, err := cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("vigil-ktest-%d", os.Getpid())
	parent, _ := testCgroup(t, root, name)
	dir, id := testCgroup(t, parent, "leaf")
	want := "/" + name + "/leaf"
	mk := h.wait(t, "cgroup mkdir", func(r *record.Record) bool {
		return r.Kind == record.KindCgroup && r.Cgroup.Op == record.CgroupMkdir && r.Cgroup.ID == id
	})
	if c := mk.Cgroup; c.Path != want || c.Hierarchy != 0 || c.Level != 2 || c.Truncated || mk.Comm != "mkdir" {
		t.Errorf("mkdir record %+v by %s, want path %q on hierarchy 0 at level 2 by mkdir", c, mk.Comm, want)
	}
	v1mount, v1hier := pidsV1(t)
	var v1dir string
	var v1id uint64
	if v1mount != "" {
		v1dir, v1id = testCgroup(t, v1mount, name)
		mk := h.wait(t, "v1 cgroup mkdir", func(r *record.Record) bool {
			return r.Kind == record.KindCgroup && r.Cgroup.Op == record.CgroupMkdir && r.Cgroup.ID == v1id && r.Cgroup.Hierarchy == v1hier
		})
		if mk.Cgroup.Path != "/"+name {
			t.Errorf("v1 mkdir path %q, want /%s", mk.Cgroup.Path, name)
		}
	}

	// A shell that waits, is moved into the cgroups, then runs a program.
	cmd := exec.Command("/bin/sh", "-c", "read x; exec /bin/true")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	for _, d := range []string{dir, v1dir} {
		if d == "" {
			continue
		}
		run(t, "/bin/sh", "-c", "echo "+strconv.Itoa(pid)+" > "+filepath.Join(d, "cgroup.procs"))
	}
	in.Write([]byte("go\n"))
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	at := h.wait(t, "cgroup attach", func(r *record.Record) bool {
		return r.Kind == record.KindCgroup && r.Cgroup.Op == record.CgroupAttach && r.Cgroup.PID == uint32(pid) && r.Cgroup.Hierarchy == 0
	})
	if at.Cgroup.ID != id || at.Cgroup.Path != want {
		t.Errorf("attach %+v, want id %d path %q", at.Cgroup, id, want)
	}
	x := h.wait(t, "exec in the cgroup", func(r *record.Record) bool {
		return r.Kind == record.KindExec && r.TGID == uint32(pid) && r.Exec.Filename == "/bin/true"
	})
	a := x.Exec.Attr
	if x.CgroupID != id || a.CgroupPath != want || a.Truncated {
		t.Errorf("exec cgroup %d %+v, want %d %q", x.CgroupID, a, id, want)
	}
	if v1mount != "" && (a.V1CgroupPath != "/"+name || a.V1CgroupID != v1id || a.V1Hierarchy != v1hier) {
		t.Errorf("exec v1 cgroup %q id %d hierarchy %d, want /%s %d %d", a.V1CgroupPath, a.V1CgroupID, a.V1Hierarchy, name, v1id, v1hier)
	}
	if v1mount == "" && (a.V1CgroupPath != "" || a.V1CgroupID != 0) {
		t.Errorf("exec v1 cgroup %q id %d where pids is on cgroup v2", a.V1CgroupPath, a.V1CgroupID)
	}
	var st unix.Stat_t
	if err := unix.Stat("/", &st); err != nil {
		t.Fatal(err)
	}
	if a.RootPath != "/" || a.RootDev != st.Dev {
		t.Errorf("exec root %q on %d, want / on %d", a.RootPath, a.RootDev, st.Dev)
	}

	// Removed: the kernel says which id went.
	run(t, "rmdir", dir)
	rm := h.wait(t, "cgroup rmdir", func(r *record.Record) bool {
		return r.Kind == record.KindCgroup && r.Cgroup.Op == record.CgroupRmdir && r.Cgroup.ID == id
	})
	if rm.Cgroup.Path != want {
		t.Errorf("rmdir path %q, want %q", rm.Cgroup.Path, want)
	}
}

// TestForkIntoCgroup starts a process with clone3's CLONE_INTO_CGROUP: its
// fork record names the child's cgroup, not the parent's.
func TestForkIntoCgroup(t *testing.T) {
	h := sensorHub(t)
	root, err := cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	dir, id := testCgroup(t, root, fmt.Sprintf("vigil-ktest-clone-%d", os.Getpid()))
	// By a child: the sensor does not report its own (the test's) forks.
	_, out := actionOut(t, t.TempDir(), "clone-into-cgroup", dir)
	n, err := strconv.ParseUint(strings.TrimSpace(out), 10, 32)
	if err != nil {
		t.Fatalf("clone-into-cgroup printed %q", out)
	}
	pid := uint32(n)
	f := h.wait(t, "fork", func(r *record.Record) bool { return r.Kind == record.KindFork && r.Fork.ChildTGID == pid })
	if f.Fork.ChildCgroupID != id || f.CgroupID == id {
		t.Errorf("fork: child cgroup %d, parent's %d; want the child in %d", f.Fork.ChildCgroupID, f.CgroupID, id)
	}
	x := h.wait(t, "exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == pid })
	if x.CgroupID != id || x.Exec.Attr.CgroupPath != "/"+filepath.Base(dir) {
		t.Errorf("exec cgroup %d %q, want %d /%s", x.CgroupID, x.Exec.Attr.CgroupPath, id, filepath.Base(dir))
	}
}

// TestExecRoot runs a program in a chroot: the exec names the root
// directory within its file system.
func TestExecRoot(t *testing.T) {
	h := sensorHub(t)
	dir := filepath.Join(realDir(t), "root") // as TestChroot's, for the captured chroot sample
	runctest.BuildRootfs(t, dir)
	cmd := exec.Command("/bin/true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: dir}
	cmd.Dir = "/"
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	x := h.wait(t, "exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == pid })
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	a := x.Exec.Attr
	// The temporary directory's path within its file system ends as its
	// path on the host does (the file system may be mounted elsewhere).
	if a.RootDev != st.Dev || !strings.HasSuffix(dir, a.RootPath) || a.RootPath == "/" {
		t.Errorf("exec root %q on %d, want a suffix of %q on %d", a.RootPath, a.RootDev, dir, st.Dev)
	}
}
