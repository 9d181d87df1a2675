//go:build linux && amd64

package kernel

import (
	"flag"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestHooks(t *testing.T) {
	h := sensorHub(t)
	kinds := map[string]Hook{}
	for _, hk := range h.s.Hooks() {
		t.Logf("%s %s active=%v err=%v", hk.Kind, hk.Name, hk.Active, hk.Err)
		if hk.Active {
			if hk.Kind != HookTPBTF {
				t.Errorf("%s attached as %s, want tp_btf", hk.Name, hk.Kind)
			}
			kinds[hk.Name] = hk
		} else {
			kinds[hk.Kind] = hk
		}
	}
	for _, n := range []string{"sys_exit", "sched_process_exec", "sched_process_fork", "sched_process_exit"} {
		if !kinds[n].Active {
			t.Errorf("%s not active", n)
		}
	}
	for _, k := range []string{HookFentry, HookLSM} {
		if hk, ok := kinds[k]; !ok || hk.Err == nil {
			t.Errorf("%s should be reported unavailable on this kernel, got %+v", k, hk)
		}
	}
}

func TestExec(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	exe, _ := filepath.EvalSymlinks("/bin/busybox")
	cmd := exec.Command("/bin/busybox", "echo", "hello", "two words")
	cmd.Dir = dir
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	r := h.wait(t, "exec", func(r *Record) bool { return r.Kind == KindExec && r.TGID == pid })
	e := r.Exec
	if want := []string{"/bin/busybox", "echo", "hello", "two words"}; !slices.Equal(e.Args, want) {
		t.Errorf("args %q, want %q", e.Args, want)
	}
	if e.Filename != "/bin/busybox" || e.ExePath != exe || e.Cwd != dir {
		t.Errorf("filename %q exe %q cwd %q, want /bin/busybox %q %q", e.Filename, e.ExePath, e.Cwd, exe, dir)
	}
	var st unix.Stat_t
	if err := unix.Stat(exe, &st); err != nil {
		t.Fatal(err)
	}
	if e.Inode != st.Ino || e.Dev != st.Dev || e.Nlink != uint32(st.Nlink) || e.Mode != st.Mode {
		t.Errorf("exe inode %d dev %d nlink %d mode %o, stat says %d %d %d %o", e.Inode, e.Dev, e.Nlink, e.Mode, st.Ino, st.Dev, st.Nlink, st.Mode)
	}
	if e.MTime.UnixNano() != st.Mtim.Nano() || e.CTime.UnixNano() != st.Ctim.Nano() {
		t.Errorf("exe mtime %v ctime %v, stat says %v %v", e.MTime, e.CTime, st.Mtim, st.Ctim)
	}
	if e.Memfd || e.Deleted || e.ArgsTruncated || e.PathTruncated {
		t.Errorf("unexpected flags %+v", e)
	}
	if r.PPID != uint32(os.Getpid()) || r.Comm != "busybox" || r.UID != 0 || r.MntNS == 0 || r.PidNS == 0 || r.NetNS == 0 || r.CgroupID == 0 {
		t.Errorf("header %+v", r)
	}
}

func TestExecRelative(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	data, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "true"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := &exec.Cmd{Path: "./true", Args: []string{"./true"}, Dir: dir}
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	r := h.wait(t, "exec", func(r *Record) bool { return r.Kind == KindExec && r.TGID == pid })
	if r.Exec.Filename != "./true" || r.Exec.ExePath != filepath.Join(dir, "true") || r.Exec.Cwd != dir {
		t.Errorf("relative exec: %+v", r.Exec)
	}
}

func TestForkExit(t *testing.T) {
	h := sensorHub(t)
	cmd := exec.Command("/bin/busybox", "sh", "-c", "/bin/busybox true; exit 7")
	if err := cmd.Run(); err == nil {
		t.Fatal("want exit status 7")
	}
	pid := uint32(cmd.Process.Pid)
	f := h.wait(t, "fork", func(r *Record) bool { return r.Kind == KindFork && r.TGID == pid })
	child := f.Fork.ChildTGID
	h.wait(t, "child exec", func(r *Record) bool { return r.Kind == KindExec && r.TGID == child })
	h.wait(t, "child exit", func(r *Record) bool { return r.Kind == KindExit && r.TGID == child && r.Exit.Code == 0 })
	x := h.wait(t, "exit", func(r *Record) bool { return r.Kind == KindExit && r.TGID == pid })
	if x.Exit.Code != 7 || x.Exit.Signal != 0 {
		t.Errorf("exit %+v, want code 7", x.Exit)
	}
}

func TestOpenWriteRelative(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "write-rel").Process.Pid)
	want := filepath.Join(dir, "sub", "out.txt")
	r := h.wait(t, "open", func(r *Record) bool { return r.Kind == KindOpen && r.TGID == pid })
	f := r.File
	if f.Path != want || !f.FromFD || !f.Write() || f.Flags&unix.O_CREAT == 0 || r.Ret < 0 || f.FD != int32(r.Ret) || f.Inode == 0 {
		t.Errorf("open %+v ret %d, want path %s", f, r.Ret, want)
	}
}

