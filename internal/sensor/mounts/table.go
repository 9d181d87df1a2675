package mounts

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Table is a mount table kept current, indexed by device: what the host
// mounts, so that a process's root directory (a device and a path within
// it, as the kernel reports them at exec) can be found on the host, and a
// host path below it put in the process's view. A mount stays in the table
// for Grace after it is gone from the file, so that records of a
// container's last moments still map after its root is unmounted.
//
// Refresh rereads the file; a Table is safe for concurrent use.
type Table struct {
	file  string
	grace time.Duration
	now   func() time.Time

	mu    sync.RWMutex
	byDev map[uint64][]entry
	raw   string // the file's last content, to skip unchanged rereads
	errs  uint64
}

type entry struct {
	Mount
	gone time.Time // zero while mounted
	// layers are an overlay's upper and lower directories, symbolic
	// links resolved (podman names lower layers by links).
	layers []string
}

// NewTable reads file (the host's /proc/self/mountinfo, or
// /proc/1/mountinfo) into a Table; grace is how long a mount gone from the
// file is still known (default 30s).
func NewTable(file string, grace time.Duration, now func() time.Time) (*Table, error) {
	if grace <= 0 {
		grace = 30 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	t := &Table{file: file, grace: grace, now: now, byDev: map[uint64][]entry{}}
	if err := t.Refresh(); err != nil {
		return nil, err
	}
	return t, nil
}

// Refresh rereads the file. A mount no longer listed is marked gone, and
// forgotten once Grace has passed.
func (t *Table) Refresh() error {
	data, err := os.ReadFile(t.file)
	if err != nil {
		t.mu.Lock()
		t.errs++
		t.mu.Unlock()
		return fmt.Errorf("mount table: %w", err)
	}
	t.mu.RLock()
	same := string(data) == t.raw
	t.mu.RUnlock()
	if same {
		return nil
	}
	ms, err := Parse(string(data))
	if err != nil {
		t.mu.Lock()
		t.errs++
		t.mu.Unlock()
		return fmt.Errorf("mount table %s: %w", t.file, err)
	}
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.raw = string(data)
	seen := make(map[uint64][]entry, len(t.byDev))
	for _, m := range ms {
		e := entry{Mount: m}
		if old, ok := t.find(m); ok {
			e.layers = old.layers
		} else if m.FSType == "overlay" {
			e.layers = overlayLayers(m.Super)
		}
		seen[m.Dev] = append(seen[m.Dev], e)
	}
	// Mounts gone since the last read are kept for the grace period.
	for dev, old := range t.byDev {
		for _, e := range old {
			if containsMount(seen[dev], e.Mount) {
				continue
			}
			if e.gone.IsZero() {
				e.gone = now
			}
			if now.Sub(e.gone) < t.grace {
				seen[dev] = append(seen[dev], e)
			}
		}
	}
	t.byDev = seen
	return nil
}

// find returns the table's entry of a mount still listed. Called with mu
// held.
func (t *Table) find(m Mount) (entry, bool) {
	for _, e := range t.byDev[m.Dev] {
		if e.gone.IsZero() && e.Root == m.Root && e.Point == m.Point && e.Super == m.Super {
			return e, true
		}
	}
	return entry{}, false
}

// overlayLayers returns an overlay's upper and lower directories from its
// super options, symbolic links resolved.
func overlayLayers(super string) []string {
	var dirs []string
	if up, ok := Option(super, "upperdir"); ok {
		dirs = append(dirs, up)
	}
	if low, ok := Option(super, "lowerdir"); ok {
		dirs = append(dirs, splitLower(low)...)
	}
	for i, d := range dirs {
		if r, err := filepath.EvalSymlinks(d); err == nil {
			dirs[i] = r
		}
	}
	return dirs
}

func containsMount(es []entry, m Mount) bool {
	for _, e := range es {
		if e.gone.IsZero() && e.Root == m.Root && e.Point == m.Point {
			return true
		}
	}
	return false
}

// Errors counts failed reads.
func (t *Table) Errors() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.errs
}

// Known reports whether the table has a mount of device dev.
func (t *Table) Known(dev uint64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.byDev[dev]) > 0
}

// Localize puts host path p in the view of a process whose root directory
// is the path root within the file system on device dev: p must be below
// where that root appears on the host (a bind-mounted rootfs directory, an
// overlay's mount point), or, for an overlay, below its upper or a lower
// directory. It returns the path from the process's root ("/…").
func (t *Table) Localize(p string, dev uint64, root string) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	best, bestLen := "", -1
	try := func(dir string) {
		if rest, ok := Under(p, dir); ok && len(dir) > bestLen {
			if rest == "" {
				rest = "/"
			}
			best, bestLen = rest, len(dir)
		}
	}
	for _, e := range t.byDev[dev] {
		if hp, ok := Rebase(root, e.Root, e.Point); ok {
			try(path.Clean(hp))
		}
		if e.FSType != "overlay" || root != "/" || e.Root != "/" {
			continue
		}
		for _, d := range e.layers {
			try(d)
		}
	}
	return best, bestLen >= 0
}

// InWorkdir reports whether host path p is in the work directory of the
// overlay that is the root of a process (device dev, root "/"): overlayfs
// prepares copies up and whiteouts there and moves them into the upper
// directory, in the name of the process that caused them.
func (t *Table) InWorkdir(p string, dev uint64) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, e := range t.byDev[dev] {
		if e.FSType != "overlay" {
			continue
		}
		if w, ok := Option(e.Super, "workdir"); ok {
			if _, ok := Under(p, w); ok {
				return true
			}
		}
	}
	return false
}

// splitLower splits overlayfs's lowerdir option: directories separated by
// ':' (escaped as "\:" within a name), the "::" data-only separator too.
func splitLower(s string) []string {
	var out []string
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case s[i] == ':':
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
		default:
			b.WriteByte(s[i])
		}
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
