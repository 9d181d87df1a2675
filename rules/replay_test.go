package rules_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/ruleset"
)

// replayScript is an attack replay's steps.yml: the log it is recorded in
// and, step by step, the records each step is made of and the ATT&CK
// technique an alert on them must carry.
type replayScript struct {
	Cloud string `yaml:"cloud"`
	Log   string `yaml:"log"`
	Steps []struct {
		Technique string   `yaml:"technique"`
		Name      string   `yaml:"name"`
		Events    []string `yaml:"events"`
	} `yaml:"steps"`
}

// minReplayTechniques is the fewest distinct techniques a cloud's replay
// must exercise.
const minReplayTechniques = 30

// TestAttackReplay scans each attack replay under testdata/replay with the
// builtin rules, as vigil scan does, and asserts that every step raises an
// alert, on one of the step's own records, tagged with the step's
// technique (or its parent or a sub-technique of it); and that the
// ordinary activity around the attack raises none.
func TestAttackReplay(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("testdata", "replay", "*", "steps.yml"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no replays: %v", err)
	}
	files, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := ruleset.Placeholders(ruleset.Options{})
	for _, path := range scripts {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var sc replayScript
		if err := yaml.Unmarshal(data, &sc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		t.Run(sc.Cloud, func(t *testing.T) {
			g, errs := detect.New(detect.Config{Placeholders: ph}, files)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			// techniques[id]: the techniques of the alerts raised on the
			// record with event id id; titles[id] those alerts' titles.
			techniques, titles := map[string][]string{}, map[string][]string{}
			alert := func(a *detect.Alert) {
				for _, e := range a.Events {
					techniques[e.EventID] = append(techniques[e.EventID], a.Rule.Techniques()...)
					titles[e.EventID] = append(titles[e.EventID], a.Rule.Title)
				}
			}
			r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
			read := 0
			ingest.ReadMerged(r, []string{filepath.Join(filepath.Dir(path), sc.Log)}, func(e *event.Event) {
				read++
				g.Process(e, alert)
			})
			g.Flush(alert)
			if st := r.Stats(); read == 0 || len(st.Skipped) > 0 || len(st.Unread) > 0 || st.NoTime > 0 {
				t.Fatalf("%s: %d events read, stats %+v", sc.Log, read, r.Stats())
			}
			inStep := map[string]bool{}
			distinct := map[string]bool{}
			caught := 0
			for _, st := range sc.Steps {
				distinct[st.Technique] = true
				ok := false
				for _, id := range st.Events {
					inStep[id] = true
					if slices.ContainsFunc(techniques[id], func(got string) bool { return sameTechnique(st.Technique, got) }) {
						ok = true
					}
				}
				if ok {
					caught++
					continue
				}
				var raised []string
				for _, id := range st.Events {
					raised = append(raised, titles[id]...)
				}
				slices.Sort(raised)
				t.Errorf("step %q (%s): no alert with its technique; alerts on its records: %v", st.Name, st.Technique, slices.Compact(raised))
			}
			for id, ts := range titles {
				if !inStep[id] {
					t.Errorf("ordinary activity alerted: record %s: %v", id, ts)
				}
			}
			if len(distinct) < minReplayTechniques {
				t.Errorf("%d techniques replayed, want at least %d", len(distinct), minReplayTechniques)
			}
			t.Logf("%s: %d of %d steps caught with their technique, %d techniques, %d events", sc.Cloud, caught, len(sc.Steps), len(distinct), read)
		})
	}
}

// sameTechnique reports whether an alert's technique got is the step's
// technique want, its parent or one of its sub-techniques.
func sameTechnique(want, got string) bool {
	want, got = strings.ToUpper(want), strings.ToUpper(got)
	return want == got || strings.HasPrefix(want, got+".") || strings.HasPrefix(got, want+".")
}
