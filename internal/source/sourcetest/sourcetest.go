// Package sourcetest holds helpers for testing log formats: finding the
// shared corpus, parsing records with a format, and the common fuzz body.
package sourcetest

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source"
)

// Root returns the repository root.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Corpus returns the path of rel inside ../shared/corpus beside the
// repository. Outside CI a missing corpus skips the test; in CI (CI=true)
// it fails it.
func Corpus(tb testing.TB, rel string) string {
	tb.Helper()
	p := filepath.Join(Root(), "..", "shared", "corpus", rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("corpus file missing in CI: %v", err)
		}
		tb.Skipf("shared corpus not present: %v", err)
	}
	return p
}

// Lines returns the non-empty lines of a file.
func Lines(tb testing.TB, path string) [][]byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if l := bytes.TrimSpace(sc.Bytes()); len(l) > 0 {
			out = append(out, append([]byte(nil), l...))
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// Parse parses one JSON record with f and returns its events.
func Parse(f source.Format, record []byte) ([]*event.Event, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(record)
	if err != nil {
		return nil, err
	}
	var evs []*event.Event
	err = f.Parse(&source.Record{JSON: v, Text: record, Origin: event.Origin{File: "test", Line: 1, Index: -1}}, func(e *event.Event) { evs = append(evs, e) })
	return evs, err
}

// MustParse is Parse that fails the test on error or when no event results.
func MustParse(tb testing.TB, f source.Format, record string) []*event.Event {
	tb.Helper()
	evs, err := Parse(f, []byte(record))
	if err != nil {
		tb.Fatalf("%s: %v", f.Name(), err)
	}
	if len(evs) == 0 {
		tb.Fatalf("%s: no event from %.200s", f.Name(), record)
	}
	return evs
}

// ReadAll runs the full reader over data (as one file named name) with the
// given formats, forcing force when it is not nil, and returns the events
// and stats.
func ReadAll(name string, data []byte, formats []source.Format, force source.Format) ([]*event.Event, *ingest.Stats) {
	r := ingest.NewReader(ingest.Settings{Formats: formats, Force: force, KeepRaw: true})
	var evs []*event.Event
	r.ReadStream(name, bytes.NewReader(data), func(e *event.Event) { evs = append(evs, e) })
	return evs, r.Stats()
}

// Fuzz is the body every format's fuzz target runs: the reader, with the
// format forced and with detection among formats, must neither panic nor
// produce an event without vendor, and every event must encode as valid JSON.
func Fuzz(t *testing.T, f source.Format, formats []source.Format, data []byte) {
	for _, force := range []source.Format{f, nil} {
		evs, _ := ReadAll("fuzz", data, formats, force)
		for _, e := range evs {
			if e.Vendor == "" {
				t.Fatalf("%s: event without vendor from %q", f.Name(), data)
			}
			b := event.AppendJSON(nil, e, true)
			if err := fastjson.ValidateBytes(b); err != nil {
				t.Fatalf("%s: invalid JSON output %s: %v", f.Name(), b, err)
			}
		}
	}
}

// Field returns the named data model field of e as text.
func Field(e *event.Event, name string) string {
	f := event.Lookup(name)
	if f == nil {
		panic("unknown field " + name)
	}
	return f.String(e)
}

// Expect checks named fields of e against want (field name → text value).
func Expect(tb testing.TB, e *event.Event, want map[string]string) {
	tb.Helper()
	for k, v := range want {
		if got := Field(e, k); got != v {
			tb.Errorf("%s = %q, want %q (event %s)", k, got, v, event.AppendJSON(nil, e, false))
		}
	}
}

// MustJSON parses a JSON record, failing the test when it is not JSON.
func MustJSON(tb testing.TB, s string) *fastjson.Value {
	tb.Helper()
	v, err := fastjson.Parse(s)
	if err != nil {
		tb.Fatalf("%v: %.200s", err, s)
	}
	return v
}
