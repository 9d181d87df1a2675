//go:build linux

package fanotify

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// fileRecord is what a test expects of one record.
type fileRecord struct {
	kind    record.Kind
	op      record.FileOp
	path    string
	newPath string
	pid     uint32
}

func (e fileRecord) match(r *record.Record) bool {
	return r.Kind == e.kind && r.File.Op == e.op && r.File.Path == e.path && r.TGID == e.pid &&
		(e.newPath == "" || r.File.NewPath == e.newPath)
}

func (c *collector) expect(t *testing.T, e fileRecord) record.Record {
	t.Helper()
	return c.wait(t, e.kind.String()+" "+e.op.String()+" "+e.path, e.match)
}

// TestHost does each operation in a child process on the host and checks
// its record, then checks what must not be reported.
func TestHost(t *testing.T) {
	dir := t.TempDir()
	shadow := filepath.Join(dir, "shadow")
	if err := os.WriteFile(shadow, []byte("root:*:19000:0:99999:7:::\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Files that exist before the watcher: it knows nothing of them.
	script, tool := filepath.Join(dir, "script"), filepath.Join(dir, "tool")
	if err := os.WriteFile(script, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	self := uint32(os.Getpid())
	keep := underDir(dir)
	// Writes are reported in dir and in its directories named d*, made
	// before or after the watcher started.
	c := watch(t, Config{SensitivePaths: []string{shadow}, WriteDirs: []string{dir, dir + "/d*"}}, func(r *record.Record) bool { return keep(r) || r.TGID == self })
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")

	t.Run("create", func(t *testing.T) {
		pid := run(t, "create", a)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: a, pid: pid})
		if r.File.Flags&unix.O_CREAT == 0 || !r.File.Write() {
			t.Errorf("create: flags %#o, want O_CREAT and write", r.File.Flags)
		}
		if r.File.Mode != 0o644 {
			t.Errorf("create: mode %#o, want 0644", r.File.Mode)
		}
		var st unix.Stat_t
		if err := unix.Stat(a, &st); err != nil {
			t.Fatal(err)
		}
		if r.File.Inode != st.Ino || r.File.Dev != st.Dev {
			t.Errorf("create: inode %d dev %#x, want %d %#x", r.File.Inode, r.File.Dev, st.Ino, st.Dev)
		}
		c.barrier(t, dir)
		if n := len(c.all(func(r *record.Record) bool { return r.TGID == pid })); n != 1 {
			t.Errorf("create and write by one open: %d records, want 1", n)
		}
	})
	t.Run("write", func(t *testing.T) {
		pid := run(t, "write", a)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: a, pid: pid})
		if r.File.Flags&unix.O_CREAT != 0 || r.File.Flags&3 != unix.O_WRONLY {
			t.Errorf("write: flags %#o, want O_WRONLY", r.File.Flags)
		}
	})
	t.Run("write then exec", func(t *testing.T) {
		// The exec's own open is read with the write (the watcher reads
		// 2 ms after the first event): the record says the write came
		// before it.
		pid := run(t, "write-exec", a)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: a, pid: pid})
		if !r.BeforeExec {
			t.Error("a write followed by an exec: BeforeExec not set")
		}
		pid = run(t, "write", a)
		if r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: a, pid: pid}); r.BeforeExec {
			t.Error("a write after the process's exec: BeforeExec set")
		}
	})
	t.Run("chmod", func(t *testing.T) {
		pid := run(t, "chmod", a, "755")
		r := c.expect(t, fileRecord{kind: record.KindChmod, op: record.OpChmod, path: a, pid: pid})
		if r.File.Mode != 0o755 {
			t.Errorf("chmod: mode %#o, want 0755", r.File.Mode)
		}
	})
	t.Run("chmod without execute bit", func(t *testing.T) {
		pid := run(t, "chmod", a, "644")
		c.none(t, dir, pid, "chmod 644")
	})
	t.Run("rename", func(t *testing.T) {
		pid := run(t, "rename", a, b)
		c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: a, newPath: b, pid: pid})
	})
	t.Run("unlink", func(t *testing.T) {
		pid := run(t, "unlink", b)
		r := c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpUnlink, path: b, pid: pid})
		if !r.File.Deleted || r.File.Inode == 0 {
			t.Errorf("unlink: deleted %v inode %d", r.File.Deleted, r.File.Inode)
		}
	})
	t.Run("rmdir", func(t *testing.T) {
		d := filepath.Join(dir, "d")
		run(t, "mkdir", d)
		pid := run(t, "rmdir", d)
		c.expect(t, fileRecord{kind: record.KindUnlink, op: record.OpRmdir, path: d, pid: pid})
	})
	t.Run("renamed directory", func(t *testing.T) {
		// The path cache must follow a directory's rename.
		d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
		run(t, "mkdir", d1)
		pid := run(t, "create", filepath.Join(d1, "f"))
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: filepath.Join(d1, "f"), pid: pid})
		pid = run(t, "rename", d1, d2)
		c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: d1, newPath: d2, pid: pid})
		pid = run(t, "write", filepath.Join(d2, "f"))
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: filepath.Join(d2, "f"), pid: pid})
	})
	t.Run("write outside WriteDirs", func(t *testing.T) {
		// Made after the watcher started, not named d*: its files'
		// creations are reported, their writes not.
		x := filepath.Join(dir, "x")
		run(t, "mkdir", x)
		pid := run(t, "create", filepath.Join(x, "f"))
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: filepath.Join(x, "f"), pid: pid})
		pid = run(t, "write", filepath.Join(x, "f"))
		c.none(t, dir, pid, "a write outside WriteDirs")
		// A directory of WriteDirs moved to a name outside them loses
		// its mark.
		d2, y := filepath.Join(dir, "d2"), filepath.Join(dir, "y")
		pid = run(t, "rename", d2, y)
		c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: d2, newPath: y, pid: pid})
		pid = run(t, "write", filepath.Join(y, "f"))
		c.none(t, dir, pid, "a write in a directory moved out of WriteDirs")
		// And one moved in gains it.
		pid = run(t, "rename", x, filepath.Join(dir, "dx"))
		c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: x, newPath: filepath.Join(dir, "dx"), pid: pid})
		pid = run(t, "write", filepath.Join(dir, "dx", "f"))
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: filepath.Join(dir, "dx", "f"), pid: pid})
		if n := c.w.Stats().WriteDirs; n != 2 { // dir and dx: d was removed, d2 moved away
			t.Errorf("Stats.WriteDirs %d, want 2", n)
		}
	})
	t.Run("sensitive read", func(t *testing.T) {
		pid := run(t, "read", shadow)
		r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: shadow, pid: pid})
		if r.File.Flags != unix.O_RDONLY || r.File.Write() {
			t.Errorf("read: flags %#o, want O_RDONLY", r.File.Flags)
		}
	})
	t.Run("ordinary read", func(t *testing.T) {
		pid := run(t, "read", plain)
		c.none(t, dir, pid, "read-only open of "+plain)
	})
	t.Run("write and chmod", func(t *testing.T) {
		// A file not seen before, written and made executable at once
		// (its times change in the same tick).
		pid := run(t, "write-chmod", script, "755")
		c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: script, pid: pid})
		r := c.expect(t, fileRecord{kind: record.KindChmod, op: record.OpChmod, path: script, pid: pid})
		if r.File.Mode != 0o755 {
			t.Errorf("mode %#o, want 0755", r.File.Mode)
		}
	})
	t.Run("touch", func(t *testing.T) {
		pid := run(t, "touch", tool)
		c.none(t, dir, pid, "utimes of executable "+tool)
	})
	t.Run("own activity", func(t *testing.T) {
		own := filepath.Join(dir, "own")
		if err := os.WriteFile(own, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(own, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := os.ReadFile(shadow); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(own, own+"2"); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(own + "2"); err != nil {
			t.Fatal(err)
		}
		c.barrier(t, dir)
		if got := c.all(func(r *record.Record) bool { return r.TGID == self }); len(got) != 0 {
			t.Errorf("the watcher's own process reported: %s", describe(&got[0]))
		}
		if c.w.Stats().Ignored == 0 {
			t.Error("Stats.Ignored is 0 after the watcher's own events")
		}
	})
	st := c.w.Stats()
	if st.Events == 0 || st.Records == 0 {
		t.Errorf("stats: %+v", st)
	}
}

// TestDedup checks that a process rewriting a file is reported once per
// window, and a second process again.
func TestDedup(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "log")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := watch(t, Config{Paths: []string{dir}, SensitivePaths: []string{}, WriteDirs: []string{dir}, Dedup: time.Hour, HotThreshold: -1, Batch: -1}, underDir(dir))
	// 1 ms apart, so that the kernel does not merge them all in its queue.
	pid := run(t, "writes", f, "50", "1")
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid})
	pid2 := run(t, "writes", f, "3")
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid2})
	c.barrier(t, dir)
	if n := len(c.all(func(r *record.Record) bool { return r.TGID == pid })); n != 1 {
		t.Errorf("50 writes by one process: %d records, want 1", n)
	}
	if st := c.w.Stats(); st.Suppressed == 0 {
		t.Errorf("nothing counted as suppressed: %+v", st)
	}

	// A process creating and removing one name again and again.
	pid = run(t, "create-unlink", dir, "100")
	name := filepath.Join(dir, "c.txt")
	c.barrier(t, dir)
	got := c.all(func(r *record.Record) bool { return r.TGID == pid && r.File.Path == name })
	if len(got) != 2 || got[0].Kind != record.KindOpen || got[1].Kind != record.KindUnlink {
		t.Errorf("100 creates and unlinks of one name: %d records, want a create and an unlink", len(got))
		for i := range got {
			t.Log(describe(&got[i]))
		}
	}
}

