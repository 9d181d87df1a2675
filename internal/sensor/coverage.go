//go:build linux

package sensor

import (
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// eventKinds are the record kinds each event is made from.
var eventKinds = [vocab.Count][]kernel.Kind{
	vocab.Execve: {kernel.KindExec}, vocab.Fork: {kernel.KindFork}, vocab.Exit: {kernel.KindExit},
	vocab.Create: {kernel.KindOpen}, vocab.Write: {kernel.KindOpen}, vocab.Read: {kernel.KindOpen},
	vocab.Rename: {kernel.KindRename}, vocab.Unlink: {kernel.KindUnlink}, vocab.Rmdir: {kernel.KindUnlink},
	vocab.Chmod:   {kernel.KindChmod},
	vocab.Connect: {kernel.KindConnect}, vocab.Accept: {kernel.KindAccept}, vocab.Bind: {kernel.KindBind},
	vocab.Listen: {kernel.KindListen}, vocab.Dup: {kernel.KindDup},
	vocab.Ptrace: {kernel.KindPtrace}, vocab.Memfd: {kernel.KindMemfd},
	vocab.Setuid: {kernel.KindSetID}, vocab.Setgid: {kernel.KindSetID}, vocab.Setreuid: {kernel.KindSetID},
	vocab.Setregid: {kernel.KindSetID}, vocab.Setresuid: {kernel.KindSetID}, vocab.Setresgid: {kernel.KindSetID},
	vocab.Setfsuid: {kernel.KindSetID}, vocab.Setfsgid: {kernel.KindSetID},
	vocab.Mount: {kernel.KindMount}, vocab.Unshare: {kernel.KindUnshare}, vocab.Setns: {kernel.KindSetns},
	vocab.InitModule: {kernel.KindModule}, vocab.FinitModule: {kernel.KindModule}, vocab.BPF: {kernel.KindBPF},
	vocab.Umount: {kernel.KindUmount}, vocab.Chroot: {kernel.KindChroot},
}

// fileKinds are the kinds the fanotify watcher reports.
var fileKinds = []kernel.Kind{kernel.KindOpen, kernel.KindRename, kernel.KindUnlink, kernel.KindChmod}

// Coverage says whether the active hooks can produce an event.
type Coverage struct {
	// Produced is set when some active hook reports the event.
	Produced bool
	// Why says, for an event not produced, why not (the hooks that
	// would report it and why they are not active); for one produced
	// only in part, which calls are missed. Empty for full coverage.
	Why string
}

// EventCoverage returns, by event name, whether the sensor's active hooks
// produce each event the sensor has, and in part or in full.
func (s *Sensor) EventCoverage() map[string]Coverage {
	return eventCoverage(s.Hooks(), s.files != nil)
}

func eventCoverage(hooks []kernel.Hook, fanotify bool) map[string]Coverage {
	type kindCov struct {
		full    bool
		partial []string
		off     []string
	}
	kinds := map[kernel.Kind]*kindCov{}
	get := func(k kernel.Kind) *kindCov {
		c := kinds[k]
		if c == nil {
			c = &kindCov{}
			kinds[k] = c
		}
		return c
	}
	for _, h := range hooks {
		for _, k := range h.Kinds {
			c := get(k)
			switch why, partial := h.Partial[k]; {
			case !h.Active && h.Err != nil:
				c.off = append(c.off, h.Name+": "+h.Err.Error())
			case !h.Active:
				c.off = append(c.off, h.Name+" (not in this hook set)")
			case partial:
				c.partial = append(c.partial, h.Name+": "+why)
			default:
				c.full = true
			}
		}
	}
	if fanotify {
		for _, k := range fileKinds {
			get(k).full = true
		}
	}
	out := make(map[string]Coverage, len(eventKinds))
	for _, ev := range vocab.Events() {
		var cov Coverage
		var off, partial []string
		for _, k := range eventKinds[ev.ID] {
			c := get(k)
			switch {
			case c.full:
				cov.Produced = true
				partial = nil
			case len(c.partial) > 0:
				cov.Produced = true
				partial = append(partial, c.partial...)
			default:
				off = append(off, c.off...)
			}
			if c.full {
				break
			}
		}
		switch {
		case !cov.Produced && len(off) == 0:
			cov.Why = "no hook reports it"
		case !cov.Produced:
			sort.Strings(off)
			cov.Why = "reported by " + strings.Join(off, "; ")
		case len(partial) > 0:
			cov.Why = strings.Join(partial, "; ")
		}
		out[ev.Name] = cov
	}
	return out
}