func TestOpenRepeatSuppressed(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	before := h.s.Stats().Suppressed[KindOpen]
	pid := uint32(action(t, dir, "write-twice").Process.Pid)
	h.wait(t, "chmod", func(r *Record) bool { return r.Kind == KindChmod && r.TGID == pid })
	opens := h.all(func(r *Record) bool { return r.Kind == KindOpen && r.TGID == pid })
	if len(opens) != 1 || opens[0].File.Path != filepath.Join(dir, "w.txt") {
		t.Errorf("%d open records, want the first of two", len(opens))
	}
	if after := h.s.Stats().Suppressed[KindOpen]; after < before+1 {
		t.Errorf("suppressed opens %d -> %d, want one more", before, after)
	}
}

func TestOpenSensitive(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	if err := os.WriteFile(filepath.Join(dir, "ordinary.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := uint32(action(t, dir, "read", "/etc/shadow").Process.Pid)
	r := h.wait(t, "open of /etc/shadow", func(r *Record) bool {
		return r.Kind == KindOpen && r.TGID == pid && r.File.Path == "/etc/shadow"
	})
	if r.File.Write() || r.Ret < 0 {
		t.Errorf("shadow open %+v", r.File)
	}
	if rs := h.all(func(r *Record) bool { return r.Kind == KindOpen && r.TGID == pid && r.File.Path != "/etc/shadow" }); len(rs) > 0 {
		t.Errorf("read-only opens of ordinary files reported: %+v", rs[0].File)
	}
}

func TestFileOps(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "fileops").Process.Pid)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	r := h.wait(t, "rename", func(r *Record) bool { return r.Kind == KindRename && r.TGID == pid })
	if r.File.Path != a || r.File.NewPath != b || r.Ret != 0 {
		t.Errorf("rename %+v", r.File)
	}
	r = h.wait(t, "chmod", func(r *Record) bool { return r.Kind == KindChmod && r.TGID == pid })
	if r.File.Path != b || r.File.Mode != 0o755 || r.File.Op != OpChmod {
		t.Errorf("chmod %+v (a chmod without an execute bit must not be reported)", r.File)
	}
	r = h.wait(t, "unlink", func(r *Record) bool { return r.Kind == KindUnlink && r.TGID == pid })
	if r.File.Path != b || r.File.Op != OpUnlink {
		t.Errorf("unlink %+v", r.File)
	}
}

func TestNet(t *testing.T) {
	h := sensorHub(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), actionEnv+"=net")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	lnAddr, cAddr := netip.MustParseAddrPort(f[0]), netip.MustParseAddrPort(f[1])
	pid := uint32(cmd.Process.Pid)
	r := h.wait(t, "bind", func(r *Record) bool { return r.Kind == KindBind && r.TGID == pid && r.Net.Family == unix.AF_INET })
	if r.Net.Family != unix.AF_INET || r.Net.Local != netip.MustParseAddrPort("127.0.0.1:0") || r.Ret != 0 {
		t.Errorf("bind %+v", r.Net)
	}
	r = h.wait(t, "listen", func(r *Record) bool { return r.Kind == KindListen && r.TGID == pid })
	if r.Net.Local != lnAddr || r.Net.SockType != unix.SOCK_STREAM {
		t.Errorf("listen %+v, want local %v", r.Net, lnAddr)
	}
	r = h.wait(t, "connect", func(r *Record) bool { return r.Kind == KindConnect && r.TGID == pid && r.Net.Family == unix.AF_INET })
	if r.Net.Remote != lnAddr || (r.Ret != 0 && r.Ret != -int64(unix.EINPROGRESS)) {
		t.Errorf("connect %+v ret %d, want remote %v", r.Net, r.Ret, lnAddr)
	}
	r = h.wait(t, "accept", func(r *Record) bool { return r.Kind == KindAccept && r.TGID == pid })
	if r.Net.Remote != cAddr || r.Net.Local != lnAddr || r.Net.NewFD != int32(r.Ret) {
		t.Errorf("accept %+v, want peer %v", r.Net, cAddr)
	}
}

