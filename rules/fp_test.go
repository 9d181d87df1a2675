package rules_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// TestPantherNegatives runs the builtin single-event rules over Panther's
// labelled test events (other rules' tests, written by people who know the
// logs) and measures how often they fire on the events Panther labels
// benign. Each event is scanned alone, by a fresh engine, so that only
// single-event rules can fire.
func TestPantherNegatives(t *testing.T) {
	files, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := ruleset.Placeholders(ruleset.Options{})
	cfg := detect.Config{Placeholders: ph}
	negatives, fired := 0, 0
	byRule := map[string]int{}
	for _, name := range []string{"aws/cloudtrail", "azure/activity", "azure/signin", "azure/aks", "gcp/audit", "gcp/gke", "kubernetes/audit"} {
		events := sourcetest.Lines(t, sourcetest.Corpus(t, name+"/panther-tests.jsonl"))
		labels := sourcetest.Lines(t, sourcetest.Corpus(t, name+"/panther-tests.labels.jsonl"))
		if len(events) != len(labels) {
			t.Fatalf("%s: %d events, %d labels", name, len(events), len(labels))
		}
		for i, rec := range events {
			var label struct {
				Expected bool `json:"expected"`
			}
			if err := json.Unmarshal(labels[i], &label); err != nil {
				t.Fatal(err)
			}
			if label.Expected {
				continue
			}
			negatives++
			g, _ := detect.New(cfg, files)
			var titles []string
			out := func(a *detect.Alert) {
				if a.Rule.Correlation == nil {
					titles = append(titles, a.Rule.Title)
				}
			}
			r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
			r.ReadStream(name, bufio.NewReader(bytes.NewReader(rec)), func(e *event.Event) { g.Process(e, out) })
			g.Flush(out)
			if len(titles) > 0 {
				fired++
				for _, ti := range titles {
					byRule[ti]++
				}
			}
		}
	}
	var list []string
	for k, v := range byRule {
		list = append(list, strings.Repeat(" ", 3-len(itoa(v)))+itoa(v)+"  "+k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(list)))
	rate := float64(fired) / float64(negatives)
	t.Logf("builtin rules fired on %d of %d events Panther labels benign (%.1f%%):\n%s", fired, negatives, 100*rate, strings.Join(list, "\n"))
	if rate > 0.15 {
		t.Errorf("false-positive rate %.1f%% on Panther's benign events, above 15%%", 100*rate)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
