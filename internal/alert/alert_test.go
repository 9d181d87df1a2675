package alert_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// TestFromOwnsItsEvents: an alert taken from the engine stays as it was
// when the engine's events and alert change afterwards.
func TestFromOwnsItsEvents(t *testing.T) {
	g, errs := detect.New(detect.Config{}, []detect.File{{Name: "r.yml", Data: []byte(`
title: key created
id: 9a1f0f3e-3d0a-4a55-9d7b-3f1d2c4b5a60
logsource: {product: vigil}
detection:
  sel: {event_name: CreateAccessKey}
  condition: sel
level: high
tags: [attack.persistence, attack.t1098.001]
`)}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	e := &event.Event{Time: time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC), Vendor: "aws", VendorProduct: "AWS CloudTrail",
		EventName: "CreateAccessKey", SrcUser: "arn:aws:iam::111122223333:user/bob", EventID: "e1", Raw: []byte(`{"eventName":"CreateAccessKey"}`)}
	var got *alert.Alert
	g.Process(e, func(a *detect.Alert) {
		got = alert.From(a)
		a.Rule.Tags[0] = "changed" // the engine's rule: the alert keeps its copy
	})
	g.Rules()[0].Tags[0] = "attack.persistence"
	e.SrcUser, e.Raw[2] = "mallory", 'X'
	if got == nil {
		t.Fatal("no alert")
	}
	if ev := got.Events[0]; ev == e || ev.SrcUser != "arn:aws:iam::111122223333:user/bob" || string(ev.Raw) != `{"eventName":"CreateAccessKey"}` {
		t.Errorf("the alert's event follows the engine's: %+v", ev)
	}
	if got.Rule.Tags[0] != "attack.persistence" || got.Rule.Level != "high" || got.Rule.Type != "detection" || got.Rule.Correlation {
		t.Errorf("rule %+v", got.Rule)
	}
	var m map[string]any
	if err := json.Unmarshal(got.AppendJSON(nil), &m); err != nil || m["id"] != got.ID || len(got.ID) != 32 {
		t.Errorf("JSON %v (%v), id %q", m, err, got.ID)
	}
}

// TestIDStable scans the examples and the attack replays twice: each alert has an id no other
// alert of the scan has, and the same id in both scans.
func TestIDStable(t *testing.T) {
	scan := func() []string {
		files, err := ruleset.Builtin()
		if err != nil {
			t.Fatal(err)
		}
		ph, _ := ruleset.Placeholders(ruleset.Options{})
		g, errs := detect.New(detect.Config{Placeholders: ph}, files)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		var ids []string
		out := func(a *detect.Alert) { ids = append(ids, alert.From(a).ID) }
		r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
		paths := []string{filepath.Join(sourcetest.Root(), "examples"), filepath.Join(sourcetest.Root(), "rules", "testdata", "replay")}
		ingest.ReadMerged(r, paths, func(e *event.Event) { g.Process(e, out) })
		g.Flush(out)
		return ids
	}
	first, second := scan(), scan()
	if len(first) < 100 {
		t.Fatalf("%d alerts on the examples and replays", len(first))
	}
	if !slices.Equal(first, second) {
		t.Errorf("ids differ between two scans of the same input:\n%v\n%v", first, second)
	}
	seen := map[string]bool{}
	for _, id := range first {
		if seen[id] {
			t.Errorf("id %s given to two alerts", id)
		}
		seen[id] = true
	}
}
