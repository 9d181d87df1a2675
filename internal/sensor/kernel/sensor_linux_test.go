//go:build linux && amd64

package kernel

import (
	"bytes"
	"flag"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// activeKinds returns the hooks by name and the union of the kinds the active ones report.
func activeKinds(t *testing.T, s *Sensor) (map[string]Hook, map[record.Kind]bool) {
	t.Helper()
	byName := map[string]Hook{}
	kinds := map[record.Kind]bool{}
	for _, hk := range s.Hooks() {
		t.Logf("%s %s active=%v err=%v kinds=%v", hk.Kind, hk.Name, hk.Active, hk.Err, hk.Kinds)
		if hk.Kinds == nil {
			byName[hk.Kind] = hk
			continue
		}
		byName[hk.Name] = hk
		if hk.Active {
			for _, k := range hk.Kinds {
				kinds[k] = true
			}
		}
	}
	return byName, kinds
}

func TestHooks(t *testing.T) {
	h := sensorHub(t)
	hooks, kinds := activeKinds(t, h.s)
	for _, n := range []string{"sched_process_exec", "sched_process_fork", "sched_process_exit", "inet_sock_set_state", "cap_capable"} {
		if hk := hooks[n]; !hk.Active || hk.Kind != HookTPBTF {
			t.Errorf("%s: %+v, want active tp_btf", n, hk)
		}
	}
	for _, n := range []string{"connect4", "connect6", "connect_unix", "bind4", "bind6"} {
		if hk := hooks[n]; !hk.Active || hk.Kind != HookCgroup {
			t.Errorf("%s: %+v, want an active cgroup program", n, hk)
		}
	}
	if hk, ok := hooks["sys_exit"]; !ok || hk.Active || hk.Err != nil {
		t.Errorf("sys_exit: %+v, want listed, inactive, not chosen", hk)
	}
	for _, k := range []record.Kind{record.KindExec, record.KindFork, record.KindExit, record.KindConnect, record.KindBind, record.KindListen, record.KindAccept, record.KindPtrace,
		record.KindSetID, record.KindMount, record.KindUmount, record.KindChroot, record.KindUnshare, record.KindSetns, record.KindModule, record.KindBPF} {
		if !kinds[k] {
			t.Errorf("no active hook reports %s", k)
		}
	}
	for _, k := range []record.Kind{record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod, record.KindDup, record.KindMemfd} {
		if kinds[k] {
			t.Errorf("an active hook claims %s, which only sys_exit reports", k)
		}
	}
	for _, k := range []string{HookFentry, HookLSM} {
		if hk, ok := hooks[k]; !ok || hk.Err == nil {
			t.Errorf("%s should be reported unavailable on this kernel, got %+v", k, hk)
		}
	}
}

func TestHooksSyscallTracepoint(t *testing.T) {
	h := syscallHub(t)
	hooks, kinds := activeKinds(t, h.s)
	for _, n := range []string{"sys_exit", "sched_process_exec", "sched_process_fork", "sched_process_exit"} {
		if hk := hooks[n]; !hk.Active || hk.Kind != HookTPBTF {
			t.Errorf("%s: %+v, want active tp_btf", n, hk)
		}
	}
	for _, n := range []string{"connect4", "connect6", "connect_unix", "bind4", "bind6", "inet_sock_set_state", "cap_capable"} {
		if hk, ok := hooks[n]; !ok || hk.Active || hk.Err != nil {
			t.Errorf("%s: %+v, want listed, inactive, not chosen", n, hk)
		}
	}
	for k := record.Kind(1); k < record.KindCount; k++ {
		if !kinds[k] {
			t.Errorf("no active hook reports %s", k)
		}
	}
}

// TestNoSyscallTracepoint checks in the kernel that the default hooks
// attach no program to a syscall tracepoint: every tracepoint link of the
// sensor is named, and none is sys_enter or sys_exit.
func TestNoSyscallTracepoint(t *testing.T) {
	h := sensorHub(t)
	tps := 0
	for _, l := range h.s.links {
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		if info.Type != link.RawTracepointType {
			continue
		}
		name, err := rawTracepointName(l)
		if err != nil {
			t.Fatal(err)
		}
		tps++
		if strings.HasPrefix(name, "sys_") || strings.HasPrefix(name, "raw_syscalls") {
			t.Errorf("link %d attached to %s", info.ID, name)
		}
	}
	if tps != 9 {
		t.Errorf("%d tracepoint links, want 9 (3 sched, 3 cgroup, inet_sock_set_state, cap_capable, signal_generate)", tps)
	}
	sys := syscallHub(t)
	var names []string
	for _, l := range sys.s.links {
		if name, err := rawTracepointName(l); err == nil {
			names = append(names, name)
		}
	}
	if !slices.Contains(names, "sys_exit") {
		t.Errorf("the syscall-tracepoint sensor's links are %q, want sys_exit among them", names)
	}
}

// TestCloseDetaches checks that Close leaves no program of the sensor
// attached: not on the cgroup root, not as a link.
// TestPauseAndCloseDetach: Pause and Close detach the programs, Resume
// attaches them again.
func TestPauseAndCloseDetach(t *testing.T) {
	runctest.RequireRoot(t)
	s, err := Open(Config{RingBufferBytes: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	root, err := cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	cg, err := os.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.Close()
	attached := func(at ebpf.AttachType, id ebpf.ProgramID) bool {
		res, err := link.QueryPrograms(link.QueryOptions{Target: int(cg.Fd()), Attach: at})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Programs {
			if p.ID == id {
				return true
			}
		}
		return false
	}
	type prog struct {
		at ebpf.AttachType
		id ebpf.ProgramID
	}
	var progs []prog
	for _, a := range attachments {
		if a.cgroup == "" {
			continue
		}
		info, err := s.coll.Programs[a.cgroup].Info()
		if err != nil {
			t.Fatal(err)
		}
		id, _ := info.ID()
		if !attached(a.attach, id) {
			t.Errorf("%s: program %d not attached to %s while open", a.name, id, root)
		}
		progs = append(progs, prog{a.attach, id})
	}
	linkIDs := map[link.ID]bool{}
	for _, l := range s.links {
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		linkIDs[info.ID] = true
	}
	if len(linkIDs) != len(s.links) || len(progs) != 5 {
		t.Fatalf("%d links, %d distinct; %d cgroup programs", len(s.links), len(linkIDs), len(progs))
	}
	// Pause detaches every program, Resume brings them back.
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if len(s.links) != 0 {
		t.Errorf("%d links while paused", len(s.links))
	}
	for _, p := range progs {
		if attached(p.at, p.id) {
			t.Errorf("program %d still attached to %s while paused", p.id, root)
		}
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	for _, p := range progs {
		if !attached(p.at, p.id) {
			t.Errorf("program %d not attached to %s after Resume", p.id, root)
		}
	}
	if len(s.links) != len(linkIDs) {
		t.Errorf("%d links after Resume, want %d", len(s.links), len(linkIDs))
	}
	for _, l := range s.links {
		info, err := l.Info()
		if err != nil {
			t.Fatal(err)
		}
		linkIDs[info.ID] = true
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range progs {
		if attached(p.at, p.id) {
			t.Errorf("program %d still attached to %s after Close", p.id, root)
		}
	}
	var it link.Iterator
	for it.Next() {
		if linkIDs[it.ID] {
			t.Errorf("link %d still exists after Close", it.ID)
		}
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCgroup2Root(t *testing.T) {
	mi := "24 1 0:22 / /sys rw - sysfs sysfs rw\n" +
		"30 24 0:26 /sub /sys/fs/cgroup/x rw - cgroup2 cgroup2 rw\n" +
		"31 24 0:27 / /sys/fs/cgroup/my\\040root rw,nosuid shared:9 - cgroup2 cgroup2 rw\n"
	got, err := cgroup2RootIn([]byte(mi))
	if err != nil || got != "/sys/fs/cgroup/my root" {
		t.Errorf("cgroup2RootIn = %q, %v", got, err)
	}
	if _, err := cgroup2RootIn([]byte("24 1 0:22 / /sys rw - sysfs sysfs rw\n")); err == nil {
		t.Error("no cgroup2 mount: want an error")
	}
	if _, err := cgroup2RootIn([]byte("garbage\n\n- -\n")); err == nil {
		t.Error("garbage: want an error")
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
	r := h.wait(t, "exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == pid })
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
	r := h.wait(t, "exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == pid })
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
	f := h.wait(t, "fork", func(r *record.Record) bool { return r.Kind == record.KindFork && r.TGID == pid })
	child := f.Fork.ChildTGID
	h.wait(t, "child exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == child })
	h.wait(t, "child exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == child && r.Exit.Code == 0 })
	x := h.wait(t, "exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == pid })
	if x.Exit.Code != 7 || x.Exit.Signal != 0 {
		t.Errorf("exit %+v, want code 7", x.Exit)
	}
}

func TestOpenWriteRelative(t *testing.T) {
	h := syscallHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "write-rel").Process.Pid)
	want := filepath.Join(dir, "sub", "out.txt")
	r := h.wait(t, "open", func(r *record.Record) bool { return r.Kind == record.KindOpen && r.TGID == pid })
	f := r.File
	if f.Path != want || !f.FromFD || !f.Write() || f.Flags&unix.O_CREAT == 0 || r.Ret < 0 || f.FD != int32(r.Ret) || f.Inode == 0 {
		t.Errorf("open %+v ret %d, want path %s", f, r.Ret, want)
	}
}

func TestOpenRepeatSuppressed(t *testing.T) {
	h := syscallHub(t)
	dir := realDir(t)
	before := h.s.Stats().Suppressed[record.KindOpen]
	pid := uint32(action(t, dir, "write-twice").Process.Pid)
	h.wait(t, "chmod", func(r *record.Record) bool { return r.Kind == record.KindChmod && r.TGID == pid })
	opens := h.all(func(r *record.Record) bool { return r.Kind == record.KindOpen && r.TGID == pid })
	if len(opens) != 1 || opens[0].File.Path != filepath.Join(dir, "w.txt") {
		t.Errorf("%d open records, want the first of two", len(opens))
	}
	if after := h.s.Stats().Suppressed[record.KindOpen]; after < before+1 {
		t.Errorf("suppressed opens %d -> %d, want one more", before, after)
	}
}

func TestOpenSensitive(t *testing.T) {
	h := syscallHub(t)
	dir := realDir(t)
	if err := os.WriteFile(filepath.Join(dir, "ordinary.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pid := uint32(action(t, dir, "read", "/etc/shadow").Process.Pid)
	r := h.wait(t, "open of /etc/shadow", func(r *record.Record) bool {
		return r.Kind == record.KindOpen && r.TGID == pid && r.File.Path == "/etc/shadow"
	})
	if r.File.Write() || r.Ret < 0 {
		t.Errorf("shadow open %+v", r.File)
	}
	if rs := h.all(func(r *record.Record) bool {
		return r.Kind == record.KindOpen && r.TGID == pid && r.File.Path != "/etc/shadow"
	}); len(rs) > 0 {
		t.Errorf("read-only opens of ordinary files reported: %+v", rs[0].File)
	}
}

func TestFileOps(t *testing.T) {
	h := syscallHub(t)
	dir := realDir(t)
	pid := uint32(action(t, dir, "fileops").Process.Pid)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	r := h.wait(t, "rename", func(r *record.Record) bool { return r.Kind == record.KindRename && r.TGID == pid })
	if r.File.Path != a || r.File.NewPath != b || r.Ret != 0 {
		t.Errorf("rename %+v", r.File)
	}
	r = h.wait(t, "chmod", func(r *record.Record) bool { return r.Kind == record.KindChmod && r.TGID == pid })
	if r.File.Path != b || r.File.Mode != 0o755 || r.File.Op != record.OpChmod {
		t.Errorf("chmod %+v (a chmod without an execute bit must not be reported)", r.File)
	}
	r = h.wait(t, "unlink", func(r *record.Record) bool { return r.Kind == record.KindUnlink && r.TGID == pid })
	if r.File.Path != b || r.File.Op != record.OpUnlink {
		t.Errorf("unlink %+v", r.File)
	}
}

// TestNet checks the socket calls as sys_exit reports them.
func TestNet(t *testing.T) {
	h := syscallHub(t)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), actionEnv+"=net")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out))
	lnAddr, cAddr := netip.MustParseAddrPort(f[0]), netip.MustParseAddrPort(f[1])
	pid := uint32(cmd.Process.Pid)
	r := h.wait(t, "bind", func(r *record.Record) bool {
		return r.Kind == record.KindBind && r.TGID == pid && r.Net.Family == unix.AF_INET
	})
	if r.Net.Family != unix.AF_INET || r.Net.Local != netip.MustParseAddrPort("127.0.0.1:0") || r.Ret != 0 {
		t.Errorf("bind %+v", r.Net)
	}
	r = h.wait(t, "listen", func(r *record.Record) bool { return r.Kind == record.KindListen && r.TGID == pid })
	if r.Net.Local != lnAddr || r.Net.SockType != unix.SOCK_STREAM {
		t.Errorf("listen %+v, want local %v", r.Net, lnAddr)
	}
	r = h.wait(t, "connect", func(r *record.Record) bool {
		return r.Kind == record.KindConnect && r.TGID == pid && r.Net.Family == unix.AF_INET
	})
	if r.Net.Remote != lnAddr || (r.Ret != 0 && r.Ret != -int64(unix.EINPROGRESS)) {
		t.Errorf("connect %+v ret %d, want remote %v", r.Net, r.Ret, lnAddr)
	}
	r = h.wait(t, "accept", func(r *record.Record) bool { return r.Kind == record.KindAccept && r.TGID == pid })
	if r.Net.Remote != cAddr || r.Net.Local != lnAddr || r.Net.NewFD != int32(r.Ret) {
		t.Errorf("accept %+v, want peer %v", r.Net, cAddr)
	}
}

// TestNetDefault checks connect, bind, listen and accept as the default
// hooks report them, with the listener and the client in two processes: the
// accept, which the kernel completes in the client's context on loopback,
// must name the listener.
func TestNetDefault(t *testing.T) {
	h := sensorHub(t)
	for _, c := range []struct {
		network, addr string
		family        uint16
	}{{"tcp4", "127.0.0.1:0", unix.AF_INET}, {"tcp6", "[::1]:0", unix.AF_INET6}} {
		t.Run(c.network, func(t *testing.T) {
			ln, lnOut, lnAddr := startListener(t, c.network, c.addr)
			dial, out := actionOut(t, "", "dial", c.network, lnAddr.String())
			dialAddr := netip.MustParseAddrPort(strings.TrimSpace(out))
			if !lnOut.Scan() || lnOut.Text() != dialAddr.String() {
				t.Fatalf("listener accepted %q, client is %v", lnOut.Text(), dialAddr)
			}
			lpid, dpid := uint32(ln.Process.Pid), uint32(dial.Process.Pid)

			r := h.wait(t, "bind", func(r *record.Record) bool {
				return r.Kind == record.KindBind && r.TGID == lpid && r.Net.Family == c.family
			})
			if r.Net.Local != netip.MustParseAddrPort(c.addr) || r.Net.SockType != unix.SOCK_STREAM || r.Net.FD != -1 ||
				!r.Entry || r.Ret != 0 || r.Syscall.String() != "bind" {
				t.Errorf("bind %+v entry %v ret %d syscall %v", r.Net, r.Entry, r.Ret, r.Syscall)
			}
			listen := h.wait(t, "listen", func(r *record.Record) bool { return r.Kind == record.KindListen && r.TGID == lpid })
			if listen.Net.Local != lnAddr || listen.Net.Family != c.family || listen.Net.SockType != unix.SOCK_STREAM ||
				!listen.Entry || listen.Syscall.String() != "listen" || listen.PPID != uint32(os.Getpid()) {
				t.Errorf("listen %+v entry %v syscall %v, want local %v", listen.Net, listen.Entry, listen.Syscall, lnAddr)
			}
			r = h.wait(t, "connect", func(r *record.Record) bool { return r.Kind == record.KindConnect && r.TGID == dpid })
			if r.Net.Remote != lnAddr || r.Net.Family != c.family || r.Net.SockType != unix.SOCK_STREAM || r.Net.Local.Port() != 0 ||
				!r.Entry || r.Ret != 0 || r.Syscall.String() != "connect" || r.PPID != uint32(os.Getpid()) || r.UID != 0 {
				t.Errorf("connect %+v entry %v ret %d syscall %v, want remote %v", r.Net, r.Entry, r.Ret, r.Syscall, lnAddr)
			}
			r = h.wait(t, "accept", func(r *record.Record) bool { return r.Kind == record.KindAccept && r.Net.Local == lnAddr })
			if r.TGID != lpid || !r.ListenerOwner || r.Entry || r.Syscall != 0 || r.PPID != uint32(os.Getpid()) ||
				r.Comm != listen.Comm || r.CgroupID != listen.CgroupID || r.NetNS != listen.NetNS || r.MntNS != listen.MntNS {
				t.Errorf("accept header %+v, want the listener's (tgid %d, not the client's %d)", r, lpid, dpid)
			}
			if r.Net.Remote != dialAddr || r.Net.Family != c.family || r.Net.SockType != unix.SOCK_STREAM || r.Net.FD != -1 || r.Net.NewFD != -1 {
				t.Errorf("accept %+v, want peer %v", r.Net, dialAddr)
			}
		})
	}
}

// TestNetDedup checks that a process connecting to one address again and
// again is reported once (Config.NetDedup), and so are the listener's
// accepts from that address, the repeats counted as suppressed; with
// NetDedup negative every connect and accept is reported.
func TestNetDedup(t *testing.T) {
	runctest.RequireRoot(t)
	const n = 5
	for _, c := range []struct {
		name  string
		dedup time.Duration
		want  int
	}{{"dedup", 0, 1}, {"each", -1, n}} {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(Config{RingBufferBytes: 1 << 20, NetDedup: c.dedup})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ln, _, lnAddr := startListenAction(t, "listen-n", "tcp4", "127.0.0.1:0")
			lpid := uint32(ln.Process.Pid)
			dpid := uint32(action(t, "", "dial-n", "tcp4", lnAddr.String(), strconv.Itoa(n)).Process.Pid)
			var connects, accepts int
			readUntil(t, s, "the dialer's exit", func(r *record.Record) bool {
				switch {
				case r.Kind == record.KindConnect && r.TGID == dpid && r.Net.Remote == lnAddr:
					connects++
				case r.Kind == record.KindAccept && r.TGID == lpid && r.Net.Local == lnAddr:
					accepts++
				}
				return r.Kind == record.KindExit && r.TGID == dpid
			})
			if connects != c.want || accepts != c.want {
				t.Errorf("%d connects and %d accepts reported, want %d of each", connects, accepts, c.want)
			}
			st := s.Stats()
			if got := st.Suppressed[record.KindConnect] + st.Suppressed[record.KindAccept]; got < uint64(2*(n-c.want)) {
				t.Errorf("%d connects and accepts counted as suppressed, want at least %d", got, 2*(n-c.want))
			}
		})
	}
}

// TestAcceptUnknownListener checks an accept on a socket that was
// listening before the sensor started: no process, but the socket's owner,
// cgroup and network namespace.
func TestAcceptUnknownListener(t *testing.T) {
	runctest.RequireRoot(t)
	ln, _, lnAddr := startListener(t, "tcp4", "127.0.0.1:0", "65534")
	s, err := Open(Config{RingBufferBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	actionOut(t, "", "dial", "tcp4", lnAddr.String())
	r := readUntil(t, s, "accept", func(r *record.Record) bool { return r.Kind == record.KindAccept && r.Net.Local == lnAddr })
	var ns unix.Stat_t
	if err := unix.Stat("/proc/self/ns/net", &ns); err != nil {
		t.Fatal(err)
	}
	cg := cgroupID(t, ln.Process.Pid)
	if r.TGID != 0 || !r.ListenerOwner || r.UID != 65534 || r.EUID != 65534 || r.GID != 1<<32-1 || r.AUID != record.NoAUID || r.PPID != 0 ||
		r.NetNS != uint32(ns.Ino) || r.CgroupID != cg || r.Comm != "" {
		t.Errorf("accept header %+v, want no process, uid 65534, cgroup %d, netns %d", r, cg, ns.Ino)
	}
}

// cgroupID returns the cgroup v2 id of a process: the inode of its cgroup directory.
func cgroupID(t *testing.T, pid int) uint64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	root, err := cgroup2Root()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			var st unix.Stat_t
			if err := unix.Stat(filepath.Join(root, p), &st); err != nil {
				t.Fatal(err)
			}
			return st.Ino
		}
	}
	t.Fatalf("no cgroup v2 line in %q", data)
	return 0
}

// TestUnixConnect connects to a Unix socket by path and to an abstract one.
func TestUnixConnect(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		dir := realDir(t)
		abstract := "vigil-test-" + strconv.Itoa(os.Getpid())
		pid := uint32(action(t, dir, "unix", abstract).Process.Pid)
		for _, want := range []string{"sock", "@" + abstract} {
			r := h.wait(t, "connect to "+want, func(r *record.Record) bool {
				return r.Kind == record.KindConnect && r.TGID == pid && r.Net.UnixPath == want
			})
			if r.Net.Family != unix.AF_UNIX || r.Entry == sys || r.Syscall.String() != "connect" {
				t.Errorf("connect %+v entry %v", r.Net, r.Entry)
			}
		}
	})
}

func TestReverseShell(t *testing.T) {
	h := syscallHub(t)
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
		r := h.wait(t, "dup", func(r *record.Record) bool { return r.Kind == record.KindDup && r.TGID == pid && r.Net.NewFD == fd })
		if r.Net.Remote != lnAddr {
			t.Errorf("dup onto %d: %+v", fd, r.Net)
		}
	}
	r := h.wait(t, "exec", func(r *record.Record) bool {
		return r.Kind == record.KindExec && r.TGID == pid && r.Exec.Args[0] == "sh"
	})
	for _, fd := range []int{0, 1} {
		s := r.Exec.Stdio[fd]
		if s.Type != record.FDSocket || s.Family != unix.AF_INET || s.Remote != lnAddr {
			t.Errorf("stdio %d = %+v, want a socket to %v", fd, s, lnAddr)
		}
	}
	if r.Exec.Stdio[2].Type == record.FDSocket {
		t.Errorf("stderr %+v", r.Exec.Stdio[2])
	}
}

// TestPtrace attaches, as root, to a process of another uid: a ptrace the
// capability check sees too.
func TestPtrace(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		target := exec.Command("/bin/busybox", "sleep", "30")
		target.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		tpid := target.Process.Pid
		pid := uint32(action(t, "", "ptrace", strconv.Itoa(tpid)).Process.Pid)
		r := h.wait(t, "ptrace", func(r *record.Record) bool { return r.Kind == record.KindPtrace && r.TGID == pid })
		if r.Ptrace.Request != unix.PTRACE_ATTACH || r.Ptrace.PID != int32(tpid) || r.Ret != 0 || r.Entry == sys || r.Syscall.String() != "ptrace" {
			t.Errorf("ptrace %+v ret %d entry %v", r.Ptrace, r.Ret, r.Entry)
		}
		if n := len(h.all(func(r *record.Record) bool { return r.Kind == record.KindPtrace && r.TGID == pid })); n != 1 {
			t.Errorf("%d ptrace records, want 1 (the detach is not reported)", n)
		}
	})
}

func TestMemfdExec(t *testing.T) {
	h := syscallHub(t)
	pid := uint32(action(t, "", "memfd").Process.Pid)
	m := h.wait(t, "memfd", func(r *record.Record) bool { return r.Kind == record.KindMemfd && r.TGID == pid })
	if m.Memfd.Name != "vigiltest" || m.Ret < 0 {
		t.Errorf("memfd %+v", m.Memfd)
	}
	r := h.wait(t, "exec", func(r *record.Record) bool {
		return r.Kind == record.KindExec && r.TGID == pid && r.Exec.Args[0] == "true"
	})
	e := r.Exec
	if !e.Memfd || !e.Deleted || e.ExePath != "/memfd:vigiltest (deleted)" || e.Nlink != 0 {
		t.Errorf("exec from memfd: %+v", e)
	}
	if want := "/proc/self/fd/" + strconv.Itoa(int(m.Ret)); e.Filename != want {
		t.Errorf("filename %q, want %q", e.Filename, want)
	}
}

func TestSetuid(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		pid := uint32(action(t, "", "setuid").Process.Pid)
		r := h.wait(t, "setuid", func(r *record.Record) bool { return r.Kind == record.KindSetID && r.TGID == pid })
		if r.Syscall.String() != "setuid" || r.SetID.Effective != 65534 || r.SetID.Real != record.NoChange || r.SetID.Group || r.Ret != 0 || r.Entry == sys {
			t.Errorf("setuid %+v ret %d entry %v", r.SetID, r.Ret, r.Entry)
		}
		// sys_exit sees the credentials after the call; the capability check, before.
		want := uint32(0)
		if sys {
			want = 65534
		}
		if r.UID != want || r.EUID != want {
			t.Errorf("header uid %d euid %d, want %d", r.UID, r.EUID, want)
		}
	})
}

