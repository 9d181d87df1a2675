package fanotify

import (
	"encoding/binary"
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
// the entry to the current one, and when the current one is full it
// becomes the old one, dropping the entries not used since.
type pathCache struct {
	cur, old map[string]string
	max      int
}

func newPathCache(max int) *pathCache {
	return &pathCache{cur: make(map[string]string), old: make(map[string]string), max: max}
}

func (c *pathCache) get(k []byte) (string, bool) {
	if p, ok := c.cur[string(k)]; ok {
		return p, true
	}
	if p, ok := c.old[string(k)]; ok {
		c.put(k, p)
		return p, true
	}
	return "", false
}

func (c *pathCache) put(k []byte, p string) {
	if len(c.cur) >= c.max {
		c.old = c.cur
		c.cur = make(map[string]string, c.max)
	}
	c.cur[string(k)] = p
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

func (c *pathCache) clear() {
	clear(c.cur)
	clear(c.old)
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

// dedup remembers when a (process, class, file) was last reported.
type dedup struct {
	window int64 // ns; <= 0: off
	last   map[dedupKey]int64
	max    int
}

func newDedup(window int64, max int) *dedup {
	return &dedup{window: window, last: make(map[dedupKey]int64), max: max}
}

// repeat reports whether k was reported less than the window before now;
// if not, it records now as k's report time.
func (d *dedup) repeat(k dedupKey, now int64) bool {
	if d.window <= 0 {
		return false
	}
	if t, ok := d.last[k]; ok && now-t < d.window {
		return true
	}
	if len(d.last) >= d.max {
		for key, t := range d.last {
			if now-t >= d.window {
				delete(d.last, key)
			}
		}
		if len(d.last) >= d.max {
			clear(d.last)
		}
	}
	d.last[k] = now
	return false
}

// hotCount is one file's writes in the current one-second window.
type hotCount struct {
	start int64
	n     int
}

// hotTracker counts writes per file and says when a file is hot.
type hotTracker struct {
	threshold int // writes per second; <= 0: never hot
	counts    map[fileKey]hotCount
	max       int
}

func newHotTracker(threshold, max int) *hotTracker {
	return &hotTracker{threshold: threshold, counts: make(map[fileKey]hotCount), max: max}
}

// count adds a write of k at now and reports whether the file just became
// hot, with its rate in writes per second.
func (h *hotTracker) count(k fileKey, now int64) (bool, float64) {
	if h.threshold <= 0 {
		return false, 0
	}
	c, ok := h.counts[k]
	if !ok || now-c.start >= 1e9 {
		if !ok && len(h.counts) >= h.max {
			for key, v := range h.counts {
				if now-v.start >= 1e9 {
					delete(h.counts, key)
				}
			}
			if len(h.counts) >= h.max {
				clear(h.counts)
			}
		}
		c = hotCount{start: now}
	}
	c.n++
	if c.n > h.threshold {
		delete(h.counts, k)
		elapsed := float64(now-c.start) / 1e9
		if elapsed < 1e-3 {
			elapsed = 1e-3
		}
		return true, float64(c.n) / elapsed
	}
	h.counts[k] = c
	return false, 0
}

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
