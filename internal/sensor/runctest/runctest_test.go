package runctest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func TestRunToCompletion(t *testing.T) {
	c := Start(t, Options{
		Args: []string{"sh", "-c", "echo out; echo err >&2; cat /proc/self/cgroup; exit 7"},
	})
	if code := c.Wait(20 * time.Second); code != 7 {
		t.Fatalf("exit code %d, want 7; stderr %q", code, c.Stderr())
	}
	out := c.Stdout()
	if !strings.HasPrefix(out, "out\n") {
		t.Errorf("stdout %q does not start with the container's output", out)
	}
	if !strings.Contains(c.Stderr(), "err") {
		t.Errorf("stderr %q lacks the container's output", c.Stderr())
	}
	// The container's cgroup is named by its id (runc's default).
	if !strings.Contains(out, "/"+c.ID+"\n") {
		t.Errorf("container cgroup does not name %s:\n%s", c.ID, out)
	}
}

func TestExecAndPID(t *testing.T) {
	c := Start(t, Options{Args: []string{"sleep", "60"}, UID: 65534, GID: 65534, Env: []string{"VT_X=1"}})
	if c.PID() <= 1 {
		t.Fatalf("pid %d", c.PID())
	}
	// The host pid runs busybox from the container's rootfs.
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", c.PID()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(exe, "/bin/busybox") {
		t.Errorf("container pid %d runs %s", c.PID(), exe)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", c.PID()))
	if string(cmdline) != "sleep\x0060\x00" {
		t.Errorf("cmdline %q", cmdline)
	}
	out, err := c.Exec("id", "-u")
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "65534" { // runc exec runs as the container's user
		t.Errorf("exec id -u = %q", out)
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.PID()))
	if !strings.Contains(string(status), "Uid:\t65534\t") {
		t.Errorf("container process is not uid 65534:\n%s", status)
	}
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", c.PID()))
	if !strings.Contains(string(env), "VT_X=1") {
		t.Errorf("environment %q lacks VT_X", env)
	}
	if _, err := c.Exec("sh", "-c", "exit 3"); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing exec gave %v", err)
	}

	p := c.StartExec("sh", "-c", "sleep 0.3; echo done")
	if p.PID() <= 1 || p.PID() == c.PID() {
		t.Errorf("exec pid %d", p.PID())
	}
	if code := p.Wait(); code != 0 || strings.TrimSpace(p.Stdout()) != "done" {
		t.Errorf("exec exit %d output %q", code, p.Stdout())
	}
	if c.Exited() {
		t.Fatal("container exited early")
	}
	c.Kill()
	if code := c.Wait(20 * time.Second); code == 0 {
		t.Errorf("killed container exit code 0")
	}
}

func TestFilesAndHostLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		line, _ := bufio.NewReader(conn).ReadString('\n')
		got <- line
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	c := Start(t, Options{
		Files: map[string][]byte{"/opt/hello.sh": []byte("#!/bin/sh\necho hello from $0\n")},
		Args:  []string{"sh", "-c", fmt.Sprintf("/opt/hello.sh | nc 127.0.0.1 %d", port)},
		Cwd:   "/tmp",
	})
	if code := c.Wait(20 * time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, c.Stderr())
	}
	select {
	case line := <-got:
		if line != "hello from /opt/hello.sh\n" {
			t.Errorf("listener got %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no connection from the container")
	}
}

func TestCleanupDeletes(t *testing.T) {
	var id string
	t.Run("inner", func(t *testing.T) {
		c := Start(t, Options{})
		id = c.ID
		if _, err := os.Stat("/run/runc/" + id); err != nil {
			t.Fatalf("no runc state for %s: %v", id, err)
		}
	})
	if _, err := os.Stat("/run/runc/" + id); !os.IsNotExist(err) {
		t.Errorf("state of %s still there after the test: %v", id, err)
	}
}

func TestUniqueID(t *testing.T) {
	a, b := UniqueID(t), UniqueID(t)
	if a == b || !strings.HasPrefix(a, "vt-TestUniqueID-") {
		t.Errorf("ids %q %q", a, b)
	}
}

func TestBusyboxMustBeStatic(t *testing.T) {
	saved := Busybox
	defer func() { Busybox = saved }()
	Busybox = []string{"/nonexistent/busybox", "/bin/ls"}
	_, err := findBusybox()
	if err == nil || !strings.Contains(err.Error(), "no static busybox") ||
		!strings.Contains(err.Error(), "/nonexistent/busybox") || !strings.Contains(err.Error(), "/bin/ls is dynamically linked") {
		t.Errorf("findBusybox with no static busybox: %v", err)
	}
}
