package fanotify

import (
	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"strings"
	"testing"
	"time"
)

func TestUnderRebase(t *testing.T) {
	for _, tc := range []struct {
		p, src, dst, want string
		ok                bool
	}{
		{"/a/rootfs/etc/x", "/a/rootfs", "/", "/etc/x", true},
		{"/a/rootfs", "/a/rootfs", "/", "/", true},
		{"/a/rootfs2/x", "/a/rootfs", "/", "", false},
		{"/a/vol/x", "/a/vol", "/data", "/data/x", true},
		{"/a/vol", "/a/vol", "/data", "/data", true},
		{"/x/y", "/", "/host", "/host/x/y", true},
		{"/", "/", "/", "/", true},
		{"relative", "/", "/", "", false},
	} {
		got, ok := mounts.Rebase(tc.p, tc.src, tc.dst)
		if got != tc.want || ok != tc.ok {
			t.Errorf("mounts.Rebase(%q, %q, %q) = %q %v, want %q %v", tc.p, tc.src, tc.dst, got, ok, tc.want, tc.ok)
		}
	}
	if got := join("/", []byte("f")); got != "/f" {
		t.Errorf("join: %q", got)
	}
	if got := join("/d", nil); got != "/d" {
		t.Errorf("join: %q", got)
	}
}

func TestPathCache(t *testing.T) {
	c := newPathCache(2)
	k := func(s string) []byte { return []byte(s) }
	c.put(k("a"), "/x")
	c.put(k("b"), "/x/y")
	c.put(k("c"), "/x/y/z") // a, b move to the old generation
	c.put(k("d"), "/other")
	if p, ok := c.get(k("a")); !ok || p != "/x" {
		t.Errorf("a: %q %v", p, ok)
	}
	if c.len() > 4 {
		t.Errorf("%d entries for a size of 2", c.len())
	}
	// /x renamed: it and everything under it go.
	c.forget(k("a"), "/x")
	for _, key := range []string{"a", "b", "c"} {
		if p, ok := c.get(k(key)); ok {
			t.Errorf("%s still cached as %q", key, p)
		}
	}
	if _, ok := c.get(k("d")); !ok {
		t.Error("d forgotten")
	}
	c.put(k("e"), "/xy")
	c.forget(nil, "/x")
	if _, ok := c.get(k("e")); !ok {
		t.Error("/xy forgotten with /x")
	}
	c.clear()
	if c.len() != 0 {
		t.Error("clear left entries")
	}
}

func TestDedupWindow(t *testing.T) {
	d := newDedup(int64(time.Second), 4)
	k := dedupKey{pid: 1, class: classWrite, file: fileKey{1, 2}}
	if d.repeat(k, 0) {
		t.Error("first report is a repeat")
	}
	if !d.repeat(k, int64(500*time.Millisecond)) {
		t.Error("report within the window is not a repeat")
	}
	if d.repeat(k, int64(1500*time.Millisecond)) {
		t.Error("report after the window is a repeat")
	}
	other := k
	other.pid = 2
	if d.repeat(other, int64(1600*time.Millisecond)) {
		t.Error("another process's write is a repeat")
	}
	read := k
	read.class = classRead
	if d.repeat(read, int64(1600*time.Millisecond)) {
		t.Error("a read is a repeat of a write")
	}
	for i := 0; i < 100; i++ {
		d.repeat(dedupKey{pid: uint32(i + 10)}, int64(2*time.Second))
	}
	if d.len() > 4 {
		t.Errorf("%d entries for a bound of 4", d.len())
	}
	off := newDedup(-1, 4)
	if off.repeat(k, 0) || off.repeat(k, 1) {
		t.Error("disabled dedup reports repeats")
	}
}

