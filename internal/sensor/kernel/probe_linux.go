//go:build linux && amd64

package kernel

import (
	"errors"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
)

// Hook kinds.
const (
	HookTPBTF  = "tp_btf"
	HookRawTP  = "raw_tp"
	HookFentry = "fentry"
	HookLSM    = "lsm"
	HookKprobe = "kprobe"
)

// Hook is one kernel attachment point and whether the sensor uses it.
type Hook struct {
	Name   string // tracepoint or kernel function
	Kind   string // HookTPBTF, HookRawTP, HookFentry, HookLSM, HookKprobe
	Active bool   // attached and running
	Err    error  // why it is not active (nil when active, or when merely not chosen)
}

// returnZero is the body of every probe program.
var returnZero = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}

// probeAttach loads a trivial program of the given type and attaches it,
// then removes it. nil means the kernel accepts that kind of hook.
func probeAttach(kind string) error {
	spec := &ebpf.ProgramSpec{Instructions: returnZero, License: "GPL"}
	var attach func(*ebpf.Program) (link.Link, error)
	switch kind {
	case HookTPBTF:
		spec.Type, spec.AttachType, spec.AttachTo = ebpf.Tracing, ebpf.AttachTraceRawTp, "sys_exit"
		attach = func(p *ebpf.Program) (link.Link, error) { return link.AttachTracing(link.TracingOptions{Program: p}) }
	case HookRawTP:
		spec.Type = ebpf.RawTracepoint
		attach = func(p *ebpf.Program) (link.Link, error) {
			return link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sys_exit", Program: p})
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
