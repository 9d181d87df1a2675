//go:build linux

package fanotify

import (
	"bufio"
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/overheadtest"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// actionEnv selects what a re-executed test binary does (see TestMain).
const actionEnv = "VIGIL_FANTEST_ACTION"

func TestMain(m *testing.M) {
	overheadtest.Main()
	if a := os.Getenv(actionEnv); a != "" {
		if err := runAction(a, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, a+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runAction does one file operation (in a child process of the test).
func runAction(name string, args []string) error {
	need := map[string]int{"create": 1, "create-wait": 1, "write": 1, "chmod": 2, "rename": 2, "unlink": 1, "rmdir": 1,
		"mkdir": 1, "read": 1, "touch": 1, "create-unlink": 2, "flood": 2, "ovl": 5, "writes": 2, "write-cycle": 3, "write-chmod": 2, "recreate": 1, "write-exec": 1, "execs": 2}
	if n, ok := need[name]; !ok || len(args) < n {
		return fmt.Errorf("unknown action or too few arguments: %s %q", name, args)
	}
	switch name {
	case "create":
		return os.WriteFile(args[0], []byte("created\n"), 0o644)
	case "create-wait":
		if err := os.WriteFile(args[0], []byte("created\n"), 0o644); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, os.Stdin)
		return err
	case "write":
		f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteString("more\n"); err != nil {
			return err
		}
		return f.Close()
	case "execs":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		for range n {
			if err := exec.Command(args[0]).Run(); err != nil {
				return err
			}
		}
		return nil
	case "write-exec":
		// A shell's last command: the write, then at once another
		// program in the same process.
		if err := runAction("write", args); err != nil {
			return err
		}
		return unix.Exec("/bin/true", []string{"true"}, nil)
	case "recreate":
		for _, a := range []string{"create", "unlink", "create"} {
			if err := runAction(a, args); err != nil {
				return err
			}
		}
		return nil
	case "write-chmod":
		if err := runAction("write", args[:1]); err != nil {
			return err
		}
		return runAction("chmod", args)
	case "writes":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		var pause time.Duration
		if len(args) > 2 {
			ms, err := strconv.Atoi(args[2])
			if err != nil {
				return err
			}
			pause = time.Duration(ms) * time.Millisecond
		}
		for i := 0; i < n; i++ {
			fd, err := unix.Open(args[0], unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			unix.Close(fd)
			time.Sleep(pause)
		}
		return nil
	case "chmod":
		mode, err := strconv.ParseUint(args[1], 8, 32)
		if err != nil {
			return err
		}
		return os.Chmod(args[0], os.FileMode(mode))
	case "create-unlink":
		// Creates and removes dir/c.txt N times: create-unlink DIR N.
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		name := filepath.Join(args[0], "c.txt")
		for range n {
			fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
			if err != nil {
				return err
			}
			unix.Close(fd)
			if err := unix.Unlink(name); err != nil {
				return err
			}
		}
		return nil
	case "rename":
		return os.Rename(args[0], args[1])
	case "unlink":
		return unix.Unlink(args[0])
	case "rmdir":
		return unix.Rmdir(args[0])
	case "mkdir":
		return os.Mkdir(args[0], 0o755)
	case "read":
		_, err := os.ReadFile(args[0])
		return err
	case "touch":
		// As touch(1): both times set to the kernel's now.
		now := []unix.Timespec{{Nsec: unix.UTIME_NOW}, {Nsec: unix.UTIME_NOW}}
		return unix.UtimesNanoAt(unix.AT_FDCWD, args[0], now, 0)
	case "flood":
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			fd, err := unix.Open(filepath.Join(args[0], "f"+strconv.Itoa(i)), unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
			if err != nil {
				return err
			}
			unix.Close(fd)
		}
		return nil
	case "write-cycle":
		files, err1 := strconv.Atoi(args[1])
		n, err2 := strconv.Atoi(args[2])
		if err := errors.Join(err1, err2); err != nil {
			return err
		}
		names := make([]string, files)
		for i := range names {
			names[i] = filepath.Join(args[0], "w"+strconv.Itoa(i))
			if err := os.WriteFile(names[i], nil, 0o644); err != nil {
				return err
			}
		}
		fmt.Println("ready")
		for i := 0; i < n; i++ {
			fd, err := unix.Open(names[i%files], unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			unix.Close(fd)
		}
		return nil
	case "ovl":
		return overlayContainer(args[0], args[1], args[2], args[3], args[4] == "1")
	}
	return nil
}

// overlayContainer plays a container on overlayfs: in its own mount
// namespace (the parent starts it with CLONE_NEWNS) it mounts an overlay,
// pivots into it, and then does the operations read from stdin, one a
// line, answering "ok" or the error.
func overlayContainer(lower, upper, work, merged string, nfsExport bool) error {
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	if nfsExport {
		opts += ",index=on,nfs_export=on"
	}
	if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay %s: %w", opts, err)
	}
	if err := unix.PivotRoot(merged, merged+"/.oldroot"); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.oldroot", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount old root: %w", err)
	}
	fmt.Println("ready")
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if err := runAction(f[0], f[1:]); err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println("ok")
	}
	return nil
}

// run runs one action in a child process and returns the child's pid.
func run(t testing.TB, action string, args ...string) uint32 {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), actionEnv+"="+action)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v: %s", action, args, err, out)
	}
	return uint32(cmd.Process.Pid)
}

