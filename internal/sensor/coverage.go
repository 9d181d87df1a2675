//go:build linux

package sensor

import (
	"github.com/vigilsec/vigil/internal/sensor/record"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// eventKinds are the record kinds each event is made from.
var eventKinds = [vocab.Count][]record.Kind{
	vocab.Execve: {record.KindExec}, vocab.Fork: {record.KindFork}, vocab.Exit: {record.KindExit},
	vocab.Create: {record.KindOpen}, vocab.Write: {record.KindOpen}, vocab.Read: {record.KindOpen},
	vocab.Rename: {record.KindRename}, vocab.Unlink: {record.KindUnlink}, vocab.Rmdir: {record.KindUnlink},
	vocab.Chmod:   {record.KindChmod},
	vocab.Connect: {record.KindConnect}, vocab.Accept: {record.KindAccept}, vocab.Bind: {record.KindBind},
	vocab.Listen: {record.KindListen}, vocab.Dup: {record.KindDup},
	vocab.Ptrace: {record.KindPtrace}, vocab.Memfd: {record.KindMemfd},
	vocab.Setuid: {record.KindSetID}, vocab.Setgid: {record.KindSetID}, vocab.Setreuid: {record.KindSetID},
	vocab.Setregid: {record.KindSetID}, vocab.Setresuid: {record.KindSetID}, vocab.Setresgid: {record.KindSetID},
	vocab.Setfsuid: {record.KindSetID}, vocab.Setfsgid: {record.KindSetID},
	vocab.Mount: {record.KindMount}, vocab.Unshare: {record.KindUnshare}, vocab.Setns: {record.KindSetns},
	vocab.InitModule: {record.KindModule}, vocab.FinitModule: {record.KindModule}, vocab.BPF: {record.KindBPF},
	vocab.Umount: {record.KindUmount}, vocab.Chroot: {record.KindChroot},
}

// fileKinds are the kinds the fanotify watcher reports.
var fileKinds = []record.Kind{record.KindOpen, record.KindRename, record.KindUnlink, record.KindChmod}

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
	kinds := map[record.Kind]*kindCov{}
	get := func(k record.Kind) *kindCov {
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
