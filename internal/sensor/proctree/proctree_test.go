package proctree

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// exes returns the exe of each process of a lineage.
func exes(l []Process[string]) []string {
	var out []string
	for _, p := range l {
		out = append(out, p.Exe)
	}
	return out
}

func pids(l []Process[string]) []int32 {
	var out []int32
	for _, p := range l {
		out = append(out, p.PID)
	}
	return out
}

// shell builds init(1) → sshd(10) → bash(20).
func shell(tr *Tree[string]) {
	tr.Exec(Exec[string]{PID: 1, Time: at(0), Exe: "/sbin/init", Argv: []string{"/sbin/init"}})
	tr.Fork(Fork{PID: 10, PPID: 1, Time: at(1)})
	tr.Exec(Exec[string]{PID: 10, PPID: 1, Time: at(2), Exe: "/usr/sbin/sshd", Argv: []string{"sshd", "-D"}})
	tr.Fork(Fork{PID: 20, PPID: 10, Time: at(3)})
	tr.Exec(Exec[string]{PID: 20, PPID: 10, Time: at(4), Exe: "/bin/bash", Argv: []string{"-bash"}, Cwd: "/root", UID: 1000, GID: 1000})
}

func TestForkExecLineage(t *testing.T) {
	tr := New[string](Config{})
	shell(tr)
	tr.Fork(Fork{PID: 30, PPID: 20, Time: at(10)})
	tr.Exec(Exec[string]{PID: 30, PPID: 20, Time: at(11), Exe: "/usr/bin/curl", Argv: []string{"curl", "http://x"}, Cwd: "/tmp", UID: 1000, GID: 1000, CgroupID: 77, ContainerID: "c1"})
	l := tr.Lookup(30)
	if got := exes(l); !reflect.DeepEqual(got, []string{"/usr/bin/curl", "/bin/bash", "/usr/sbin/sshd", "/sbin/init"}) {
		t.Fatalf("lineage %v", got)
	}
	p := l[0]
	if p.PID != 30 || p.PPID != 20 || !p.Start.Equal(at(10)) || !p.ExecTime.Equal(at(11)) || p.Cwd != "/tmp" ||
		p.UID != 1000 || p.CgroupID != 77 || p.ContainerID != "c1" || !reflect.DeepEqual(p.Argv, []string{"curl", "http://x"}) {
		t.Errorf("process %+v", p)
	}
	if l[1].Argv[0] != "-bash" || l[1].Cwd != "/root" {
		t.Errorf("parent %+v", l[1])
	}
	if tr.Lookup(999) != nil {
		t.Error("unknown pid found")
	}
}

func TestForkWithoutExecInherits(t *testing.T) {
	tr := New[string](Config{})
	shell(tr)
	tr.Exec(Exec[string]{PID: 20, PPID: 10, Time: at(5), Exe: "/bin/bash", Argv: []string{"bash"}, Cwd: "/srv", UID: 1000, GID: 100, CgroupID: 5, ContainerID: "c9"})
	tr.Fork(Fork{PID: 21, PPID: 20, Time: at(6)})
	p, ok := tr.Get(21)
	if !ok || p.Exe != "/bin/bash" || p.Argv[0] != "bash" || p.Cwd != "/srv" || p.UID != 1000 || p.GID != 100 ||
		p.CgroupID != 5 || p.ContainerID != "c9" || !p.ExecTime.IsZero() {
		t.Fatalf("forked child %+v", p)
	}
}

