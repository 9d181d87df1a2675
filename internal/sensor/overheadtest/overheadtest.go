//go:build linux

// Package overheadtest measures what a sensor costs the processes it
// watches, for the sensor packages' benchmarks.
//
// A loop of one operation (exec, open, connect, ...) runs in a child
// process: the test binary itself, re-executed, which a package's TestMain
// hands to Main. The benchmark asks the child for batches of operations
// and switches the sensor on and off between batches, so that a run
// alternates with and without the sensor every few tens of milliseconds:
// the machines are shared and their speed drifts by ±10% over seconds,
// which alternating whole runs does not average out.
package overheadtest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// loopEnv names the loop a re-executed test binary serves (see Main).
const loopEnv = "VIGIL_OVERHEAD_LOOP"

// Loops are the operations a child can repeat.
var Loops = []string{"exec", "open-read", "open-write", "create-unlink", "create-files", "connect", "mmap"}

// FilesPerDir is how many files the create-files loop makes in one
// directory before it moves on to the next.
const FilesPerDir = 1000

// Main serves loop batches and exits when the test binary was started as
// a loop child; otherwise it returns at once. Call it first in TestMain.
func Main() {
	kind := os.Getenv(loopEnv)
	if kind == "" {
		return
	}
	if err := serve(kind, os.Args[1], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "loop "+kind+":", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serve reads batch sizes, one a line, runs each batch and writes its wall
// and CPU time (this process and its waited-for children, user and
// system) in ns.
func serve(kind, dir string, in io.Reader, out io.Writer) error {
	op, cleanup, err := loopOp(kind, dir)
	if err != nil {
		return err
	}
	defer cleanup()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			return err
		}
		c0 := cpuTime()
		start := time.Now()
		for range n {
			if err := op(); err != nil {
				return err
			}
		}
		wall := time.Since(start)
		cpu := cpuTime() - c0
		if _, err := fmt.Fprintln(out, wall.Nanoseconds(), cpu.Nanoseconds()); err != nil {
			return err
		}
	}
	return sc.Err()
}

// cpuTime is the CPU time of this process and its waited-for children.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + kids.Utime.Nano() + kids.Stime.Nano())
}

// loopOp returns one operation of a loop working in dir.
func loopOp(kind, dir string) (op func() error, cleanup func(), err error) {
	cleanup = func() {}
	switch kind {
	case "exec":
		// A dynamically linked program, as most are.
		return func() error {
			pid, err := syscall.ForkExec("/bin/true", []string{"true"}, &syscall.ProcAttr{})
			if err != nil {
				return err
			}
			var ws syscall.WaitStatus
			_, err = syscall.Wait4(pid, &ws, 0, nil)
			return err
		}, cleanup, nil
	case "open-read", "open-write":
		// One long-lived file opened again and again, as a busy log is.
		name := filepath.Join(dir, "loop.txt")
		if err := os.WriteFile(name, []byte("x"), 0o644); err != nil {
			return nil, nil, err
		}
		flags := unix.O_RDONLY | unix.O_CLOEXEC
		if kind == "open-write" {
			flags = unix.O_WRONLY | unix.O_CLOEXEC
		}
		path := append([]byte(name), 0)
		cwd := unix.AT_FDCWD
		return func() error {
			fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(cwd), uintptr(unsafe.Pointer(&path[0])), uintptr(flags), 0, 0, 0)
			if e != 0 {
				return e
			}
			unix.Syscall(unix.SYS_CLOSE, fd, 0, 0)
			return nil
		}, cleanup, nil
	case "create-unlink":
		name := filepath.Join(dir, "created.txt")
		return func() error {
			fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
			if err != nil {
				return err
			}
			unix.Close(fd)
			return unix.Unlink(name)
		}, cleanup, nil
	case "create-files":
		// A new name every time, as an unpacked archive or a build makes
		// them: each file is created, closed and removed, FilesPerDir in
		// one new directory, removed when the next one is made.
		i := 0
		var cur string
		cleanup = func() {
			if cur != "" {
				os.Remove(cur)
			}
		}
		return func() error {
			if i%FilesPerDir == 0 {
				if cur != "" {
					if err := os.Remove(cur); err != nil {
						return err
					}
				}
				cur = filepath.Join(dir, "d"+strconv.Itoa(i/FilesPerDir))
				if err := os.Mkdir(cur, 0o755); err != nil {
					return err
				}
			}
			name := filepath.Join(cur, "f"+strconv.Itoa(i%FilesPerDir))
			i++
			fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
			if err != nil {
				return err
			}
			unix.Close(fd)
			return unix.Unlink(name)
		}, cleanup, nil
	case "connect":
		// TCP connections to listeners of the same process on loopback,
		// in turn: one listener's TIME_WAIT sockets would slow the choice
		// of the next local port, more and more as the loop goes on.
		var lns []net.Listener
		var addrs []string
		cleanup = func() {
			for _, ln := range lns {
				ln.Close()
			}
		}
		for range 16 {
			ln, err := net.Listen("tcp4", "127.0.0.1:0")
			if err != nil {
				cleanup()
				return nil, nil, err
			}
			lns = append(lns, ln)
			addrs = append(addrs, ln.Addr().String())
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					c.Close()
				}
			}()
		}
		i := 0
		return func() error {
			i++
			c, err := net.Dial("tcp4", addrs[i%len(addrs)])
			if err != nil {
				return err
			}
			return c.Close()
		}, cleanup, nil
	case "mmap":
		// Private writable memory mapped and unmapped: the kernel checks a
		// capability (cap_vm_enough_memory) for each map.
		return func() error {
			b, err := unix.Mmap(-1, 0, 4<<10, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
			if err != nil {
				return err
			}
			return unix.Munmap(b)
		}, cleanup, nil
	}
	return nil, nil, fmt.Errorf("unknown loop %q (have %s)", kind, strings.Join(Loops, ", "))
}

