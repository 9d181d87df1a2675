package fanotify

import (
	"encoding/binary"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/mounts"
)

// fileKey identifies a file by its filesystem id and a hash of its handle.
type fileKey struct {
	fsid uint64
	h    uint64
}

// keyOf hashes a file handle (FNV-1a over its type and bytes).
func keyOf(fsid uint64, htype int32, handle []byte) fileKey {
	h := uint64(14695981039346656037)
	for i := 0; i < 4; i++ {
		h ^= uint64(byte(uint32(htype) >> (8 * i)))
		h *= 1099511628211
	}
	for _, c := range handle {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return fileKey{fsid: fsid, h: h}
}

func (f *fid) key() fileKey { return keyOf(f.fsid, f.htype, f.handle) }

// appendHandleKey appends the exact identity of a handle (fsid, type,
// bytes): the path cache's key, where a hash collision would give a wrong
// path.
func appendHandleKey(b []byte, f *fid) []byte {
	b = binary.LittleEndian.AppendUint64(b, f.fsid)
	b = binary.LittleEndian.AppendUint32(b, uint32(f.htype))
	return append(b, f.handle...)
}

// pathCache maps directory handles to paths. It keeps two generations of
// at most max entries each: a lookup that hits the old generation moves
// the entry to the current one, and when the current one is full, or has
// been current for pathAge (age), it becomes the old one, dropping the
// entries not used since. Dropped entries are resolved again
// (open_by_handle_at) on their next event.
type pathCache struct {
	cur, old map[string]string
	max      int
	turned   int64  // when cur became current (ns on the watcher's clock)
	evicted  uint64 // entries dropped because cur filled up
}

// pathAge is how long a generation of the path cache stays current: an
// entry not used for two of them is dropped, so that the cache of a burst
// of directories empties when the burst is over.
const pathAge = int64(60 * time.Second)

func newPathCache(max int) *pathCache {
	return &pathCache{cur: make(map[string]string), old: make(map[string]string), max: max}
}

func (c *pathCache) get(k []byte) (string, bool) {
	if p, ok := c.cur[string(k)]; ok {
		return p, true
	}
	if p, ok := c.old[string(k)]; ok {
		delete(c.old, string(k))
		c.put(k, p)
		return p, true
	}
	return "", false
}

func (c *pathCache) put(k []byte, p string) {
	if len(c.cur) >= c.max {
		c.evicted += uint64(len(c.old))
		c.old = c.cur
		c.cur = make(map[string]string, c.max)
	}
	c.cur[string(k)] = p
}

// age turns the generations when the current one has been current for
// pathAge at now: what was not used since the last turn goes.
func (c *pathCache) age(now int64) {
	if now-c.turned < pathAge {
		return
	}
	c.turned = now
	if len(c.cur) == 0 && len(c.old) == 0 {
		return
	}
	c.old = c.cur
	c.cur = make(map[string]string)
}

// forget drops the entry of k, and when dir is not empty every entry whose
// path is dir or under it (a directory renamed or removed).
func (c *pathCache) forget(k []byte, dir string) {
	delete(c.cur, string(k))
	delete(c.old, string(k))
	if dir == "" {
		return
	}
	for _, m := range []map[string]string{c.cur, c.old} {
		for key, p := range m {
			if _, ok := mounts.Under(p, dir); ok {
				delete(m, key)
			}
		}
	}
}

// clear drops every entry, and the maps' memory with them.
func (c *pathCache) clear() {
	c.cur = make(map[string]string)
	c.old = make(map[string]string)
}

func (c *pathCache) len() int { return len(c.cur) + len(c.old) }

// Classes of dedup: what a process does to a file (by its handle) or to a
// name (by its directory's handle and the name) is deduplicated per class.
const (
	classWrite  = iota + 1 // writes (and the create) of a file
	classRead              // opens of a sensitive file
	classCreate            // creations of a name
	classDelete            // deletions of a name
	classRename            // renames from one name to another
)

// mix adds bytes to a fileKey's hash.
func (k fileKey) mix(b []byte) fileKey {
	k.h ^= 0xff
	k.h *= 1099511628211
	for _, c := range b {
		k.h ^= uint64(c)
		k.h *= 1099511628211
	}
	return k
}

type dedupKey struct {
	pid   uint32
	class uint8
	file  fileKey
}

// dedup remembers when a (process, class, file) was last reported. It
// keeps two generations of at most max/2 entries each: the current one
// takes new reports, and turns into the old one (the old one dropped) when
// it has been current for the window, so that what it drops is past the
// window and the maps empty after a burst; or, before that, when it is
// full: then the old generation's entries still within the window are
// dropped early (counted in evicted), and such a repeat is reported again.
type dedup struct {
	window   int64 // ns; <= 0: off
	cur, old map[dedupKey]int64
	max      int
	turned   int64 // when cur became current
	evicted  uint64
}

func newDedup(window int64, max int) *dedup {
	return &dedup{window: window, cur: make(map[dedupKey]int64), old: make(map[dedupKey]int64), max: max}
}

// repeat reports whether k was reported less than the window before now;
// if not, it records now as k's report time.
func (d *dedup) repeat(k dedupKey, now int64) bool {
	if d.window <= 0 {
		return false
	}
	d.age(now)
	if t, ok := d.cur[k]; ok {
		if now-t < d.window {
			return true
		}
	} else if t, ok := d.old[k]; ok && now-t < d.window {
		return true
	} else if len(d.cur) >= max(1, d.max/2) {
		for _, t := range d.old {
			if now-t < d.window {
				d.evicted++
			}
		}
		d.old, d.cur, d.turned = d.cur, make(map[dedupKey]int64), now
	}
	d.cur[k] = now
	return false
}

// age turns the generations when the current one has been current for
// the window at now.
func (d *dedup) age(now int64) {
	if now-d.turned < d.window {
		return
	}
	d.turned = now
	if len(d.cur) == 0 && len(d.old) == 0 {
		return
	}
	d.old, d.cur = d.cur, make(map[dedupKey]int64)
}

func (d *dedup) len() int { return len(d.cur) + len(d.old) }

// hotCount is one file's writes in the current one-second window.
type hotCount struct {
	start int64
	n     int
}

// hotTracker counts writes per file and says when a file is hot. Like
// dedup it keeps two generations of at most max/2 files, turned every
// second (a count is for one second) or when the current one is full:
// then the old generation's counts still running are dropped (counted in
// evicted), and those files are found hot a little later.
type hotTracker struct {
	threshold int // writes per second; <= 0: never hot
	cur, old  map[fileKey]hotCount
	max       int
	turned    int64
	evicted   uint64
}

func newHotTracker(threshold, max int) *hotTracker {
	return &hotTracker{threshold: threshold, cur: make(map[fileKey]hotCount), old: make(map[fileKey]hotCount), max: max}
}

// hotWindow is the window of a hot count, in ns.
const hotWindow = int64(time.Second)

// count adds a write of k at now and reports whether the file just became
// hot, with its rate in writes per second.
func (h *hotTracker) count(k fileKey, now int64) (bool, float64) {
	if h.threshold <= 0 {
		return false, 0
	}
	h.age(now)
	c, ok := h.cur[k]
	if !ok {
		if c, ok = h.old[k]; ok {
			delete(h.old, k)
		}
		if len(h.cur) >= max(1, h.max/2) {
			for _, v := range h.old {
				if now-v.start < hotWindow {
					h.evicted++
				}
			}
			h.old, h.cur, h.turned = h.cur, make(map[fileKey]hotCount), now
		}
	}
	if !ok || now-c.start >= hotWindow {
		c = hotCount{start: now}
	}
	c.n++
	if c.n > h.threshold {
		delete(h.cur, k)
		elapsed := float64(now-c.start) / 1e9
		if elapsed < 1e-3 {
			elapsed = 1e-3
		}
		return true, float64(c.n) / elapsed
	}
	h.cur[k] = c
	return false, 0
}

// age turns the generations when the current one has been current for a
// second at now.
func (h *hotTracker) age(now int64) {
	if now-h.turned < hotWindow {
		return
	}
	h.turned = now
	if len(h.cur) == 0 && len(h.old) == 0 {
		return
	}
	h.old, h.cur = h.cur, make(map[fileKey]hotCount)
}

func (h *hotTracker) len() int { return len(h.cur) + len(h.old) }

// modeCache remembers files' modes (for attrib), in two generations of at
// most max/2 entries: the current one becomes the old one when it is full
// (counted in evicted) or has been current for modeAge; a file found in
// the old one moves to the current one.
type modeCache struct {
	cur, old map[fileKey]uint32
	max      int
	turned   int64
	evicted  uint64
}

// modeAge is how long a generation of the mode cache stays current.
const modeAge = int64(5 * time.Minute)

func newModeCache(max int) *modeCache {
	return &modeCache{cur: make(map[fileKey]uint32), old: make(map[fileKey]uint32), max: max}
}

func (c *modeCache) get(k fileKey) (uint32, bool) {
	if m, ok := c.cur[k]; ok {
		return m, true
	}
	m, ok := c.old[k]
	if ok {
		delete(c.old, k)
		c.put(k, m)
	}
	return m, ok
}

func (c *modeCache) put(k fileKey, mode uint32) {
	if _, ok := c.cur[k]; !ok && len(c.cur) >= max(1, c.max/2) {
		c.evicted += uint64(len(c.old))
		c.old, c.cur = c.cur, make(map[fileKey]uint32)
	}
	c.cur[k] = mode
}

func (c *modeCache) del(k fileKey) {
	delete(c.cur, k)
	delete(c.old, k)
}

func (c *modeCache) age(now int64) {
	if now-c.turned < modeAge {
		return
	}
	c.turned = now
	if len(c.cur) == 0 && len(c.old) == 0 {
		return
	}
	c.old, c.cur = c.cur, make(map[fileKey]uint32)
}

func (c *modeCache) len() int { return len(c.cur) + len(c.old) }

// join joins a directory path and a name.
func join(dir string, name []byte) string {
	if len(name) == 0 {
		return dir
	}
	if dir == "/" {
		return "/" + string(name)
	}
	return dir + "/" + string(name)
}