func TestParentExitsBeforeChildExec(t *testing.T) {
	tr := New[string](Config{Grace: time.Second})
	shell(tr)
	// bash forks a child and exits; the child, reparented to init, then
	// execs.
	tr.Fork(Fork{PID: 40, PPID: 20, Time: at(10)})
	tr.Exit(Exit{PID: 20, Time: at(11)})
	tr.Exec(Exec[string]{PID: 40, PPID: 1, Time: at(12), Exe: "/tmp/payload", Argv: []string{"./payload"}})
	l := tr.Lookup(40)
	if got := exes(l); !reflect.DeepEqual(got, []string{"/tmp/payload", "/bin/bash", "/usr/sbin/sshd", "/sbin/init"}) {
		t.Fatalf("lineage %v", got)
	}
	if l[0].PPID != 20 || !l[1].Exited || !l[1].ExitTime.Equal(at(11)) {
		t.Errorf("child %+v parent %+v", l[0], l[1])
	}
	// Long after the grace period the exited bash stays while its child
	// lives, and goes with it.
	tr.Reap(at(60_000))
	if got := exes(tr.Lookup(40)); len(got) != 4 {
		t.Fatalf("lineage after grace %v", got)
	}
	tr.Exit(Exit{PID: 40, Time: at(61_000)})
	if got := exes(tr.Lookup(40)); len(got) != 4 {
		t.Fatalf("lineage of the exited child within grace %v", got)
	}
	tr.Reap(at(62_000))
	if tr.Lookup(40) != nil || tr.Lookup(20) != nil {
		t.Errorf("not reaped: %v %v", tr.Lookup(40), tr.Lookup(20))
	}
	if s := tr.Stats(); s.Reaped != 2 || s.Processes != 2 || s.Live != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestExitOfForkedChildBeforeLookup(t *testing.T) {
	// A short-lived process: fork, exec, exit all before the event is
	// looked at.
	tr := New[string](Config{Grace: 30 * time.Second})
	shell(tr)
	tr.Fork(Fork{PID: 50, PPID: 20, Time: at(10)})
	tr.Exec(Exec[string]{PID: 50, PPID: 20, Time: at(11), Exe: "/bin/id", Argv: []string{"id"}})
	tr.Exit(Exit{PID: 50, Time: at(12)})
	tr.Exit(Exit{PID: 20, Time: at(13)})
	l := tr.Lookup(50)
	if got := exes(l); !reflect.DeepEqual(got, []string{"/bin/id", "/bin/bash", "/usr/sbin/sshd", "/sbin/init"}) || !l[0].Exited {
		t.Fatalf("lineage %v", l)
	}
	tr.Reap(at(12 + 29_999))
	if tr.Lookup(50) == nil {
		t.Fatal("reaped before the grace period")
	}
	tr.Reap(at(13 + 30_000))
	if tr.Lookup(50) != nil || tr.Lookup(20) != nil {
		t.Fatal("not reaped after the grace period")
	}
}

func TestPIDReuse(t *testing.T) {
	tr := New[string](Config{})
	shell(tr)
	tr.Fork(Fork{PID: 60, PPID: 20, Time: at(10)})
	tr.Exec(Exec[string]{PID: 60, PPID: 20, Time: at(11), Exe: "/bin/sh", Argv: []string{"sh"}})
	tr.Fork(Fork{PID: 61, PPID: 60, Time: at(12)})
	tr.Exec(Exec[string]{PID: 61, PPID: 60, Time: at(13), Exe: "/bin/sleep", Argv: []string{"sleep", "100"}})
	old, _ := tr.Get(60)
	tr.Exit(Exit{PID: 60, Time: at(14)})
	// pid 60 comes back as an unrelated process under sshd.
	tr.Fork(Fork{PID: 60, PPID: 10, Time: at(20)})
	tr.Exec(Exec[string]{PID: 60, PPID: 10, Time: at(21), Exe: "/usr/bin/scp", Argv: []string{"scp"}})
	cur, _ := tr.Get(60)
	if cur.Serial == old.Serial || cur.Exe != "/usr/bin/scp" || cur.Exited {
		t.Fatalf("reused pid: old %+v new %+v", old, cur)
	}
	if got := exes(tr.Lookup(60)); !reflect.DeepEqual(got, []string{"/usr/bin/scp", "/usr/sbin/sshd", "/sbin/init"}) {
		t.Errorf("new process lineage %v", got)
	}
	// The old process's child still has the old process as parent.
	l := tr.Lookup(61)
	if got := exes(l); !reflect.DeepEqual(got, []string{"/bin/sleep", "/bin/sh", "/bin/bash", "/usr/sbin/sshd", "/sbin/init"}) || l[1].Serial != old.Serial {
		t.Errorf("old child lineage %v", l)
	}
	// An exec of a pid whose process exited (its fork was missed) is a
	// new process too.
	tr.Exit(Exit{PID: 60, Time: at(30)})
	tr.Exec(Exec[string]{PID: 60, PPID: 1, Time: at(31), Exe: "/usr/bin/env", Argv: []string{"env"}})
	if p, _ := tr.Get(60); p.Exited || p.Exe != "/usr/bin/env" || p.Serial == cur.Serial {
		t.Errorf("exec after exit: %+v", p)
	}
	// A fork of a pid still live means its exit was missed.
	tr.Fork(Fork{PID: 60, PPID: 10, Time: at(40)})
	if p, _ := tr.Get(60); p.Exe != "/usr/sbin/sshd" || !p.ExecTime.IsZero() {
		t.Errorf("fork over a live pid: %+v", p)
	}
	if s := tr.Stats(); s.PIDReuse != 3 {
		t.Errorf("stats %+v", s)
	}
}

func TestOutOfOrder(t *testing.T) {
	tr := New[string](Config{})
	shell(tr)
	// The child's exec is seen before its fork.
	tr.Exec(Exec[string]{PID: 70, PPID: 20, Time: at(11), Exe: "/bin/ls", Argv: []string{"ls"}})
	tr.Fork(Fork{PID: 70, PPID: 20, Time: at(10)})
	p, _ := tr.Get(70)
	if p.Exe != "/bin/ls" || !p.Start.Equal(at(10)) || p.PPID != 20 {
		t.Errorf("after exec then fork: %+v", p)
	}
	if s := tr.Stats(); s.PIDReuse != 0 {
		t.Errorf("stats %+v", s)
	}
	if got := pids(tr.Lookup(70)); !reflect.DeepEqual(got, []int32{70, 20, 10, 1}) {
		t.Errorf("lineage %v", got)
	}
	// An exec seen after its process's exit, with an earlier time, is
	// that process's.
	tr.Fork(Fork{PID: 71, PPID: 20, Time: at(20)})
	tr.Exit(Exit{PID: 71, Time: at(23)})
	tr.Exec(Exec[string]{PID: 71, PPID: 20, Time: at(21), Exe: "/bin/true"})
	if p, _ := tr.Get(71); !p.Exited || p.Exe != "/bin/true" {
		t.Errorf("late exec: %+v", p)
	}
	// Unknown exits are counted, and a double exit changes nothing.
	tr.Exit(Exit{PID: 12345, Time: at(30)})
	tr.Exit(Exit{PID: 71, Time: at(31), Code: 9})
	if p, _ := tr.Get(71); p.ExitCode != 0 || !p.ExitTime.Equal(at(23)) {
		t.Errorf("double exit: %+v", p)
	}
	if s := tr.Stats(); s.UnknownExits != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestNoCycles(t *testing.T) {
	tr := New[string](Config{})
	tr.Exec(Exec[string]{PID: 5, PPID: 6, Time: at(1), Exe: "/a"})
	tr.Exec(Exec[string]{PID: 6, PPID: 5, Time: at(2), Exe: "/b"})
	tr.Exec(Exec[string]{PID: 7, PPID: 7, Time: at(3), Exe: "/c"})
	if l := tr.Lookup(5); len(l) > 2 {
		t.Errorf("cycle: %v", pids(l))
	}
	if l := tr.Lookup(7); len(l) != 1 {
		t.Errorf("own parent: %v", pids(l))
	}
}

func TestMaxDepth(t *testing.T) {
	tr := New[string](Config{MaxDepth: 4})
	tr.Exec(Exec[string]{PID: 1, Time: at(0), Exe: "/init"})
	for i := int32(2); i < 12; i++ {
		tr.Fork(Fork{PID: i, PPID: i - 1, Time: at(int(i))})
	}
	if got := pids(tr.Lookup(11)); !reflect.DeepEqual(got, []int32{11, 10, 9, 8}) {
		t.Errorf("lineage %v", got)
	}
}

func TestCapEvictsExitedFirst(t *testing.T) {
	tr := New[string](Config{MaxProcs: 10, Grace: time.Hour})
	tr.Exec(Exec[string]{PID: 1, Time: at(0), Exe: "/init"})
	for i := int32(2); i <= 10; i++ {
		tr.Fork(Fork{PID: i, PPID: 1, Time: at(int(i))})
	}
	for i := int32(2); i <= 5; i++ {
		tr.Exit(Exit{PID: i, Time: at(100 + int(i))})
	}
	if s := tr.Stats(); s.Processes != 10 || s.Live != 6 || s.Exited != 4 || s.Evictions != 0 {
		t.Fatalf("stats %+v", s)
	}
	for i := int32(11); i <= 14; i++ {
		tr.Fork(Fork{PID: i, PPID: 1, Time: at(200 + int(i))})
	}
	s := tr.Stats()
	if s.Processes != 10 || s.Evictions != 4 || s.Live != 10 {
		t.Fatalf("stats %+v", s)
	}
	for i := int32(2); i <= 5; i++ {
		if _, ok := tr.Get(i); ok {
			t.Errorf("exited %d kept over live processes", i)
		}
	}
	// With only live processes, the oldest goes: init, whose children
	// lose their parent link but stay.
	tr.Fork(Fork{PID: 15, PPID: 14, Time: at(300)})
	if _, ok := tr.Get(1); ok {
		t.Error("oldest live process kept")
	}
	if got := pids(tr.Lookup(6)); !reflect.DeepEqual(got, []int32{6}) {
		t.Errorf("orphan lineage %v", got)
	}
	if got := pids(tr.Lookup(15)); !reflect.DeepEqual(got, []int32{15, 14}) {
		t.Errorf("lineage %v", got)
	}
	if s := tr.Stats(); s.Processes != 10 || s.Evictions != 5 {
		t.Errorf("stats %+v", s)
	}
}

func TestConcurrentReaders(t *testing.T) {
	tr := New[string](Config{Grace: 5 * time.Millisecond, MaxProcs: 256})
	shell(tr)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]Process[string], 0, 16)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for pid := int32(100); pid < 110; pid++ {
					l := tr.AppendLineage(buf[:0], pid)
					for i := 1; i < len(l); i++ {
						if l[i].PID != l[i-1].PPID {
							t.Errorf("broken lineage %v", pids(l))
							return
						}
					}
				}
			}
		}()
	}
	for i := 0; i < 20000; i++ {
		pid := int32(100 + i%10)
		ms := 100 + i
		tr.Fork(Fork{PID: pid, PPID: 20, Time: at(ms)})
		tr.Exec(Exec[string]{PID: pid, PPID: 20, Time: at(ms), Exe: "/bin/x", Argv: []string{"x"}})
		tr.Exit(Exit{PID: pid, Time: at(ms)})
	}
	close(stop)
	wg.Wait()
}