func TestUnshareSetns(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		before := h.s.Stats().Suppressed[record.KindSetns]
		pid := uint32(action(t, "", "unshare").Process.Pid)
		r := h.wait(t, "unshare", func(r *record.Record) bool { return r.Kind == record.KindUnshare && r.TGID == pid })
		if r.Unshare.Flags != unix.CLONE_NEWUTS || r.Ret != 0 || r.Entry == sys || r.Syscall.String() != "unshare" {
			t.Errorf("unshare %+v", r.Unshare)
		}
		var st unix.Stat_t
		if err := unix.Stat("/proc/self/ns/net", &st); err != nil {
			t.Fatal(err)
		}
		r = h.wait(t, "setns", func(r *record.Record) bool { return r.Kind == record.KindSetns && r.TGID == pid })
		if r.Setns.NSType != unix.CLONE_NEWNET || r.Setns.FD < 3 || r.Setns.NSInode != st.Ino || r.NetNS != uint32(st.Ino) || r.Entry == sys {
			t.Errorf("setns %+v, want inode %d", r.Setns, st.Ino)
		}
		h.wait(t, "exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == pid })
		if n := len(h.all(func(r *record.Record) bool { return r.Kind == record.KindSetns && r.TGID == pid })); n != 1 {
			t.Errorf("%d setns records, want 1", n)
		}
		// Joining a network namespace checks CAP_SYS_ADMIN twice: the second check is suppressed.
		if after := h.s.Stats().Suppressed[record.KindSetns]; !sys && after < before+1 {
			t.Errorf("suppressed setns %d -> %d, want at least one more", before, after)
		}
	})
}

