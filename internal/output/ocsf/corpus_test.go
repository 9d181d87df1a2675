package ocsf_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/output/ocsf"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// TestCorpus writes every event the shared corpus yields, raw records
// included, and validates each against the schema tables.
func TestCorpus(t *testing.T) {
	root := sourcetest.Corpus(t, "")
	var buf bytes.Buffer
	w := ocsf.New(&buf)
	n := 0
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), KeepRaw: true})
	r.ReadPaths([]string{root}, func(e *event.Event) {
		n++
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	classes := map[int]int{}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, 64<<20)
	line, bad := 0, 0
	for sc.Scan() {
		line++
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		c, _ := intOf(ev["class_uid"])
		classes[c]++
		if errs := validate(ev); len(errs) > 0 {
			if bad++; bad <= 10 {
				t.Errorf("event %d (%s): %v", line, get(ev, "metadata.product.name"), errs)
			}
		}
	}
	if line != n {
		t.Errorf("%d lines for %d events", line, n)
	}
	t.Logf("%d events by class: %v", n, classes)
}