func TestSeedFromProc(t *testing.T) {
	cwd := t.TempDir()
	cmd := exec.Command("sleep", "30")
	cmd.Dir = cwd
	before := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	sleepPath, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	sleepExe, _ := filepath.EvalSymlinks(sleepPath)
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	ownCwd, _ := os.Getwd()

	tr := New[string](Config{})
	n, err := tr.Seed()
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 || tr.Len() != n {
		t.Fatalf("seeded %d, tree has %d", n, tr.Len())
	}
	l := tr.Lookup(int32(cmd.Process.Pid))
	if len(l) < 2 {
		t.Fatalf("lineage of the child %v", l)
	}
	c, me := l[0], l[1]
	if c.Exe != sleepExe || !reflect.DeepEqual(c.Argv, []string{"sleep", "30"}) || c.Cwd != cwd || !c.Seeded ||
		c.PPID != int32(os.Getpid()) || c.UID != uint32(os.Getuid()) || c.GID != uint32(os.Getgid()) {
		t.Errorf("child %+v; want exe %s cwd %s", c, sleepExe, cwd)
	}
	if d := c.Start.Sub(before); d < -time.Second || d > 2*time.Second {
		t.Errorf("child started %v, started it at %v", c.Start, before)
	}
	if me.PID != int32(os.Getpid()) || me.Exe != self || me.Cwd != ownCwd || !reflect.DeepEqual(me.Argv, os.Args) {
		t.Errorf("own process %+v; want exe %s", me, self)
	}
	if len(l) > 2 {
		parent := l[2]
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", os.Getppid()))
		if parent.PID != int32(os.Getppid()) || parent.Exe != exe {
			t.Errorf("parent %+v; want pid %d exe %s", parent, os.Getppid(), exe)
		}
	} else if os.Getppid() != 0 {
		t.Errorf("lineage stops at the test process: %v", pids(l))
	}
	// After seeding, a fork of a seeded process inherits what /proc said.
	tr.Fork(Fork{PID: 1 << 30, PPID: int32(cmd.Process.Pid), Time: time.Now()})
	if got := exes(tr.Lookup(1 << 30)); len(got) < 3 || got[0] != sleepExe || got[2] != self {
		t.Errorf("fork of a seeded process: %v", got)
	}
}