// TestMount mounts a tmpfs in a new mount namespace and unmounts it.
func TestMount(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		dir := realDir(t)
		pid := uint32(action(t, dir, "mount").Process.Pid)
		mnt := filepath.Join(dir, "mnt")
		r := h.wait(t, "mount", func(r *record.Record) bool {
			return r.Kind == record.KindMount && r.TGID == pid && r.Mount.FSType == "tmpfs"
		})
		m := r.Mount
		if m.Source != "vigiltest" || m.Target != mnt || m.Flags != unix.MS_NOSUID || r.Ret != 0 || r.Entry == sys || r.Syscall.String() != "mount" {
			t.Errorf("mount %+v", m)
		}
		r = h.wait(t, "umount", func(r *record.Record) bool { return r.Kind == record.KindUmount && r.TGID == pid })
		if r.Mount.Target != mnt || r.Mount.Flags != unix.MNT_DETACH || r.Ret != 0 || r.Entry == sys || r.Syscall.String() != "umount2" {
			t.Errorf("umount %+v", r.Mount)
		}
		h.wait(t, "exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == pid })
		if n := len(h.all(func(r *record.Record) bool { return r.Kind == record.KindMount && r.TGID == pid })); n != 2 {
			t.Errorf("%d mount records, want 2 (making / private, the tmpfs)", n)
		}
	})
}