// TestPause checks that a paused watcher sees nothing, its marks and
// ignore marks removed, and that Resume puts them back.
func TestPause(t *testing.T) {
	dir := ownFS(t)
	f := filepath.Join(dir, "hot")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	wf := filepath.Join(dir, "plain")
	if err := os.WriteFile(wf, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// dir is one of WriteDirs: its mark is paused with the filesystem's.
	c := watch(t, Config{Paths: []string{dir}, SensitivePaths: []string{}, WriteDirs: []string{dir}, HotThreshold: 20, HotIgnore: time.Hour, Batch: -1}, underDir(dir))
	pid := run(t, "write", wf)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: wf, pid: pid})
	run(t, "writes", f, "100", "1")
	c.barrier(t, dir)
	if st := c.w.Stats(); st.IgnoreMarks != 1 {
		t.Fatalf("%d ignore marks after 100 writes in 100 ms, want 1", st.IgnoreMarks)
	}
	if err := c.w.Pause(); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other")
	pid = run(t, "create", other)
	wpid := run(t, "write", wf)
	run(t, "writes", f, "5", "1")
	if err := c.w.Resume(); err != nil {
		t.Fatal(err)
	}
	c.barrier(t, dir)
	if got := c.all(func(r *record.Record) bool { return r.TGID == pid || r.TGID == wpid }); len(got) != 0 {
		t.Errorf("a create or write while paused was reported: %s", describe(&got[0]))
	}
	pid = run(t, "write", wf)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: wf, pid: pid})
	// Resumed: the filesystem mark reports, the hot file's ignore mark
	// still holds (its writes are not queued).
	pid = run(t, "write", other)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: other, pid: pid})
	before := c.w.Stats().Events
	pid = run(t, "writes", f, "5", "1")
	c.barrier(t, dir)
	if got := c.all(func(r *record.Record) bool { return r.TGID == pid }); len(got) != 0 {
		t.Errorf("a write under the ignore mark was reported after Resume: %s", describe(&got[0]))
	}
	// Two barrier events (create, delete) are what the queue had.
	if st := c.w.Stats(); st.Events-before > 3 {
		t.Errorf("%d events queued for the writes to the ignored file after Resume", st.Events-before)
	}
}