func TestReadMissingParent(t *testing.T) {
	self, _ := os.Executable()
	self, _ = filepath.EvalSymlinks(self)
	tr := New[string](Config{ReadMissing: true})
	tr.Fork(Fork{PID: 1 << 30, PPID: int32(os.Getpid()), Time: time.Now()})
	l := tr.Lookup(1 << 30)
	if len(l) < 2 || l[1].Exe != self || !l[1].Seeded || l[0].Exe != self {
		t.Fatalf("lineage %+v", l)
	}
}

func TestSeedMalformed(t *testing.T) {
	root := t.TempDir()
	write := func(pid, name, content string) {
		os.MkdirAll(filepath.Join(root, pid), 0o755)
		os.WriteFile(filepath.Join(root, pid, name), []byte(content), 0o644)
	}
	good := "1 (init) S 0 1 1 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 5 1642496 3\n"
	write("1", "stat", good)
	write("1", "status", "Name:\tinit\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n")
	write("1", "cmdline", "/sbin/init\x00splash\x00")
	write("2", "stat", "2 (kthreadd S 0")
	write("2", "status", "Uid:\t0\nGid:\t0\n")
	write("3", "stat", strings.Replace(good, "1 (init) S 0", "3 (x) S 1", 1))
	write("3", "status", "Uid:\tnobody\nGid:\t0\n")
	write("4", "stat", strings.Replace(good, "1 (init) S 0", "4 (y) S 1", 1))
	write("4", "status", "Uid:\t7\t7\t7\t7\nGid:\t8\t8\t8\t8\n")
	write("notapid", "stat", "x")
	var errs []string
	tr := New[string](Config{ProcRoot: root, OnError: func(err error) { errs = append(errs, err.Error()) }})
	n, err := tr.Seed()
	if err != nil || n != 2 {
		t.Fatalf("seeded %d: %v", n, err)
	}
	if s := tr.Stats(); s.ProcErrors != 2 || len(errs) != 2 {
		t.Fatalf("stats %+v errors %v", s, errs)
	}
	joined := strings.Join(errs, "\n")
	if !strings.Contains(joined, filepath.Join(root, "2")+"/stat: no parenthesised command name") ||
		!strings.Contains(joined, filepath.Join(root, "3")+`/status: line "Uid:\tnobody": id "nobody" is not a number`) {
		t.Errorf("errors:\n%s", joined)
	}
	l := tr.Lookup(4)
	if len(l) != 2 || l[0].UID != 7 || l[0].GID != 8 || !reflect.DeepEqual(l[1].Argv, []string{"/sbin/init", "splash"}) || l[0].Argv[0] != "[y]" {
		t.Errorf("lineage %+v", l)
	}
}

