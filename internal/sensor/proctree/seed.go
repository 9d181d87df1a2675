package proctree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Seed adds every process now in ProcRoot to the tree, with its parent
// links, and returns how many it added. Processes that exit while being
// read are skipped; malformed files are counted and reported, and skipped.
// Call it before the first observation.
func (t *Tree[D]) Seed() (int, error) {
	entries, err := os.ReadDir(t.cfg.ProcRoot)
	if err != nil {
		return 0, fmt.Errorf("seeding the process tree: %w", err)
	}
	boot := bootTime()
	var procs []Process[D]
	for _, e := range entries {
		pid, err := strconv.ParseInt(e.Name(), 10, 32)
		if err != nil || pid <= 0 {
			continue
		}
		p, err := readProc[D](t.cfg.ProcRoot, int32(pid), boot)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ESRCH) {
				t.procErrors.Add(1)
				if t.cfg.OnError != nil {
					t.cfg.OnError(err)
				}
			}
			continue
		}
		procs = append(procs, p)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	added := 0
	for _, p := range procs {
		if old := t.pids[p.PID]; old != nil {
			continue
		}
		t.addSeeded(p)
		added++
	}
	for _, p := range procs {
		n := t.pids[p.PID]
		if n == nil || !n.p.Seeded || n.parent != nil {
			continue
		}
		if pp := t.pids[p.PPID]; pp != nil {
			t.setParent(n, pp)
		}
	}
	return added, nil
}

// readProc reads one process from /proc/<pid>. The stat file must be
// there and well formed; exe and cwd may be unreadable (kernel threads,
// other users' processes) and are left empty.
func readProc[D any](procRoot string, pid int32, boot time.Time) (Process[D], error) {
	dir := filepath.Join(procRoot, strconv.Itoa(int(pid)))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Process[D]{}, err
	}
	st, err := ParseStat(stat)
	if err != nil {
		return Process[D]{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	if st.PID != pid {
		return Process[D]{}, fmt.Errorf("%s/stat: names pid %d", dir, st.PID)
	}
	p := Process[D]{PID: pid, PPID: st.PPID, Start: boot.Add(time.Duration(st.StartTicks) * (time.Second / clockTicks))}
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		uid, gid, err := ParseStatusIDs(status)
		if err != nil {
			return Process[D]{}, fmt.Errorf("%s/status: %w", dir, err)
		}
		p.UID, p.GID = uid, gid
	} else {
		return Process[D]{}, err
	}
	p.Exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	p.Cwd, _ = os.Readlink(filepath.Join(dir, "cwd"))
	if cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
		p.Argv = ParseCmdline(cmdline)
	}
	if len(p.Argv) == 0 && st.Comm != "" {
		// A kernel thread, or a process that cleared its command line.
		p.Argv = []string{"[" + st.Comm + "]"}
	}
	return p, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times, 100 on
// every Linux architecture.
const clockTicks = 100

// Stat is what this package reads from /proc/<pid>/stat.
type Stat struct {
	PID        int32
	Comm       string
	PPID       int32
	StartTicks uint64 // clock ticks after boot
}

// ParseStat parses the content of /proc/<pid>/stat.
func ParseStat(data []byte) (Stat, error) {
	open := bytes.IndexByte(data, '(')
	// The command name may hold ')' itself: it ends at the last one.
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return Stat{}, fmt.Errorf("no parenthesised command name")
	}
	pid, err := strconv.ParseInt(string(bytes.TrimSpace(data[:open])), 10, 32)
	if err != nil {
		return Stat{}, fmt.Errorf("pid %q: not a number", truncate(data[:open]))
	}
	st := Stat{PID: int32(pid), Comm: string(data[open+1 : closing])}
	fields := strings.Fields(string(data[closing+1:]))
	// fields[0] is field 3 (state); ppid is field 4, starttime field 22.
	if len(fields) < 20 {
		return Stat{}, fmt.Errorf("%d fields after the command name, want at least 20", len(fields))
	}
	ppid, err := strconv.ParseInt(fields[1], 10, 32)
	if err != nil {
		return Stat{}, fmt.Errorf("ppid %q: not a number", truncate([]byte(fields[1])))
	}
	st.PPID = int32(ppid)
	if st.StartTicks, err = strconv.ParseUint(fields[19], 10, 64); err != nil {
		return Stat{}, fmt.Errorf("starttime %q: not a number", truncate([]byte(fields[19])))
	}
	return st, nil
}

// ParseStatusIDs reads the real uid and gid from the content of
// /proc/<pid>/status.
func ParseStatusIDs(data []byte) (uid, gid uint32, err error) {
	var haveUID, haveGID bool
	for _, line := range bytes.Split(data, []byte("\n")) {
		var dst *uint32
		var have *bool
		switch {
		case bytes.HasPrefix(line, []byte("Uid:")):
			dst, have = &uid, &haveUID
		case bytes.HasPrefix(line, []byte("Gid:")):
			dst, have = &gid, &haveGID
		default:
			continue
		}
		f := bytes.Fields(line[4:])
		if len(f) == 0 {
			return 0, 0, fmt.Errorf("line %q has no ids", truncate(line))
		}
		v, err := strconv.ParseUint(string(f[0]), 10, 32)
		if err != nil {
			return 0, 0, fmt.Errorf("line %q: id %q is not a number", truncate(line), truncate(f[0]))
		}
		*dst, *have = uint32(v), true
	}
	if !haveUID || !haveGID {
		return 0, 0, fmt.Errorf("no Uid or Gid line")
	}
	return uid, gid, nil
}

// ParseCmdline splits the content of /proc/<pid>/cmdline at its NULs.
func ParseCmdline(data []byte) []string {
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) == 0 {
		return nil
	}
	parts := bytes.Split(data, []byte{0})
	argv := make([]string, len(parts))
	for i, p := range parts {
		argv[i] = string(p)
	}
	return argv
}

func truncate(b []byte) string {
	if len(b) > 100 {
		return string(b[:100]) + "…"
	}
	return string(b)
}

// bootTime is the wall-clock time the system booted, from the boot-time
// clock that /proc/<pid>/stat's start times count.
func bootTime() time.Time {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}
	}
	return now.Add(-time.Duration(ts.Nano()))
}