// Child is a loop child process.
type Child struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	errs strings.Builder
	// PID is the child's process id.
	PID int
}

// Start starts a child serving loop kind in dir (which it may write in);
// it is stopped when the test ends.
func Start(tb testing.TB, kind, dir string) *Child {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	c := &Child{cmd: exec.Command(exe, dir)}
	c.cmd.Env = append(os.Environ(), loopEnv+"="+kind)
	c.cmd.Stderr = &c.errs
	if c.in, err = c.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	c.out = bufio.NewScanner(out)
	if err := c.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c.PID = c.cmd.Process.Pid
	tb.Cleanup(func() {
		c.in.Close()
		c.cmd.Wait()
	})
	return c
}

// Run has the child run n operations and returns their wall and CPU time.
func (c *Child) Run(tb testing.TB, n int) (wall, cpu time.Duration) {
	tb.Helper()
	if _, err := fmt.Fprintln(c.in, n); err != nil {
		tb.Fatalf("loop child: %v: %s", err, c.errs.String())
	}
	if !c.out.Scan() {
		tb.Fatalf("loop child ended: %v: %s", c.out.Err(), c.errs.String())
	}
	f := strings.Fields(c.out.Text())
	if len(f) != 2 {
		tb.Fatalf("loop child printed %q", c.out.Text())
	}
	w, err1 := strconv.ParseInt(f[0], 10, 64)
	u, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("loop child printed %q", c.out.Text())
	}
	return time.Duration(w), time.Duration(u)
}

// State is one way of running the loop besides the baseline: On puts it
// in place, Off takes it away again (back to the baseline).
type State struct {
	// Name prefixes the state's metrics: "" gives ratio, median-ratio,
	// cpu-ratio and ns/op-with; another name gives NAME-ratio.
	Name    string
	On, Off func() error
}

// Compare measures the loop in batches of n operations, one batch in each
// state and one in the baseline (every state off) per round, for each of
// the benchmark's iterations (-benchtime 40x is 40 rounds), the order
// rotating from round to round. After switching a state off it waits
// settle, for the sensor to finish with the last batch's events before the
// next batch. It reports the
// first state's ratio (summed wall time in it over the baseline's),
// median-ratio (the median of the rounds' ratios), cpu-ratio (the same
// with the child's CPU time) and the ns per operation in both, and the
// other states' ratios; it returns the number of rounds. Every state must
// be off when it is called.
func Compare(b *testing.B, c *Child, n int, settle time.Duration, states ...State) int {
	b.Helper()
	if len(states) == 0 {
		b.Fatal("overheadtest: no state to compare")
	}
	modes := len(states) + 1 // 0 is the baseline
	wall := make([]time.Duration, modes)
	cpu := make([]time.Duration, modes)
	var ratios []float64
	current := 0
	set := func(mode int) {
		if mode == current {
			return
		}
		if current > 0 {
			if err := states[current-1].Off(); err != nil {
				b.Fatal(err)
			}
			time.Sleep(settle)
		}
		if mode > 0 {
			if err := states[mode-1].On(); err != nil {
				b.Fatal(err)
			}
		}
		current = mode
	}
	defer set(0)
	c.Run(b, n/4+1) // warm the caches and the child
	round := 0
	for b.Loop() {
		var got [2]time.Duration
		for i := range modes {
			mode := (round + i) % modes
			set(mode)
			w, u := c.Run(b, n)
			wall[mode] += w
			cpu[mode] += u
			if mode <= 1 {
				got[mode] = w
			}
		}
		ratios = append(ratios, float64(got[1])/float64(got[0]))
		if os.Getenv("VIGIL_OVERHEAD_TRACE") != "" {
			fmt.Fprintf(os.Stderr, "round %d: without %v with %v ratio %.3f\n", round, got[0], got[1], ratios[len(ratios)-1])
		}
		round++
	}
	b.StopTimer()
	slices.Sort(ratios)
	ops := float64(round * n)
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "ratio")
	b.ReportMetric(ratios[len(ratios)/2], "median-ratio")
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-ratio")
	b.ReportMetric(float64(wall[1])/ops, "ns/op-with")
	b.ReportMetric(float64(wall[0])/ops, "ns/op-without")
	for i, st := range states[1:] {
		b.ReportMetric(float64(wall[i+2])/float64(wall[0]), st.Name+"-ratio")
	}
	return round
}

// PeakRSS returns this process's peak resident set size (VmHWM) in bytes,
// 0 when /proc does not say.
func PeakRSS() int64 { return status("VmHWM:") }

// RSS returns this process's resident set size (VmRSS) in bytes, 0 when
// /proc does not say.
func RSS() int64 { return status("VmRSS:") }

// ResetPeakRSS sets this process's peak resident set size (VmHWM) to its
// current one, so that PeakRSS measures from now on (start-up's peaks
// left out).
func ResetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// status reads one size field of /proc/self/status, in bytes.
func status(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == field {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