func TestParseStat(t *testing.T) {
	st, err := ParseStat([]byte("23940 (a) b (c)) S 23930 23940 23940 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 2590448 1642496 3\n"))
	if err != nil || st.PID != 23940 || st.Comm != "a) b (c)" || st.PPID != 23930 || st.StartTicks != 2590448 {
		t.Errorf("%+v %v", st, err)
	}
	for _, bad := range []string{"", "x (a) S 1", "1 (a) S 1 2 3", "1 (a) S x 1 1 0 -1 4 9 0 0 0 0 0 0 0 20 0 1 0 5 1 1", "1 (a) S 1 1 1 0 -1 4 9 0 0 0 0 0 0 0 20 0 1 0 -5 1 1"} {
		if _, err := ParseStat([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	if data, err := os.ReadFile("/proc/self/stat"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("23940 (a) b (c)) S 23930 23940 23940 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 2590448 1642496 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStat(data)
		if err == nil && !strings.Contains(string(data), "("+st.Comm+")") {
			t.Fatalf("comm %q not in %q", st.Comm, data)
		}
	})
}

func FuzzParseStatusIDs(f *testing.F) {
	if data, err := os.ReadFile("/proc/self/status"); err == nil {
		f.Add(data)
	}
	f.Add([]byte("Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseStatusIDs(data)
	})
}

// BenchmarkForkExecExitLookup is one short-lived process per iteration:
// fork, exec, a lineage lookup into a reused buffer, exit; the grace
// period reaps processes as fast as they come.
func BenchmarkForkExecExitLookup(b *testing.B) {
	tr := New[string](Config{Grace: 10 * time.Millisecond})
	shell(tr)
	argv := []string{"curl", "-s", "http://169.254.169.254/"}
	buf := make([]Process[string], 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pid := int32(1000 + i%30000)
		now := at(100 + i)
		tr.Fork(Fork{PID: pid, PPID: 20, Time: now})
		tr.Exec(Exec[string]{PID: pid, PPID: 20, Time: now, Exe: "/usr/bin/curl", Argv: argv})
		buf = tr.AppendLineage(buf[:0], pid)
		if len(buf) != 4 {
			b.Fatalf("lineage %v", pids(buf))
		}
		tr.Exit(Exit{PID: pid, Time: now})
	}
}

func BenchmarkLookupDeep(b *testing.B) {
	tr := New[string](Config{})
	shell(tr)
	for i := int32(100); i < 110; i++ {
		tr.Fork(Fork{PID: i + 1, PPID: i, Time: at(int(i))})
	}
	tr.Fork(Fork{PID: 100, PPID: 20, Time: at(50)})
	buf := make([]Process[string], 0, 16)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = tr.AppendLineage(buf[:0], 110)
	}
}

// BenchmarkForkExecExitLookupFullGrace keeps every exited process for the
// default 30 s grace period at one process per simulated millisecond, so
// the tree holds 30,000 exited processes in steady state.
func BenchmarkForkExecExitLookupFullGrace(b *testing.B) {
	tr := New[string](Config{})
	shell(tr)
	argv := []string{"curl", "-s", "http://169.254.169.254/"}
	buf := make([]Process[string], 0, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pid := int32(1000 + i%4000000)
		now := at(100 + i)
		tr.Fork(Fork{PID: pid, PPID: 20, Time: now})
		tr.Exec(Exec[string]{PID: pid, PPID: 20, Time: now, Exe: "/usr/bin/curl", Argv: argv})
		buf = tr.AppendLineage(buf[:0], pid)
		tr.Exit(Exit{PID: pid, Time: now})
	}
}

// TestBurstShrinks: after a burst of short-lived processes is reaped, the
// tree keeps at most maxFree nodes for reuse and a pids map sized for what
// is left, and works on.
func TestBurstShrinks(t *testing.T) {
	tr := New[string](Config{Grace: time.Second})
	tr.Fork(Fork{PID: 2, PPID: 1, Time: at(0)})
	for i := range 20_000 {
		pid := int32(100 + i)
		tr.Fork(Fork{PID: pid, PPID: 2, Time: at(1)})
		tr.Exec(Exec[string]{PID: pid, PPID: 2, Time: at(2), Exe: "/bin/true"})
		tr.Exit(Exit{PID: pid, Time: at(3)})
	}
	if tr.peak < 20_000 {
		t.Fatalf("peak %d after 20,000 processes", tr.peak)
	}
	tr.Reap(at(5000))
	if n := tr.Len(); n != 1 {
		t.Fatalf("%d processes after the grace period", n)
	}
	if tr.nfree > maxFree {
		t.Errorf("%d free nodes kept, bound %d", tr.nfree, maxFree)
	}
	n := 0
	for f := tr.free; f != nil; f = f.next {
		n++
	}
	if n != tr.nfree {
		t.Errorf("free list of %d, counted %d", n, tr.nfree)
	}
	if tr.peak != 1 {
		t.Errorf("pids not made again: peak %d", tr.peak)
	}
	tr.Fork(Fork{PID: 7, PPID: 2, Time: at(6000)})
	if lin := tr.Lookup(7); len(lin) != 2 || lin[1].PID != 2 {
		t.Errorf("lineage after compaction: %+v", lin)
	}
	if st := tr.Stats(); st.Reaped != 20_000 {
		t.Errorf("reaped %d", st.Reaped)
	}
}

// TestDataAndFacts: the user's data for a process's program is shared by
// its forked children until they exec, the program before an exec is
// kept, and what records say of a process (cgroups, namespaces) is
// inherited at fork.
func TestDataAndFacts(t *testing.T) {
	tr := New[string](Config{})
	t0 := time.Unix(1000, 0)
	tr.Exec(Exec[string]{PID: 10, PPID: 1, Time: t0, Exe: "/bin/sh", Data: "sh"})
	if !tr.SetFacts(10, 77, 4001, 4002, 4003) || tr.SetFacts(999, 1, 1, 1, 1) {
		t.Fatal("SetFacts: known process not set, or unknown one set")
	}
	tr.SetCgroupV1(10, "/docker/x")
	tr.Fork(Fork{PID: 11, PPID: 10, Time: t0.Add(time.Millisecond)})
	tr.Fork(Fork{PID: 12, PPID: 10, Time: t0.Add(time.Millisecond), CgroupID: 88})
	c, _ := tr.Get(11)
	if c.Data != "sh" || c.CgroupID != 77 || c.CgroupV1 != "/docker/x" || c.MntNS != 4001 || c.PidNS != 4002 || c.NetNS != 4003 || !c.ExecTime.IsZero() {
		t.Errorf("forked child %+v", c)
	}
	if c, _ := tr.Get(12); c.CgroupID != 88 {
		t.Errorf("child forked into a cgroup: %d", c.CgroupID)
	}
	tr.Exec(Exec[string]{PID: 11, PPID: 10, Time: t0.Add(2 * time.Millisecond), Exe: "/bin/cat", Data: "cat"})
	if c, _ := tr.Get(11); c.Data != "cat" || c.PrevData != "sh" {
		t.Errorf("after exec: data %q before %q", c.Data, c.PrevData)
	}
	if p, _ := tr.Get(10); p.Data != "sh" {
		t.Errorf("parent's data changed by its child's exec: %q", p.Data)
	}
	p, _ := tr.Get(10)
	tr.SetData(10, p.Serial+1, "other") // another process's serial: ignored
	tr.SetData(10, p.Serial, "sh2")
	if p, _ := tr.Get(10); p.Data != "sh2" {
		t.Errorf("SetData: %q", p.Data)
	}
}
