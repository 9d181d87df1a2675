//go:build linux && amd64

package kernel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"github.com/vigilsec/vigil/internal/sensor/record"
)

// Hook kinds.
const (
	HookTPBTF  = "tp_btf"
	HookRawTP  = "raw_tp"
	HookCgroup = "cgroup" // a cgroup sock_addr program on the cgroup v2 root
	HookFentry = "fentry"
	HookLSM    = "lsm"
	HookKprobe = "kprobe"
)

// Hook is one kernel attachment point and whether the sensor uses it.
type Hook struct {
	Name   string        // tracepoint, kernel function, or cgroup attach point (connect4, bind6, ...)
	Kind   string        // HookTPBTF, HookRawTP, HookCgroup, HookFentry, HookLSM, HookKprobe
	Active bool          // attached and running
	Err    error         // why it is not active (nil when active, or when merely not chosen)
	Kinds  []record.Kind // the record kinds it reports (nil for hook kinds the sensor does not use)
	// Partial names the kinds the hook reports only in part, and says
	// which calls it misses.
	Partial map[record.Kind]string
}

// returnZero is the body of every probe program.
var returnZero = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}

// probeTracepoint is the tracepoint the hook kind probes attach to: one off
// the syscall path, which the sensor attaches in every configuration.
const probeTracepoint = "sched_process_exit"

// probeAttach loads a trivial program of the given type and attaches it,
// then removes it. nil means the kernel accepts that kind of hook.
func probeAttach(kind string) error {
	spec := &ebpf.ProgramSpec{Instructions: returnZero, License: "GPL"}
	var attach func(*ebpf.Program) (link.Link, error)
	switch kind {
	case HookTPBTF:
		spec.Type, spec.AttachType, spec.AttachTo = ebpf.Tracing, ebpf.AttachTraceRawTp, probeTracepoint
		attach = func(p *ebpf.Program) (link.Link, error) { return link.AttachTracing(link.TracingOptions{Program: p}) }
	case HookRawTP:
		spec.Type = ebpf.RawTracepoint
		attach = func(p *ebpf.Program) (link.Link, error) {
			return link.AttachRawTracepoint(link.RawTracepointOptions{Name: probeTracepoint, Program: p})
		}
	case HookFentry:
		spec.Type, spec.AttachType, spec.AttachTo = ebpf.Tracing, ebpf.AttachTraceFEntry, "vfs_open"
		attach = func(p *ebpf.Program) (link.Link, error) { return link.AttachTracing(link.TracingOptions{Program: p}) }
	case HookLSM:
		spec.Type, spec.AttachType, spec.AttachTo = ebpf.LSM, ebpf.AttachLSMMac, "file_open"
		attach = func(p *ebpf.Program) (link.Link, error) { return link.AttachLSM(link.LSMOptions{Program: p}) }
	case HookKprobe:
		spec.Type = ebpf.Kprobe
		attach = func(p *ebpf.Program) (link.Link, error) { return link.Kprobe("vfs_open", p, nil) }
	default:
		return errors.New("unknown hook kind " + kind)
	}
	prog, err := ebpf.NewProgram(spec)
	if err != nil {
		return err
	}
	defer prog.Close()
	l, err := attach(prog)
	if err != nil {
		return err
	}
	return l.Close()
}

// probeTracepointHook says whether the kernel has the tracepoint name for a
// tp_btf (btf) or raw_tp program. A tp_btf program is only loaded (the load
// fails when the kernel's BTF has no such tracepoint); a raw_tp one is
// attached and removed.
func probeTracepointHook(name string, btf bool) error {
	if btf {
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
			Type: ebpf.Tracing, AttachType: ebpf.AttachTraceRawTp, AttachTo: name,
			Instructions: returnZero, License: "GPL",
		})
		if err != nil {
			return err
		}
		return prog.Close()
	}
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.RawTracepoint, Instructions: returnZero, License: "GPL"})
	if err != nil {
		return err
	}
	defer prog.Close()
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: name, Program: prog})
	if err != nil {
		return err
	}
	return l.Close()
}

// probeCgroupHook says whether the kernel accepts a cgroup sock_addr
// program for the attach type. The program is loaded, never attached.
func probeCgroupHook(attach ebpf.AttachType) error {
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type: ebpf.CGroupSockAddr, AttachType: attach,
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()}, License: "GPL",
	})
	if err != nil {
		return err
	}
	return prog.Close()
}

// cgroup2Root returns where the cgroup v2 hierarchy's root is mounted,
// read from /proc/self/mountinfo.
func cgroup2Root() (string, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	return cgroup2RootIn(data)
}

// cgroup2RootIn finds the first cgroup2 mount of the hierarchy's root in a
// mountinfo file's contents.
func cgroup2RootIn(mountinfo []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		m, err := mounts.ParseLine(sc.Text())
		if err != nil || m.FSType != "cgroup2" || m.Root != "/" {
			continue
		}
		return m.Point, nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New("no cgroup2 mount of the hierarchy's root in /proc/self/mountinfo")
}

// unavailable marks a hook kind the sensor does not use: nil when the kernel would accept it.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("not available on this kernel: %w", err)
}
