package kernel

import (
	"errors"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// samples returns the raw records captured from the kernel (see TestZCapture).
func samples(tb testing.TB) map[string][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/records/*.bin")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no samples in testdata/records: %v", err)
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

func TestDecodeSamples(t *testing.T) {
	for name, b := range samples(t) {
		var r record.Record
		if err := Decode(b, &r, 0); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Kind.String() != name {
			t.Errorf("%s: decoded as %s", name, r.Kind)
		}
		if r.TGID == 0 || r.Comm == "" || r.BootNS == 0 {
			t.Errorf("%s: header %+v", name, r)
		}
		for i := 0; i < len(b); i++ {
			var r2 record.Record
			if err := Decode(b[:i], &r2, 0); err == nil {
				t.Errorf("%s: %d-byte prefix decoded without error", name, i)
				break
			}
		}
	}
}

// TestDecodeFlags checks Entry and ListenerOwner in the captured records:
// the samples come from the default hooks where they have one.
func TestDecodeFlags(t *testing.T) {
	s := samples(t)
	for name, want := range map[string][2]bool{
		"connect": {true, false}, "bind": {true, false}, "listen": {true, false}, "accept": {false, true},
		"setid": {true, false}, "mount": {true, false}, "umount": {true, false}, "chroot": {true, false},
		"exec": {false, false}, "open": {false, false}, "dup": {false, false},
	} {
		var r record.Record
		if err := Decode(s[name], &r, 0); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Entry != want[0] || r.ListenerOwner != want[1] {
			t.Errorf("%s: entry %v listener-owner %v, want %v", name, r.Entry, r.ListenerOwner, want)
		}
	}
	var r record.Record
	if err := Decode(s["umount"], &r, 0); err != nil || !strings.HasPrefix(r.Mount.Target, "/") || r.Mount.Flags != 2 {
		t.Errorf("umount sample: %+v %v", r.Mount, err)
	}
	if err := Decode(s["chroot"], &r, 0); err != nil || !strings.HasSuffix(r.Chroot.Path, "/root") {
		t.Errorf("chroot sample: %+v %v", r.Chroot, err)
	}
}

func TestDecodeExecSample(t *testing.T) {
	var r record.Record
	if err := Decode(samples(t)["exec"], &r, 0); err != nil {
		t.Fatal(err)
	}
	e := r.Exec
	if e.Filename == "" || !strings.HasPrefix(e.ExePath, "/") || !strings.HasPrefix(e.Cwd, "/") || len(e.Args) == 0 || e.Inode == 0 {
		t.Errorf("exec sample decoded to %+v", e)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := samples(t)["fork"]
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"empty":        {nil, "shorter than the 96-byte header"},
		"short header": {good[:40], "shorter than the 96-byte header"},
		"kind 0":       {mod(func(b []byte) []byte { b[offKind], b[offKind+1] = 0, 0; return b }), "unknown kind 0"},
		"kind 999":     {mod(func(b []byte) []byte { b[offKind], b[offKind+1] = 0xe7, 3; return b }), "unknown kind 999"},
		"size":         {mod(func(b []byte) []byte { b[offSize]++; return b }), "header says"},
		"short body": {mod(func(b []byte) []byte {
			b = b[:hdrSize+4]
			le.PutUint32(b[offSize:], uint32(len(b)))
			return b
		}), "shorter than header and body"},
		"trailing": {mod(func(b []byte) []byte {
			b = append(b, 1, 2, 3)
			le.PutUint32(b[offSize:], uint32(len(b)))
			return b
		}), "3 bytes left after the last string"},
	}
	open := samples(t)["open"]
	long := append([]byte(nil), open...)
	le.PutUint16(long[hdrSize+fileBodySize:], 60000)
	cases["string past end"] = struct {
		b    []byte
		want string
	}{long, "60000-byte string"}
	for name, c := range cases {
		var r record.Record
		err := Decode(c.b, &r, 0)
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
}

func TestAppendPath(t *testing.T) {
	for comps, want := range map[string]string{
		"":                  "/",
		"etc\x00":           "/etc",
		"shadow\x00etc\x00": "/etc/shadow",
		"c\x00b\x00a":       "/a/b/c",
	} {
		if got := string(appendPath(nil, []byte(comps))); got != want {
			t.Errorf("appendPath(%q) = %q, want %q", comps, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range samples(f) {
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r record.Record
		err := Decode(b, &r, 0)
		if err == nil {
			if len(b) < hdrSize || r.Kind == 0 || r.Kind >= record.KindCount {
				t.Fatalf("accepted %d bytes as kind %d", len(b), r.Kind)
			}
			return
		}
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("error %v is not a *DecodeError", err)
		}
	})
}

// BenchmarkDecode decodes captured records of the common kinds.
func BenchmarkDecode(b *testing.B) {
	s := samples(b)
	for _, name := range []string{"exec", "open", "connect", "fork"} {
		raw := s[name]
		b.Run(name, func(b *testing.B) {
			var r record.Record
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if err := Decode(raw, &r, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