// start starts an action in a child process that waits for its stdin to
// close when done, and returns its pid and the function that ends it.
func start(t testing.TB, action string, args ...string) (uint32, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), actionEnv+"="+action)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		in.Close()
		cmd.Wait()
	}
	t.Cleanup(stop)
	return uint32(cmd.Process.Pid), stop
}

// collector reads a Watcher's records in the background and keeps those
// that keep accepts.
type collector struct {
	w      *Watcher
	keep   func(*record.Record) bool
	mu     sync.Mutex
	recs   []record.Record
	notify chan struct{}
	err    error
	done   chan struct{}
}

// watch opens a Watcher and collects its records until the test ends.
func watch(t testing.TB, cfg Config, keep func(*record.Record) bool) *collector {
	t.Helper()
	runctest.RequireRoot(t)
	w, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{w: w, keep: keep, notify: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	t.Cleanup(func() {
		w.Close()
		<-c.done
	})
	return c
}

func (c *collector) run() {
	defer close(c.done)
	var r record.Record
	for {
		err := c.w.Read(&r)
		if errors.Is(err, ErrClosed) {
			return
		}
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else if c.keep(&r) {
			c.recs = append(c.recs, r)
			close(c.notify)
			c.notify = make(chan struct{})
		}
		c.mu.Unlock()
	}
}

// wait returns the first record (in arrival order) for which match is
// true, failing the test if none arrives within a generous time.
func (c *collector) wait(t testing.TB, what string, match func(*record.Record) bool) record.Record {
	t.Helper()
	deadline := time.After(20 * time.Second)
	seen := 0
	for {
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			t.Fatalf("reading records: %v", err)
		}
		for ; seen < len(c.recs); seen++ {
			if match(&c.recs[seen]) {
				r := c.recs[seen]
				c.mu.Unlock()
				return r
			}
		}
		ch := c.notify
		c.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no %s record within 20s; records kept:\n%s", what, c.dump())
		}
	}
}

// all returns the records so far for which match is true.
func (c *collector) all(match func(*record.Record) bool) []record.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []record.Record
	for i := range c.recs {
		if match(&c.recs[i]) {
			out = append(out, c.recs[i])
		}
	}
	return out
}

func (c *collector) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	for i := range c.recs {
		fmt.Fprintf(&b, "  %s\n", describe(&c.recs[i]))
	}
	return b.String()
}

func describe(r *record.Record) string {
	return fmt.Sprintf("%s %s pid=%d path=%q new=%q flags=%#o mode=%#o ino=%d deleted=%v",
		r.Kind, r.File.Op, r.TGID, r.File.Path, r.File.NewPath, r.File.Flags, r.File.Mode, r.File.Inode, r.File.Deleted)
}

// barrier has a child create a file under dir and waits for its record:
// every event before it has been read.
func (c *collector) barrier(t testing.TB, dir string) {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("barrier-%d", time.Now().UnixNano()))
	pid := run(t, "create", p)
	c.wait(t, "barrier", func(r *record.Record) bool { return r.TGID == pid && r.File.Path == p })
}

// none creates a barrier in dir and fails the test if process pid has a
// record by then: what it did must not be reported.
func (c *collector) none(t testing.TB, dir string, pid uint32, what string) {
	t.Helper()
	c.barrier(t, dir)
	if got := c.all(func(r *record.Record) bool { return r.TGID == pid }); len(got) != 0 {
		t.Errorf("%s reported: %s", what, describe(&got[0]))
	}
}

// under returns a keep function for records with a path under dir.
func underDir(dir string) func(*record.Record) bool {
	return func(r *record.Record) bool {
		return strings.HasPrefix(r.File.Path, dir+"/") || strings.HasPrefix(r.File.NewPath, dir+"/")
	}
}
