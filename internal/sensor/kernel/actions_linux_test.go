//go:build linux && amd64

package kernel

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// runAction is what a re-executed test binary does; each action makes the
// syscalls one test expects records of.
func runAction(name string, args []string) error {
	switch name {
	case "clone-into-cgroup":
		// Starts /bin/true with clone3's CLONE_INTO_CGROUP into the cgroup
		// directory args[0], and prints its pid.
		fd, err := unix.Open(args[0], unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		cmd := exec.Command("/bin/true")
		cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
		if err := cmd.Run(); err != nil {
			return err
		}
		fmt.Println(cmd.Process.Pid)
		return nil
	case "write-rel":
		// Opens a new file for write by a path relative to the working directory.
		if err := os.Mkdir("sub", 0o755); err != nil {
			return err
		}
		return os.WriteFile("sub/out.txt", []byte("x"), 0o644)
	case "write-twice":
		// Opens one file for write twice, then marks the end with a chmod +x.
		for range 2 {
			if err := os.WriteFile("w.txt", []byte("x"), 0o644); err != nil {
				return err
			}
		}
		return os.Chmod("w.txt", 0o755)
	case "read":
		// Reads an ordinary file, then each path in args.
		for _, p := range append([]string{"ordinary.txt"}, args...) {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			f.Close()
		}
		return nil
	case "fileops":
		if err := os.WriteFile("a", nil, 0o644); err != nil {
			return err
		}
		if err := os.Rename("a", "b"); err != nil {
			return err
		}
		if err := os.Chmod("b", 0o640); err != nil {
			return err
		}
		if err := os.Chmod("b", 0o755); err != nil {
			return err
		}
		return os.Remove("b")
	case "net":
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		c, err := net.Dial("tcp4", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		a, err := ln.Accept()
		if err != nil {
			return err
		}
		a.Close()
		fmt.Println(ln.Addr().String(), c.LocalAddr().String())
		return nil
	case "listen":
		// Listens on network args[0], address args[1] (with a socket owned
		// by uid args[2] when given); prints the address, accepts one
		// connection and prints its peer.
		if len(args) > 2 {
			// The socket is made on this thread, whose uid alone changes.
			runtime.LockOSThread()
			uid, err := strconv.Atoi(args[2])
			if err != nil {
				return err
			}
			if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
				return e
			}
		}
		ln, err := net.Listen(args[0], args[1])
		if err != nil {
			return err
		}
		defer ln.Close()
		fmt.Println(ln.Addr().String())
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Println(c.RemoteAddr().String())
		return nil
	case "dial-n":
		// Connects to network args[0], address args[1] args[2] times, one
		// connection after the other.
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		for range n {
			c, err := net.Dial(args[0], args[1])
			if err != nil {
				return err
			}
			c.Close()
		}
		return nil
	case "listen-n":
		// Listens on network args[0], address args[1], prints the address
		// and accepts connections until killed.
		ln, err := net.Listen(args[0], args[1])
		if err != nil {
			return err
		}
		defer ln.Close()
		fmt.Println(ln.Addr().String())
		for {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			c.Close()
		}
	case "dial":
		// Connects to network args[0], address args[1] and prints the local address.
		c, err := net.Dial(args[0], args[1])
		if err != nil {
			return err
		}
		defer c.Close()
		fmt.Println(c.LocalAddr().String())
		return nil
	case "unix":
		// Connects to a Unix socket by path and to an abstract one named args[0].
		for _, name := range []string{"sock", "@" + args[0]} {
			ln, err := net.Listen("unix", name)
			if err != nil {
				return err
			}
			c, err := net.Dial("unix", name)
			if err != nil {
				return err
			}
			c.Close()
			ln.Close()
		}
		return nil
	case "revshell":
		// Connects to args[0], puts the socket on stdin and stdout and runs a shell.
		c, err := net.Dial("tcp4", args[0])
		if err != nil {
			return err
		}
		f, err := c.(*net.TCPConn).File()
		if err != nil {
			return err
		}
		for _, fd := range []int{0, 1} {
			if err := unix.Dup3(int(f.Fd()), fd, 0); err != nil {
				return err
			}
		}
		return syscall.Exec("/bin/busybox", []string{"sh", "-c", "exit 0"}, os.Environ())
	case "ptrace":
		runtime.LockOSThread()
		pid, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		if err := unix.PtraceAttach(pid); err != nil {
			return err
		}
		var ws unix.WaitStatus
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
			return err
		}
		return unix.PtraceDetach(pid)
	case "memfd":
		fd, err := unix.MemfdCreate("vigiltest", 0)
		if err != nil {
			return err
		}
		src, err := os.Open("/bin/busybox")
		if err != nil {
			return err
		}
		if _, err := io.Copy(os.NewFile(uintptr(fd), "memfd"), src); err != nil {
			return err
		}
		return syscall.Exec("/proc/self/fd/"+strconv.Itoa(fd), []string{"true"}, os.Environ())
	case "wait-setuid":
		// Waits for a line on stdin, then does what "setuid" does.
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		return runAction("setuid", nil)
	case "setuid":
		runtime.LockOSThread()
		if _, _, e := unix.RawSyscall(unix.SYS_SETUID, 65534, 0, 0); e != 0 {
			return e
		}
		return nil
	case "unshare":
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWUTS); err != nil {
			return err
		}
		fd, err := unix.Open("/proc/self/ns/net", unix.O_RDONLY, 0)
		if err != nil {
			return err
		}
		return unix.Setns(fd, unix.CLONE_NEWNET)
	case "mount":
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return err
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			return err
		}
		if err := os.Mkdir("mnt", 0o755); err != nil {
			return err
		}
		if err := unix.Mount("vigiltest", "mnt", "tmpfs", unix.MS_NOSUID, "size=1m"); err != nil {
			return err
		}
		return unix.Unmount("mnt", unix.MNT_DETACH)
	case "chroot":
		runtime.LockOSThread()
		if err := os.Mkdir("root", 0o755); err != nil {
			return err
		}
		return unix.Chroot("root")
	case "finit":
		if err := os.WriteFile("bad.ko", []byte("not a kernel module"), 0o644); err != nil {
			return err
		}
		f, err := os.Open("bad.ko")
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		if err == nil {
			return fmt.Errorf("finit_module of junk succeeded")
		}
		fmt.Println(int(err.(unix.Errno)))
		return nil
	case "bpf":
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Name:         "vigil_test",
			Type:         ebpf.SocketFilter,
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
			License:      "GPL",
		})
		if err != nil {
			return err
		}
		return prog.Close()
	case "loop":
		// Runs args[1] operations of kind args[0] and prints the ns they took.
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		start := time.Now()
		if err := loop(args[0], n); err != nil {
			return err
		}
		fmt.Println(time.Since(start).Nanoseconds())
		return nil
	}
	return fmt.Errorf("unknown action %q", name)
}

// loop runs n operations of one kind for the throughput benchmarks.
func loop(kind string, n int) error {
	switch kind {
	case "open-write":
		// Opens one file for writing again and again.
		if err := os.WriteFile("bench.txt", []byte("x"), 0o644); err != nil {
			return err
		}
		for range n {
			fd, err := unix.Open("bench.txt", unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			unix.Close(fd)
		}
	case "udp-connect", "udp-connect-100k":
		// Connects one UDP socket to a loopback address again and again:
		// each connect is a record, as fast as it can or (-100k) at
		// 100,000 a second.
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		sa := &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: 9}
		paced := kind == "udp-connect-100k"
		start := time.Now()
		for i := 0; i < n; i++ {
			if paced {
				for time.Since(start) < time.Duration(i)*10*time.Microsecond {
				}
			}
			if err := unix.Connect(fd, sa); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown loop %q", kind)
	}
	return nil
}
