//go:build linux

package sensor

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

func TestEventCoverage(t *testing.T) {
	sysKinds := []record.Kind{record.KindOpen, record.KindDup, record.KindMemfd, record.KindPtrace, record.KindSetID}
	capHook := kernel.Hook{Name: "cap_capable", Active: true, Kinds: []record.Kind{record.KindPtrace, record.KindSetID, record.KindMount},
		Partial: map[record.Kind]string{record.KindPtrace: "only privileged ptrace"}}
	sched := kernel.Hook{Name: "sched_process_exec", Active: true, Kinds: []record.Kind{record.KindExec}}
	def := eventCoverage([]kernel.Hook{
		sched, capHook,
		{Name: "sys_exit", Kinds: sysKinds},
		{Name: "connect4", Kinds: []record.Kind{record.KindConnect}, Err: errors.New("refused")},
	}, true)
	for name, want := range map[string]Coverage{
		"execve":       {Produced: true},
		"create":       {Produced: true}, // fanotify
		"ptrace":       {Produced: true, Why: "cap_capable: only privileged ptrace"},
		"setuid":       {Produced: true},
		"dup":          {Why: "reported by sys_exit (not in this hook set)"},
		"memfd_create": {Why: "reported by sys_exit (not in this hook set)"},
		"connect":      {Why: "reported by connect4: refused"},
		"fork":         {Why: "no hook reports it"},
	} {
		if got := def[name]; got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if len(def) != int(vocab.Count) {
		t.Errorf("%d events covered, want %d", len(def), vocab.Count)
	}
	// With the syscall tracepoint, ptrace is reported in full.
	sys := eventCoverage([]kernel.Hook{sched, {Name: "cap_capable", Kinds: capHook.Kinds, Partial: capHook.Partial}, {Name: "sys_exit", Active: true, Kinds: sysKinds}}, false)
	if got := sys["ptrace"]; !got.Produced || got.Why != "" {
		t.Errorf("ptrace with sys_exit: %+v", got)
	}
	if got := sys["read"]; !got.Produced || strings.Contains(got.Why, "fanotify") {
		t.Errorf("read with sys_exit: %+v", got)
	}
}
