package sensorevent_test

import (
	"os"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/sensorevent"
)

func parse(t testing.TB, line string) ([]*event.Event, error) {
	v, err := fastjson.Parse(line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	var out []*event.Event
	f := sensorevent.New()
	if !f.Detect(v) {
		return nil, nil
	}
	err = f.Parse(&source.Record{JSON: v}, func(e *event.Event) { out = append(out, e) })
	return out, err
}

func samples(t testing.TB) []string {
	b, err := os.ReadFile("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// Every sample reads back into the event it was written from.
func TestRoundTrip(t *testing.T) {
	for _, line := range samples(t) {
		evs, err := parse(t, line)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %d events, %v", line, len(evs), err)
		}
		got := string(event.AppendJSON(nil, evs[0], false))
		if got != line {
			t.Errorf("round trip\n got %s\nwant %s", got, line)
		}
	}
}

func TestFields(t *testing.T) {
	evs, err := parse(t, samples(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	if e.Dataset != event.Process || e.Proc == nil || e.Proc.PID != 4242 || e.Proc.Path != "/bin/sh" ||
		e.Proc.ParentPath != "/usr/sbin/nginx" || e.Container == nil || e.Container.ContainerID != "web-7f9c" || e.Record != nil {
		t.Errorf("event %+v proc %+v", e, e.Proc)
	}
	if e.Time.Nanosecond() != 123456789 {
		t.Errorf("time %v", e.Time)
	}
}

func TestBadInput(t *testing.T) {
	for _, c := range []struct{ line, field string }{
		{`{"vendor_product":"vigil sensor","time":"yesterday"}`, "time"},
		{`{"vendor_product":"vigil sensor","time":"2026-11-24T10:00:00Z","process_id":"forty"}`, "process_id"},
		{`{"vendor_product":"vigil sensor","time":"2026-11-24T10:00:00Z","process_path":{"a":1}}`, "process_path"},
		{`{"vendor_product":"vigil sensor","time":"2026-11-24T10:00:00Z","tags":"x"}`, "tags"},
		{`{"vendor_product":"vigil sensor","process_id":1}`, "time"},
	} {
		evs, err := parse(t, c.line)
		fe, ok := err.(*source.FieldError)
		if !ok || fe.Field != c.field || len(evs) != 0 {
			t.Errorf("%s: got %d events, error %v; want an error on %s", c.line, len(evs), err, c.field)
		}
	}
	// Fields a newer sensor may add are skipped; the event stays.
	evs, err := parse(t, `{"vendor_product":"vigil sensor","time":"2026-11-24T10:00:00Z","process_id":7,"future_field":true}`)
	if err != nil || len(evs) != 1 || evs[0].Proc.PID != 7 {
		t.Errorf("unknown field: %d events, %v", len(evs), err)
	}
	// Other products are not this format's.
	if evs, _ := parse(t, `{"vendor_product":"AWS CloudTrail","time":"2026-11-24T10:00:00Z"}`); evs != nil {
		t.Error("detected another product")
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range samples(f) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		v, err := fastjson.Parse(line)
		if err != nil {
			return
		}
		fm := sensorevent.New()
		if fm.Detect(v) {
			fm.Parse(&source.Record{JSON: v}, func(*event.Event) {})
		}
	})
}