// TestDedupBounded fills the dedup past its bound within one window, then
// lets the burst end: the entries dropped early are counted, and the maps
// are new and empty two windows later.
func TestDedupBounded(t *testing.T) {
	w := int64(time.Second)
	d := newDedup(w, 1000)
	for i := range 10_000 {
		d.repeat(dedupKey{pid: uint32(i)}, int64(i)) // 10,000 within a few µs
		if d.len() > 1000 {
			t.Fatalf("%d entries for a bound of 1000", d.len())
		}
	}
	if d.evicted < 8000 {
		t.Errorf("%d evicted of 10,000 reports in one window with room for 1,000", d.evicted)
	}
	// The newest are still repeats.
	if !d.repeat(dedupKey{pid: 9999}, 10_000) {
		t.Error("the last report forgotten")
	}
	// Within the window, repeats are found in the old generation too.
	k := dedupKey{pid: 1 << 20}
	d2 := newDedup(w, 1000)
	d2.repeat(k, 0)
	d2.age(w) // turned: k is in the old generation
	if !d2.repeat(k, w-1) {
		t.Error("a repeat in the old generation not found")
	}
	if d2.repeat(k, 2*w) {
		t.Error("a report after the window is a repeat")
	}
	before := d.evicted
	d.age(2 * w)
	d.age(4 * w)
	if d.len() != 0 {
		t.Errorf("%d entries two windows after the burst", d.len())
	}
	if d.evicted != before {
		t.Error("expired entries counted as evicted")
	}
}

// TestHotTrackerBounded: the counts of a burst of files are bounded, and
// gone a second or two after it.
func TestHotTrackerBounded(t *testing.T) {
	h := newHotTracker(3, 100)
	for i := range 1000 {
		h.count(fileKey{1, uint64(i)}, int64(i))
		if h.len() > 100 {
			t.Fatalf("%d counts for a bound of 100", h.len())
		}
	}
	if h.evicted == 0 {
		t.Error("nothing evicted")
	}
	// A count survives a turn: four writes across it make the file hot.
	k := fileKey{2, 2}
	h2 := newHotTracker(3, 100)
	h2.count(k, 0)
	h2.count(k, 1)
	h2.age(hotWindow) // turns
	h2.count(k, hotWindow-1+1)
	if hot, _ := h2.count(k, hotWindow-1+2); hot {
		t.Error("hot across more than a second")
	}
	h3 := newHotTracker(3, 100)
	for i := range 3 {
		h3.count(k, int64(i))
	}
	h3.age(hotWindow / 2) // not yet
	if hot, _ := h3.count(k, hotWindow/2); !hot {
		t.Error("four writes in half a second not hot")
	}
	h.age(2 * hotWindow)
	h.age(4 * hotWindow)
	if h.len() != 0 {
		t.Errorf("%d counts after the burst", h.len())
	}
}

func TestPathCacheAge(t *testing.T) {
	c := newPathCache(4)
	k := func(s string) []byte { return []byte(s) }
	for i := range 10 {
		c.put(k(string(rune('a'+i))), "/p")
	}
	if c.evicted == 0 || c.len() > 8 {
		t.Errorf("evicted %d, %d entries for a size of 4", c.evicted, c.len())
	}
	c.age(pathAge)
	if _, ok := c.get(k("j")); !ok {
		t.Error("j forgotten after one turn")
	}
	c.age(2 * pathAge)
	if _, ok := c.get(k("j")); !ok {
		t.Error("j, used in the last turn, forgotten")
	}
	if _, ok := c.get(k("i")); ok {
		t.Error("i, unused for two turns, kept")
	}
	c.age(3 * pathAge)
	c.age(4 * pathAge)
	if c.len() != 0 {
		t.Errorf("%d entries after the burst", c.len())
	}
}

func TestModeCache(t *testing.T) {
	c := newModeCache(4)
	for i := range 10 {
		c.put(fileKey{1, uint64(i)}, 0o644)
		if c.len() > 4 {
			t.Fatalf("%d modes for a bound of 4", c.len())
		}
	}
	if c.evicted == 0 {
		t.Error("nothing evicted")
	}
	if m, ok := c.get(fileKey{1, 8}); !ok || m != 0o644 {
		t.Errorf("mode of 8: %o %v", m, ok)
	}
	c.del(fileKey{1, 8})
	if _, ok := c.get(fileKey{1, 8}); ok {
		t.Error("deleted mode found")
	}
	c.age(modeAge)
	c.age(2 * modeAge)
	if c.len() != 0 {
		t.Errorf("%d modes after two turns", c.len())
	}
}