func TestChroot(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		dir := realDir(t)
		pid := uint32(action(t, dir, "chroot").Process.Pid)
		r := h.wait(t, "chroot", func(r *record.Record) bool { return r.Kind == record.KindChroot && r.TGID == pid })
		if r.Chroot.Path != filepath.Join(dir, "root") || r.Ret != 0 || r.Entry == sys || r.Syscall.String() != "chroot" {
			t.Errorf("chroot %+v ret %d", r.Chroot, r.Ret)
		}
	})
}

// TestFinitModule loads junk as a module. A kernel built without module
// support fails the call with ENOSYS before any capability check: then the
// default hooks must report nothing.
func TestFinitModule(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		dir := realDir(t)
		cmd, out := actionOut(t, dir, "finit")
		pid := uint32(cmd.Process.Pid)
		if !sys && strings.TrimSpace(out) == strconv.Itoa(int(unix.ENOSYS)) {
			h.wait(t, "exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == pid })
			if rs := h.all(func(r *record.Record) bool { return r.Kind == record.KindModule && r.TGID == pid }); len(rs) > 0 {
				t.Errorf("module record for a call the kernel does not implement: %+v", rs[0])
			}
			return
		}
		r := h.wait(t, "finit_module", func(r *record.Record) bool { return r.Kind == record.KindModule && r.TGID == pid })
		if r.Module.Path != filepath.Join(dir, "bad.ko") || r.Module.FD < 3 || r.Syscall.String() != "finit_module" || r.Entry == sys {
			t.Errorf("module %+v", r.Module)
		}
		// The junk is refused after the capability check: only sys_exit sees the error.
		if sys && r.Ret >= 0 || !sys && r.Ret != 0 {
			t.Errorf("ret %d", r.Ret)
		}
	})
}