// TestHotExec checks that a program executed very often gets an ignore
// mark for its opens for exec, and a write before its exec is then
// credited to the next program: the price of the mark.
func TestHotExec(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := watch(t, Config{SensitivePaths: []string{}, WriteDirs: []string{dir}, HotThreshold: 20, HotIgnore: time.Minute}, underDir(dir))
	run(t, "execs", "/bin/true", "100")
	c.barrier(t, dir)
	if st := c.w.Stats(); st.IgnoreMarks == 0 {
		t.Fatalf("no ignore mark after 100 execs: %+v", st)
	}
	pid := run(t, "write-exec", f)
	if r := c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid}); r.BeforeExec {
		t.Error("BeforeExec set for a write before the exec of a program under an ignore mark")
	}
}

// TestHot checks that a file written very often gets an ignore mark: the
// kernel stops queueing its writes, by any process, until the mark is
// lifted.
func TestHot(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "hot")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := watch(t, Config{Paths: []string{dir}, SensitivePaths: []string{}, WriteDirs: []string{dir}, HotThreshold: 20, HotIgnore: time.Minute, Batch: -1},
		func(r *record.Record) bool { return r.File.Path == f || strings.HasPrefix(r.File.Path, dir+"/barrier") })
	// Writes 1 ms apart, each read before the next: 20 events a second
	// are reached within the loop.
	run(t, "writes", f, "100", "1")
	c.barrier(t, dir)
	if st := c.w.Stats(); st.IgnoreMarks == 0 {
		t.Fatalf("no ignore mark after 100 writes in 100 ms: %+v", st)
	}
	// Another process's writes during the mark are not queued: no
	// record.
	before := c.w.Stats()
	pid := run(t, "writes", f, "20", "1")
	c.none(t, dir, pid, "write under an ignore mark")
	if st := c.w.Stats(); st.IgnoreMarks != before.IgnoreMarks {
		t.Errorf("%d more ignore marks during the ignore mark", st.IgnoreMarks-before.IgnoreMarks)
	}
	// The mark's time is up: it is lifted at the next read.
	c.w.mu.Lock()
	for i := range c.w.ignores {
		c.w.ignores[i].until = 0
	}
	c.w.nextHouse = 0
	c.w.mu.Unlock()
	c.barrier(t, dir)
	c.barrier(t, dir)
	pid = run(t, "write", f)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: f, pid: pid})
	if st := c.w.Stats(); st.KernelSuppressed == 0 {
		t.Errorf("no estimate of suppressed events: %+v", st)
	}
}