func TestHotTracker(t *testing.T) {
	h := newHotTracker(3, 8)
	k := fileKey{1, 1}
	for i := 0; i < 3; i++ {
		if hot, _ := h.count(k, int64(i)*int64(time.Millisecond)); hot {
			t.Fatalf("hot after %d writes", i+1)
		}
	}
	hot, rate := h.count(k, int64(4*time.Millisecond))
	if !hot || rate < 500 {
		t.Errorf("4 writes in 4 ms: hot %v rate %v", hot, rate)
	}
	// A new window starts after a second.
	for i := 0; i < 3; i++ {
		h.count(k, int64(time.Duration(i)*400*time.Millisecond)+int64(2*time.Second))
	}
	if hot, _ := h.count(k, int64(4*time.Second)); hot {
		t.Error("hot over several seconds")
	}
	if hot, _ := newHotTracker(-1, 8).count(k, 0); hot {
		t.Error("disabled tracker says hot")
	}
}

func TestPatterns(t *testing.T) {
	pats := compilePatterns([]string{"/etc/shadow", "/home/*/.ssh/id_rsa", "/etc/sudoers.d/*", "/etc/ssh/ssh_host_*_key"})
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"/etc/shadow", true},
		{"/etc/shadow.bak", false},
		{"/home/ann/.ssh/id_rsa", true},
		{"/home/ann/.ssh/id_rsa.pub", false},
		{"/etc/sudoers.d/ann", true},
		{"/etc/ssh/ssh_host_ed25519_key", true},
		{"/etc/ssh/ssh_host_ed25519_key.pub", false},
	} {
		name := tc.p[strings.LastIndexByte(tc.p, '/')+1:]
		if got := pathMatches(pats, tc.p, []byte(name)); got != tc.ok {
			t.Errorf("%s: %v, want %v", tc.p, got, tc.ok)
		}
	}
	if got := dirPatterns(pats, "/home/bob/.ssh"); len(got) != 1 || got[0].glob != "/home/*/.ssh/id_rsa" {
		t.Errorf("dirPatterns: %+v", got)
	}
	for _, tc := range []struct {
		p  string
		ok bool
	}{
		{"/tmp/b/rootfs/etc/shadow", true},
		{"/var/lib/c/snapshots/3/fs/home/ann/.ssh/id_rsa", true},
		{"/var/lib/c/snapshots/3/fs/etc/sudoers.d/ann", true},
		{"/etc/shadow", false}, // a plain match, not an embedded one
		{"/x/etc/shadow.bak", false},
		{"/x/etcshadow/shadow", false},
		{"/x/home/.ssh/id_rsa", false},
	} {
		name := tc.p[strings.LastIndexByte(tc.p, '/')+1:]
		if got := embeddedMatches(pats, tc.p, []byte(name)); got != tc.ok {
			t.Errorf("embeddedMatches(%s): %v, want %v", tc.p, got, tc.ok)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, ""},
		{Config{SensitivePaths: DefaultSensitivePaths}, ""},
		{Config{Paths: []string{"x"}}, `Paths[0] "x": not an absolute path`},
		{Config{SensitivePaths: []string{"/a", "b"}}, `SensitivePaths[1] "b": not an absolute path`},
		{Config{SensitivePaths: []string{"/a/[b"}}, "syntax error in pattern"},
		{Config{SensitivePaths: []string{"/a//b"}}, `not a clean path (want "/a/b")`},
		{Config{BufferBytes: 10}, "BufferBytes 10: less than 4096"},
		{Config{PathCacheSize: -1}, "PathCacheSize -1: negative"},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.cfg, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
