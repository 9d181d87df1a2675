package runtimetest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/sensor/mounts"
)

var seq atomic.Uint64

// uniqueID returns an id unique to this process derived from the test's
// name, which containerd, the CRI and podman all accept: letters and
// digits in runs joined by single '-'.
func uniqueID(t testing.TB) string {
	var b strings.Builder
	b.WriteString("vt")
	sep := true
	for _, r := range t.Name() {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if sep {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	return fmt.Sprintf("%s-%d-%d", b.String(), os.Getpid(), seq.Add(1))
}

// stateDir makes a directory for a runtime's state under the system's
// temporary directory, with a short path so that unix sockets in it fit
// in sun_path. The caller registers its removal (removeStateDir).
func stateDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	return dir
}

// removeStateDir kills what is left of the processes whose command line
// names dir (shims, conmon, containers' processes running from it),
// unmounts every mount under dir, deepest first, and removes dir.
func removeStateDir(t testing.TB, dir string) {
	t.Helper()
	for _, pid := range pidsNaming(dir) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := unmountUnder(dir); err != nil {
		t.Errorf("runtimetest: %v", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Errorf("runtimetest: removing %s: %v", dir, err)
	}
}

// pidsNaming lists the processes, other than this one, whose command line
// contains s.
func pidsNaming(s string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// mountsUnder lists the mount points at or under dir in this mount
// namespace, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mps []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m, err := mounts.ParseLine(sc.Text())
		if err != nil {
			continue
		}
		mp := m.Point
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			mps = append(mps, mp)
		}
	}
	sort.Slice(mps, func(i, j int) bool { return len(mps[i]) > len(mps[j]) })
	return mps, sc.Err()
}

func unmountUnder(dir string) error {
	var errs []error
	for range 3 { // a mount may be stacked on another at the same point
		mps, err := mountsUnder(dir)
		if err != nil {
			return fmt.Errorf("reading /proc/self/mountinfo: %w", err)
		}
		if len(mps) == 0 {
			return nil
		}
		errs = errs[:0]
		for _, mp := range mps {
			if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, fmt.Errorf("unmounting %s: %w", mp, err))
			}
		}
	}
	return errors.Join(errs...)
}

// command runs name with args and returns its standard output; the error
// names the command and carries its standard error.
func command(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), &CommandError{Args: append([]string{name}, args...), Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.String(), nil
}

// CommandError is a command that failed, with its standard error.
type CommandError struct {
	Args   []string
	Err    error
	Stderr string
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s: %v: %s", strings.Join(e.Args, " "), e.Err, e.Stderr)
}

func (e *CommandError) Unwrap() error { return e.Err }

// readPID reads a pid file, which the runtimes write whole.
func readPID(path string) (int, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(data)))
	return pid, err == nil && pid > 0
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(data, ')')
	return i < 0 || i+2 >= len(data) || data[i+2] != 'Z'
}

// waitFor polls cond every interval until it is true or timeout passes.
func waitFor(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// tail is the last n bytes of the file at path, for error messages.
func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	if len(data) > n {
		data = data[len(data)-n:]
	}
	return string(data)
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