func TestReverseShell(t *testing.T) {
	h := sensorHub(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.Close()
		}
	}()
	lnAddr := netip.MustParseAddrPort(ln.Addr().String())
	pid := uint32(action(t, "", "revshell", lnAddr.String()).Process.Pid)
	for _, fd := range []int32{0, 1} {
		r := h.wait(t, "dup", func(r *Record) bool { return r.Kind == KindDup && r.TGID == pid && r.Net.NewFD == fd })
		if r.Net.Remote != lnAddr {
			t.Errorf("dup onto %d: %+v", fd, r.Net)
		}
	}
	r := h.wait(t, "exec", func(r *Record) bool { return r.Kind == KindExec && r.TGID == pid && r.Exec.Args[0] == "sh" })
	for _, fd := range []int{0, 1} {
		s := r.Exec.Stdio[fd]
		if s.Type != FDSocket || s.Family != unix.AF_INET || s.Remote != lnAddr {
			t.Errorf("stdio %d = %+v, want a socket to %v", fd, s, lnAddr)
		}
	}
	if r.Exec.Stdio[2].Type == FDSocket {
		t.Errorf("stderr %+v", r.Exec.Stdio[2])
	}
}

func TestPtrace(t *testing.T) {
	h := sensorHub(t)
	target := exec.Command("/bin/busybox", "sleep", "30")
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { target.Process.Kill(); target.Wait() }()
	tpid := target.Process.Pid
	pid := uint32(action(t, "", "ptrace", strconv.Itoa(tpid)).Process.Pid)
	r := h.wait(t, "ptrace", func(r *Record) bool { return r.Kind == KindPtrace && r.TGID == pid })
	if r.Ptrace.Request != unix.PTRACE_ATTACH || r.Ptrace.PID != int32(tpid) || r.Ret != 0 {
		t.Errorf("ptrace %+v ret %d", r.Ptrace, r.Ret)
	}
}

func TestMemfdExec(t *testing.T) {
	h := sensorHub(t)
	pid := uint32(action(t, "", "memfd").Process.Pid)
	m := h.wait(t, "memfd", func(r *Record) bool { return r.Kind == KindMemfd && r.TGID == pid })
	if m.Memfd.Name != "vigiltest" || m.Ret < 0 {
		t.Errorf("memfd %+v", m.Memfd)
	}
	r := h.wait(t, "exec", func(r *Record) bool { return r.Kind == KindExec && r.TGID == pid && r.Exec.Args[0] == "true" })
	e := r.Exec
	if !e.Memfd || !e.Deleted || e.ExePath != "/memfd:vigiltest (deleted)" || e.Nlink != 0 {
		t.Errorf("exec from memfd: %+v", e)
	}
	if want := "/proc/self/fd/" + strconv.Itoa(int(m.Ret)); e.Filename != want {
		t.Errorf("filename %q, want %q", e.Filename, want)
	}
}

func TestSetuid(t *testing.T) {
	h := sensorHub(t)
	pid := uint32(action(t, "", "setuid").Process.Pid)
	r := h.wait(t, "setuid", func(r *Record) bool { return r.Kind == KindSetID && r.TGID == pid })
	if r.Syscall.String() != "setuid" || r.SetID.Effective != 65534 || r.SetID.Group || r.Ret != 0 || r.UID != 65534 || r.EUID != 65534 {
		t.Errorf("setuid %+v header uid %d euid %d", r.SetID, r.UID, r.EUID)
	}
}

