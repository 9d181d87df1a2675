package fanotify

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samples returns the raw events captured from the kernel (see
// TestCapture), by name.
func samples(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/events/*.bin")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in testdata/events: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".bin")] = b
	}
	return out
}

func parseAll(b []byte) ([]event, error) {
	var out []event
	for len(b) > 0 {
		var ev event
		n, err := parseEvent(b, &ev)
		if err != nil {
			return out, err
		}
		out = append(out, ev)
		b = b[n:]
	}
	return out, nil
}

func TestParseSamples(t *testing.T) {
	want := map[string]struct {
		mask uint64
		name string
	}{
		"create":      {maskCreate, "a"},
		"close_write": {maskCloseWrite, "a"},
		"attrib":      {maskAttrib, "a"},
		"delete":      {maskDelete, "b"},
		"rmdir":       {maskDelete | maskOnDir, "d"},
		"open":        {maskOpen, "shadow"},
		"rename":      {maskRename, ""},
	}
	got := samples(t)
	for name, w := range want {
		b, ok := got[name]
		if !ok {
			t.Errorf("no sample %s", name)
			continue
		}
		evs, err := parseAll(b)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		found := false
		for _, ev := range evs {
			if ev.mask&w.mask != w.mask {
				continue
			}
			found = true
			if ev.pid <= 0 || ev.fd != -1 {
				t.Errorf("%s: pid %d fd %d", name, ev.pid, ev.fd)
			}
			if !ev.file.valid() || ev.file.fsid == 0 || len(ev.file.handle) == 0 {
				t.Errorf("%s: file fid %+v", name, ev.file)
			}
			if len(ev.file.raw) != handleHeaderLen+len(ev.file.handle) {
				t.Errorf("%s: raw handle %d bytes for %d", name, len(ev.file.raw), len(ev.file.handle))
			}
			if w.mask == maskRename {
				if string(ev.oldName) != "a" || string(ev.newName) != "b" || ev.oldDir.fsid != ev.file.fsid {
					t.Errorf("rename: %q → %q", ev.oldName, ev.newName)
				}
				continue
			}
			if string(ev.name) != w.name || ev.dir.fsid != ev.file.fsid {
				t.Errorf("%s: name %q, want %q", name, ev.name, w.name)
			}
		}
		if !found {
			t.Errorf("%s: no event with mask %#x", name, w.mask)
		}
	}
}

// event builds a raw event for the error cases.
func rawEvent(mask uint64, info ...[]byte) []byte {
	n := metadataLen
	for _, i := range info {
		n += len(i)
	}
	b := make([]byte, metadataLen, n)
	ne := binary.NativeEndian
	ne.PutUint32(b, uint32(n))
	b[4] = metadataVersion
	ne.PutUint16(b[6:], metadataLen)
	ne.PutUint64(b[8:], mask)
	ne.PutUint32(b[16:], ^uint32(0))
	ne.PutUint32(b[20:], 42)
	for _, i := range info {
		b = append(b, i...)
	}
	return b
}

// fidRecord builds an info record with a handle and, for the name types, a
// name (name == nil: no terminator).
func fidRecord(typ byte, handle []byte, name []byte, terminate bool) []byte {
	b := []byte{typ, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	b = binary.NativeEndian.AppendUint32(b, uint32(len(handle)))
	b = binary.NativeEndian.AppendUint32(b, 1)
	b = append(b, handle...)
	b = append(b, name...)
	if terminate {
		b = append(b, 0)
	}
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	binary.NativeEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func TestParseEvent(t *testing.T) {
	h := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	good := rawEvent(maskCreate, fidRecord(infoDFIDName, h, []byte("name"), true), fidRecord(infoFID, h, nil, false))
	var ev event
	n, err := parseEvent(good, &ev)
	if err != nil || n != len(good) {
		t.Fatalf("good event: %d, %v", n, err)
	}
	if ev.mask != maskCreate || ev.pid != 42 || string(ev.name) != "name" || ev.dir.fsid != 0x0807060504030201 || string(ev.file.handle) != string(h) {
		t.Errorf("good event parsed as %+v", ev)
	}
	unknown := rawEvent(maskOpen, []byte{4, 0, 8, 0, 9, 0, 0, 0}, fidRecord(infoFID, h, nil, false))
	if _, err := parseEvent(unknown, &ev); err != nil || !ev.file.valid() {
		t.Errorf("event with a pidfd record: %v %+v", err, ev)
	}
	overflow := rawEvent(maskOverflow)
	if _, err := parseEvent(overflow, &ev); err != nil || ev.mask != maskOverflow || ev.file.valid() {
		t.Errorf("overflow event: %v %+v", err, ev)
	}

	mutate := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	ne := binary.NativeEndian
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated event"},
		{"short", good[:20], "truncated event"},
		{"version", mutate(good, func(b []byte) { b[4] = 2 }), "unknown metadata version 2"},
		{"event too long", mutate(good, func(b []byte) { ne.PutUint32(b, uint32(len(good)+4)) }), "event length"},
		{"event shorter than metadata", mutate(good, func(b []byte) { ne.PutUint32(b, 8) }), "event length"},
		{"metadata too short", mutate(good, func(b []byte) { ne.PutUint16(b[6:], 8) }), "metadata length 8"},
		{"info length zero", mutate(good, func(b []byte) { ne.PutUint16(b[metadataLen+2:], 0) }), "has length 0"},
		{"info past event", mutate(good, func(b []byte) { ne.PutUint16(b[metadataLen+2:], 400) }), "has length 400"},
		{"stray bytes", rawEvent(maskCreate, []byte{1, 0}), "stray bytes"},
		{"fid too short", rawEvent(maskCreate, []byte{1, 0, 8, 0, 0, 0, 0, 0}), "fid record of type 1 is 8 bytes"},
		{"handle too long", mutate(good, func(b []byte) { ne.PutUint32(b[metadataLen+12:], 200) }), "file handle of 200 bytes"},
		{"handle past record", mutate(good, func(b []byte) { ne.PutUint32(b[metadataLen+12:], 40) }), "file handle of 40 bytes"},
		{"name not terminated", rawEvent(maskCreate, fidRecord(infoDFIDName, h, []byte("abcd"), false)), "not terminated"},
	} {
		_, err := parseEvent(tc.b, &ev)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// FuzzParse parses arbitrary buffers as read(2) of a fanotify descriptor
// returns them: no panic, and what parses stays inside the buffer.
func FuzzParse(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
	}
	h := []byte{1, 2, 3, 4}
	f.Add(rawEvent(maskRename, fidRecord(infoOldDFIDName, h, []byte("a"), true), fidRecord(infoNewDFIDName, h, []byte("b"), true), fidRecord(infoFID, h, nil, false)))
	f.Add(rawEvent(maskOverflow))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev event
		for len(b) > 0 {
			n, err := parseEvent(b, &ev)
			if err != nil {
				return
			}
			if n < metadataLen || n > len(b) {
				t.Fatalf("event length %d in %d bytes", n, len(b))
			}
			for _, f := range []*fid{&ev.dir, &ev.file, &ev.oldDir, &ev.newDir} {
				if f.valid() && (len(f.raw) != handleHeaderLen+len(f.handle) || len(f.handle) > maxHandleBytes) {
					t.Fatalf("handle %d bytes, raw %d", len(f.handle), len(f.raw))
				}
			}
			b = b[n:]
		}
	})
}