func TestBPFProgLoad(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		pid := uint32(action(t, "", "bpf").Process.Pid)
		r := h.wait(t, "bpf", func(r *record.Record) bool {
			return r.Kind == record.KindBPF && r.TGID == pid && r.BPF.ProgName == "vigil_test"
		})
		if r.BPF.ProgType != 1 || r.BPF.InsnCount != 2 || r.BPF.Cmd != 5 || r.Ret < 0 || r.Entry == sys {
			t.Errorf("bpf %+v ret %d", r.BPF, r.Ret)
		}
		if !sys && r.Ret != 0 {
			t.Errorf("entry record with ret %d", r.Ret)
		}
	})
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
	h.wait(t, "exit", func(r *record.Record) bool { return r.Kind == record.KindExit && r.TGID == pid })
	if rs := h.all(func(r *record.Record) bool { return r.TGID == uint32(os.Getpid()) }); len(rs) > 0 {
		t.Errorf("record of the sensor's own process: %+v", rs[0])
	}
}

// TestIgnorePIDs checks that a process in Config.IgnorePIDs is never
// reported, and that another one doing the same is.
func TestIgnorePIDs(t *testing.T) {
	runctest.RequireRoot(t)
	quiet := exec.Command(os.Args[0])
	quiet.Env = append(os.Environ(), actionEnv+"=wait-setuid")
	in, err := quiet.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := quiet.Start(); err != nil {
		t.Fatal(err)
	}
	defer quiet.Wait()
	defer in.Close()
	qpid := uint32(quiet.Process.Pid)
	s, err := Open(Config{RingBufferBytes: 1 << 20, IgnorePIDs: []uint32{qpid}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := in.Write([]byte("go\n")); err != nil {
		t.Fatal(err)
	}
	if err := quiet.Wait(); err != nil {
		t.Fatal(err)
	}
	pid := uint32(action(t, "", "setuid").Process.Pid)
	var ignored []record.Record
	readUntil(t, s, "setuid of the other process", func(r *record.Record) bool {
		if r.TGID == qpid {
			ignored = append(ignored, *r)
		}
		return r.Kind == record.KindSetID && r.TGID == pid
	})
	if len(ignored) > 0 {
		t.Errorf("%d records of ignored process %d, the first %+v", len(ignored), qpid, ignored[0])
	}
}

// readUntil reads records from s until match accepts one, failing the test
// after 20 s.
func readUntil(t *testing.T, s *Sensor, what string, match func(*record.Record) bool) *record.Record {
	t.Helper()
	timer := time.AfterFunc(20*time.Second, func() { s.Close() })
	defer timer.Stop()
	r := new(record.Record)
	for {
		if err := s.Read(r); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if match(r) {
			return r
		}
	}
}

// TestRawTP checks the raw_tp fallback programs load and report.
func TestRawTP(t *testing.T) {
	runctest.RequireRoot(t)
	for _, sys := range []bool{false, true} {
		name := "default"
		if sys {
			name = "syscall-tracepoint"
		}
		t.Run(name, func(t *testing.T) {
			s, err := Open(Config{ForceRawTP: true, RingBufferBytes: 1 << 20, SyscallTracepoint: sys})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			raw := 0
			for _, hk := range s.Hooks() {
				if hk.Active && hk.Kind != HookRawTP && hk.Kind != HookCgroup {
					t.Errorf("%s attached as %s", hk.Name, hk.Kind)
				}
				if hk.Active && hk.Kind == HookRawTP {
					raw++
				}
			}
			if want := map[bool]int{false: 9, true: 7}[sys]; raw != want {
				t.Errorf("%d raw_tp hooks active, want %d", raw, want)
			}
			cmd := exec.Command("/bin/busybox", "true", "raw")
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			pid := uint32(cmd.Process.Pid)
			r := readUntil(t, s, "exec", func(r *record.Record) bool { return r.Kind == record.KindExec && r.TGID == pid })
			if !slices.Equal(r.Exec.Args, []string{"/bin/busybox", "true", "raw"}) {
				t.Errorf("args %q", r.Exec.Args)
			}
			pid = uint32(action(t, "", "setuid").Process.Pid)
			r = readUntil(t, s, "setuid", func(r *record.Record) bool { return r.Kind == record.KindSetID && r.TGID == pid })
			if r.SetID.Effective != 65534 || r.Entry == sys {
				t.Errorf("setuid %+v entry %v", r.SetID, r.Entry)
			}
			pid = uint32(action(t, "", "net").Process.Pid)
			readUntil(t, s, "listen", func(r *record.Record) bool { return r.Kind == record.KindListen && r.TGID == pid })
			r = readUntil(t, s, "accept", func(r *record.Record) bool { return r.Kind == record.KindAccept && r.TGID == pid })
			if r.ListenerOwner == sys || r.Net.Local.Port() == 0 || r.Net.Remote.Port() == 0 {
				t.Errorf("accept %+v", r.Net)
			}
			s.Close()
			if err := s.Read(r); err != record.ErrClosed {
				t.Errorf("Read after Close: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
		})
	}
}

var capture = flag.Bool("capture", false, "save one raw record of each kind under testdata/records")

// TestZCapture runs after the other tests and, with -capture, saves the
// raw records they produced as seeds for FuzzDecode and TestDecodeSamples.
func TestZCapture(t *testing.T) {
	if !*capture {
		t.Skip("run with -capture to refresh testdata/records")
	}
	raw := map[record.Kind][]byte{}
	for _, h := range []*hub{syscallHub(t), sensorHub(t)} {
		h.mu.Lock()
		for k, b := range h.raw {
			raw[k] = b
		}
		h.mu.Unlock()
	}
	if err := os.MkdirAll("testdata/records", 0o755); err != nil {
		t.Fatal(err)
	}
	for k, b := range raw {
		if err := os.WriteFile(filepath.Join("testdata/records", k.String()+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("saved %d records", len(raw))
}

// rawTracepointName asks the kernel which tracepoint a raw tracepoint link
// (raw_tp or tp_btf) is attached to.
func rawTracepointName(l link.Link) (string, error) {
	fl, ok := l.(interface{ FD() int })
	if !ok {
		return "", fmt.Errorf("link %T has no fd", l)
	}
	// Heap memory, which does not move while the kernel writes to it.
	name := new([128]byte)
	info := new(struct { // struct bpf_link_info, up to raw_tracepoint
		typ, id, progID, _ uint32
		tpName             uint64
		tpNameLen          uint32
		_                  [60]byte
	})
	info.tpName = uint64(uintptr(unsafe.Pointer(&name[0])))
	info.tpNameLen = uint32(len(name))
	attr := struct {
		fd, infoLen uint32
		info        uint64
	}{uint32(fl.FD()), uint32(unsafe.Sizeof(*info)), uint64(uintptr(unsafe.Pointer(info)))}
	const bpfObjGetInfoByFD = 15
	_, _, e := unix.Syscall(unix.SYS_BPF, bpfObjGetInfoByFD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	runtime.KeepAlive(name)
	runtime.KeepAlive(info)
	if e != 0 {
		return "", e
	}
	if info.typ != uint32(link.RawTracepointType) {
		return "", fmt.Errorf("link %d is of type %d", info.id, info.typ)
	}
	n := bytes.IndexByte(name[:], 0)
	if n < 0 {
		n = len(name)
	}
	return string(name[:n]), nil
}

// TestPtraceOwnUser: attaching to a process of one's own user checks no
// capability; the default hooks see it from the stop signal the attach
// sends, once.
func TestPtraceOwnUser(t *testing.T) {
	modes(t, func(t *testing.T, h *hub, sys bool) {
		target := exec.Command("/bin/busybox", "sleep", "30")
		if err := target.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { target.Process.Kill(); target.Wait() }()
		tpid := target.Process.Pid
		pid := uint32(action(t, "", "ptrace", strconv.Itoa(tpid)).Process.Pid)
		r := h.wait(t, "ptrace", func(r *record.Record) bool { return r.Kind == record.KindPtrace && r.TGID == pid })
		if r.Ptrace.Request != unix.PTRACE_ATTACH || r.Ptrace.PID != int32(tpid) || r.Ret != 0 || r.Entry || r.Syscall.String() != "ptrace" {
			t.Errorf("ptrace %+v ret %d entry %v", r.Ptrace, r.Ret, r.Entry)
		}
		if n := len(h.all(func(r *record.Record) bool { return r.Kind == record.KindPtrace && r.TGID == pid })); n != 1 {
			t.Errorf("%d ptrace records, want 1", n)
		}
	})
}

// TestHostNamespaces: the kernel's answer is the host's init process's
// namespaces: its pid namespace is the initial one (whose inode number is
// fixed, PROC_PID_INIT_INO), and where /proc/1/ns can be read (it cannot
// in some sandboxes, even as root) each namespace is the one it names.
func TestHostNamespaces(t *testing.T) {
	h := sensorHub(t)
	got, err := h.s.HostNamespaces()
	if err != nil {
		t.Fatal(err)
	}
	const initPidNS = 0xEFFFFFFC
	if got.Pid != initPidNS || got.Mnt == 0 || got.Net == 0 {
		t.Errorf("host namespaces %+v, want the initial pid namespace %d", got, uint32(initPidNS))
	}
	for name, ino := range map[string]uint32{"mnt": got.Mnt, "pid": got.Pid, "net": got.Net} {
		var st unix.Stat_t
		if err := unix.Stat("/proc/1/ns/"+name, &st); err != nil {
			t.Logf("/proc/1/ns/%s: %v", name, err)
			continue
		}
		if uint64(ino) != st.Ino {
			t.Errorf("%s namespace %d, /proc/1/ns says %d", name, ino, st.Ino)
		}
	}
}