func TestUnshareSetns(t *testing.T) {
	h := sensorHub(t)
	pid := uint32(action(t, "", "unshare").Process.Pid)
	r := h.wait(t, "unshare", func(r *Record) bool { return r.Kind == KindUnshare && r.TGID == pid })
	if r.Unshare.Flags != unix.CLONE_NEWUTS || r.Ret != 0 {
		t.Errorf("unshare %+v", r.Unshare)
	}
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
		t.Fatal(err)
	}
	r = h.wait(t, "setns", func(r *Record) bool { return r.Kind == KindSetns && r.TGID == pid })
	if r.Setns.NSType != unix.CLONE_NEWNET || r.Setns.NSInode != st.Ino || r.NetNS != uint32(st.Ino) {
		t.Errorf("setns %+v, want inode %d", r.Setns, st.Ino)
	}
}

func TestMount(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "mount").Process.Pid)
	r := h.wait(t, "mount", func(r *Record) bool { return r.Kind == KindMount && r.TGID == pid && r.Mount.FSType == "tmpfs" })
	m := r.Mount
	if m.Source != "vigiltest" || m.Target != filepath.Join(dir, "mnt") || m.Flags != unix.MS_NOSUID || r.Ret != 0 {
		t.Errorf("mount %+v", m)
	}
}

func TestFinitModule(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "finit").Process.Pid)
	r := h.wait(t, "finit_module", func(r *Record) bool { return r.Kind == KindModule && r.TGID == pid })
	if r.Module.Path != filepath.Join(dir, "bad.ko") || r.Ret >= 0 || r.Syscall.String() != "finit_module" {
		t.Errorf("module %+v ret %d", r.Module, r.Ret)
	}
}

func TestBPFProgLoad(t *testing.T) {
	h := sensorHub(t)
	pid := uint32(action(t, "", "bpf").Process.Pid)
	r := h.wait(t, "bpf", func(r *Record) bool { return r.Kind == KindBPF && r.TGID == pid && r.BPF.ProgName == "vigil_test" })
	if r.BPF.ProgType != 1 || r.BPF.InsnCount != 2 || r.Ret < 0 {
		t.Errorf("bpf %+v ret %d", r.BPF, r.Ret)
	}
}

// TestSelfIgnored checks that the sensor's own process never shows up.
func TestSelfIgnored(t *testing.T) {
	h := sensorHub(t)
	dir := realDir(t)
	if err := os.WriteFile(filepath.Join(dir, "self.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/busybox", "true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	h.wait(t, "exit", func(r *Record) bool { return r.Kind == KindExit && r.TGID == pid })
	if rs := h.all(func(r *Record) bool { return r.TGID == uint32(os.Getpid()) }); len(rs) > 0 {
		t.Errorf("record of the sensor's own process: %+v", rs[0])
	}
}

// TestRawTP checks the raw_tp fallback programs load and report.
func TestRawTP(t *testing.T) {
	needRoot(t)
	s, err := Open(Config{ForceRawTP: true, RingBufferBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, hk := range s.Hooks() {
		if hk.Active && hk.Kind != HookRawTP {
			t.Errorf("%s attached as %s", hk.Name, hk.Kind)
		}
	}
	cmd := exec.Command("/bin/busybox", "true", "raw")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	var r Record
	for {
		if err := s.Read(&r); err != nil {
			t.Fatal(err)
		}
		if r.Kind == KindExec && r.TGID == pid {
			break
		}
	}
	if !slices.Equal(r.Exec.Args, []string{"/bin/busybox", "true", "raw"}) {
		t.Errorf("args %q", r.Exec.Args)
	}
	s.Close()
	if err := s.Read(&r); err != ErrClosed {
		t.Errorf("Read after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

var capture = flag.Bool("capture", false, "save one raw record of each kind under testdata/records")

// TestZCapture runs after the other tests and, with -capture, saves the
// raw records they produced as seeds for FuzzDecode and TestDecodeSamples.
func TestZCapture(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to refresh testdata/records")
	}
	h := sensorHub(t)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := os.MkdirAll("testdata/records", 0o755); err != nil {
		t.Fatal(err)
	}
	for k, b := range h.raw {
		if err := os.WriteFile(filepath.Join("testdata/records", k.String()+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("saved %d records", len(h.raw))
}