// TestSensitiveReplaced checks that a sensitive file replaced by rename,
// or created after Open, is watched.
func TestSensitiveReplaced(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	if err := os.Mkdir(creds, 0o755); err != nil {
		t.Fatal(err)
	}
	shadow := filepath.Join(dir, "shadow")
	if err := os.WriteFile(shadow, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	c := watch(t, Config{Paths: []string{}, SensitivePaths: []string{shadow, creds + "/*"}}, underDir(dir))

	// The new file is marked when the rename is read: a read racing with
	// that is not seen, so the test waits for the rename's record.
	tmp := filepath.Join(dir, "shadow.new")
	run(t, "create", tmp)
	pid := run(t, "rename", tmp, shadow)
	c.expect(t, fileRecord{kind: record.KindRename, op: record.OpRename, path: tmp, newPath: shadow, pid: pid})
	pid = run(t, "read", shadow)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: shadow, pid: pid})

	key := filepath.Join(creds, "key")
	pid = run(t, "create", key)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: key, pid: pid})
	pid = run(t, "read", key)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: key, pid: pid})

	// Made again by one process within the dedup window: the second
	// creation is not reported, but the new file is marked.
	key2 := filepath.Join(creds, "key2")
	pid = run(t, "recreate", key2)
	c.barrier(t, dir)
	if n := len(c.all(func(r *record.Record) bool { return r.TGID == pid && r.Kind == record.KindOpen })); n != 1 {
		t.Errorf("two creations of one name by one process: %d records, want 1", n)
	}
	pid = run(t, "read", key2)
	c.expect(t, fileRecord{kind: record.KindOpen, op: record.OpOpen, path: key2, pid: pid})
}

// TestOverflow fills the queue while nothing reads it and checks that the
// overflow is counted.
func TestOverflow(t *testing.T) {
	runctest.RequireRoot(t)
	dir := t.TempDir()
	w, err := Open(Config{Paths: []string{dir}, SensitivePaths: []string{}, Dedup: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// One event per new file (its close merges into its create): more
	// than the queue holds.
	limit := 16384
	if b, err := os.ReadFile("/proc/sys/fs/fanotify/max_queued_events"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			limit = n
		}
	}
	run(t, "flood", dir, strconv.Itoa(limit+4000))
	done := make(chan struct{})
	go func() {
		defer close(done)
		var r record.Record
		for w.Read(&r) == nil {
		}
	}()
	deadline := time.Now().Add(20 * time.Second)
	for w.Stats().Lost == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if st := w.Stats(); st.Lost == 0 {
		t.Errorf("no overflow counted: %+v", st)
	}
	w.Close()
	<-done
}

// TestClose checks that Close wakes a blocked Read, is safe twice, and
// releases every descriptor.
func TestClose(t *testing.T) {
	runctest.RequireRoot(t)
	before := openFDs(t)
	dir := t.TempDir()
	w, err := Open(Config{Paths: []string{dir}, SensitivePaths: []string{filepath.Join(dir, "*")}})
	if err != nil {
		t.Fatal(err)
	}
	if openFDs(t) <= before {
		t.Fatal("Open opened no descriptor")
	}
	errc := make(chan error, 1)
	go func() {
		var r record.Record
		for {
			if err := w.Read(&r); err != nil {
				errc <- err
				return
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5s after Close")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	var r record.Record
	if err := w.Read(&r); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
	if err := w.AddContainer(1); err == nil {
		t.Error("AddContainer after Close succeeded")
	}
	if after := openFDs(t); after != before {
		t.Errorf("%d descriptors open before Open, %d after Close", before, after)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestOpenErrors checks that bad configurations and unwatchable paths
// give clear errors.
func TestOpenErrors(t *testing.T) {
	runctest.RequireRoot(t)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Paths: []string{"relative"}}, `Paths[0] "relative": not an absolute path`},
		{Config{Paths: []string{"/nonexistent/vigil"}}, "/nonexistent/vigil: no such file or directory"},
		{Config{Paths: []string{"/proc"}}, "marking the filesystem of /proc"},
		{Config{SensitivePaths: []string{"/etc/[shadow"}}, "syntax error in pattern"},
		{Config{BufferBytes: 100}, "BufferBytes 100"},
	} {
		w, err := Open(tc.cfg)
		if err == nil {
			w.Close()
			t.Errorf("Open(%+v) succeeded", tc.cfg)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// ownFS mounts a tmpfs of the test's own, so that the events a test counts
// are not mixed with those of whatever else runs on the machine.
func ownFS(t *testing.T) string {
	t.Helper()
	runctest.RequireRoot(t)
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=4m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}
