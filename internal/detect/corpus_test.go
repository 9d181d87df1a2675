package detect

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sigma"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// corpusRules reads the SigmaHQ rules of the shared corpus under dirs.
func corpusRules(t testing.TB, dirs ...string) []File {
	var files []File
	for _, d := range dirs {
		root := sourcetest.Corpus(t, filepath.Join("sigma", d))
		filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
			if err == nil && !de.IsDir() && strings.HasSuffix(p, ".yml") {
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, File{Name: p, Data: data})
			}
			return nil
		})
	}
	return files
}

// routes reports whether the engine sends e to rule r.
func routes(r *Rule, e *event.Event) bool {
	if r.src == nil || r.match == nil {
		return false
	}
	if r.src.vendor {
		for _, p := range r.src.products {
			if p == e.VendorProduct {
				return true
			}
		}
		return false
	}
	cat := strings.TrimPrefix(r.src.key, "vigil/")
	return cat == "" || datasetOf(cat) == e.Dataset
}

// TestIndexAgreesWithNaive runs the builtin rules and every corpus cloud
// and Kubernetes rule over every corpus record and over examples/ twice —
// through the engine's indexes, and by evaluating every routed rule — and
// requires the same matches.
func TestIndexAgreesWithNaive(t *testing.T) {
	files := allRules(t)
	g, errs := New(Config{Placeholders: map[string][]string{"vuln_min_severities": {"critical", "high"}, "admin_policies": {"x"}, "aws_instance_networks": {"10.0.0.0/8"}}}, files)
	for _, err := range errs {
		t.Errorf("corpus rule does not load: %v", err)
	}
	indexed := 0
	for _, bs := range g.vendor {
		for _, b := range bs {
			for _, ix := range b.indexes {
				for _, s := range ix.rules.slots {
					indexed += len(s.rules)
				}
			}
		}
	}
	t.Logf("%d rules loaded from %d files, %d idle, %d index entries", len(g.Rules()), len(files), g.Stats().RulesIdle, indexed)
	if indexed == 0 {
		t.Fatal("no rule was indexed")
	}
	naive := map[*Rule]int{}
	var doc Doc
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
	r.ReadPaths([]string{
		sourcetest.Corpus(t, "aws"), sourcetest.Corpus(t, "gcp"), sourcetest.Corpus(t, "azure"), sourcetest.Corpus(t, "kubernetes"),
		filepath.Join(sourcetest.Root(), "examples"),
	}, func(e *event.Event) {
		doc.reset(e)
		var hit []*Rule
		for _, rule := range g.Rules() {
			if routes(rule, e) && rule.match.Match(&doc) {
				hit = append(hit, rule)
			}
		}
		dups := g.Stats().Duplicates
		g.Process(e, func(*Alert) {})
		if g.Stats().Duplicates > dups {
			return // a copy of an earlier event: the engine skips it
		}
		for _, rule := range hit {
			naive[rule]++
		}
	})
	total := 0
	for _, rule := range g.Rules() {
		if rule.Hits != naive[rule] {
			t.Errorf("%s (%s): %d matches through the index, %d evaluating every rule", rule.Title, rule.File, rule.Hits, naive[rule])
		}
		total += rule.Hits
	}
	t.Logf("%d events, %d matches", g.Stats().Events, total)
	if total == 0 {
		t.Error("no corpus rule matched any corpus record")
	}
}

// TestCopiedFieldsAgreeWithRecord checks every vendor field the engine
// reads from the event instead of the record (source.copies) against the
// record itself, on every corpus and example record of its logsource.
func TestCopiedFieldsAgreeWithRecord(t *testing.T) {
	checked := 0
	for key, src := range vendorSources {
		if len(src.copies) == 0 {
			continue
		}
		var doc Doc
		r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
		r.ReadPaths([]string{sourcetest.Corpus(t, ""), filepath.Join(sourcetest.Root(), "examples")}, func(e *event.Event) {
			if !slices.Contains(src.products, e.VendorProduct) {
				return
			}
			doc.reset(e)
			for name, c := range src.copies {
				want := doc.path(splitPath(name))
				got := copiedField(c, func(d *Doc) sigma.Value { return d.path(splitPath(name)) })(&doc)
				switch {
				case want.Kind == sigma.String && want.S != "":
					if got.Kind != sigma.String || got.S != want.S {
						t.Errorf("%s %s (event %s): %v %q from the event, %q in the record", key, name, e.EventID, got.Kind, got.S, want.S)
					}
				case want.Kind == sigma.Absent || want.Kind == sigma.Null || want.Kind == sigma.String:
					if got.Kind != want.Kind || got.S != "" {
						t.Errorf("%s %s (event %s): %v %q from the event, %v in the record", key, name, e.EventID, got.Kind, got.S, want.Kind)
					}
				}
				checked++
			}
		})
	}
	t.Logf("%d values checked", checked)
	if checked < 1000 {
		t.Errorf("only %d values checked", checked)
	}
}

// TestMemoAgreesWithEvaluation runs the corpus and examples/ through two
// engines with every rule loaded, one remembering by the identity of
// strings the outcome of rules over repeating data-model fields (memo),
// index lookups (probeCache) and correlation groups (groupCache), and
// reading index values from the event, the other evaluating every rule
// it reaches, reading index values through the rules' getters, hashing
// every probe and building every group key, and requires the same
// matches and the same alerts, rule by rule.
func TestMemoAgreesWithEvaluation(t *testing.T) {
	files := allRules(t)
	cfg := Config{Placeholders: map[string][]string{"vuln_min_severities": {"critical", "high"}, "admin_policies": {"x"}, "aws_instance_networks": {"10.0.0.0/8"}}}
	with, _ := New(cfg, files)
	without, _ := New(cfg, files)
	memos := map[string]*memo{}
	for _, r := range without.Rules() {
		r.memo = nil
	}
	cached := 0
	for i, c := range without.corrs {
		for k := range c.owned {
			c.owned[k].byGroup = false
			if with.corrs[i].owned[k].byGroup {
				cached++
			}
		}
	}
	if cached == 0 {
		t.Error("no correlation finds its groups by identity")
	}
	owned := 0
	buckets := []*bucket{without.vigilAll}
	for _, b := range without.byDS {
		buckets = append(buckets, b)
	}
	for _, bs := range without.vendor {
		buckets = append(buckets, bs...)
	}
	copied := 0
	for _, b := range buckets {
		for _, ix := range b.indexes {
			if ix.owned || ix.model != nil {
				owned++
			}
			if ix.fallback {
				copied++
			}
			// Every value through the index's getter, every probe hashed.
			ix.owned, ix.model, ix.fallback = false, nil, false
		}
	}
	if owned == 0 || copied == 0 {
		t.Errorf("%d indexes remember lookups by identity, %d read vendor fields from the event", owned, copied)
	}
	for _, r := range with.Rules() {
		if r.memo != nil {
			memos[r.Title] = r.memo
		}
	}
	for _, title := range []string{"Cloud API Call With a Region", "API Call With a Long-Term Credential"} {
		if memos[title] == nil {
			t.Errorf("%s: no memo", title)
		}
	}
	alerts := map[*Engine]map[string]int{with: {}, without: {}}
	signatures := map[*Engine][]string{}
	paths := []string{sourcetest.Corpus(t, "aws"), sourcetest.Corpus(t, "gcp"), sourcetest.Corpus(t, "azure"), sourcetest.Corpus(t, "kubernetes"),
		filepath.Join(sourcetest.Root(), "examples")}
	for _, g := range []*Engine{with, without} {
		count := func(a *Alert) {
			alerts[g][a.Rule.Title]++
			signatures[g] = append(signatures[g], fmt.Sprint(a.Rule.Title, a.Time, a.GroupBy, a.Count, a.Aggregate, len(a.Events), a.EventsDropped))
		}
		r := ingest.NewReader(ingest.Settings{Formats: components.Formats()})
		r.ReadPaths(paths, func(e *event.Event) { g.Process(e, count) })
		g.Flush(count)
	}
	for i, r := range with.Rules() {
		if o := without.Rules()[i]; r.Hits != o.Hits || alerts[with][r.Title] != alerts[without][r.Title] {
			t.Errorf("%s: %d matches and %d alerts with memos, %d and %d without", r.Title, r.Hits, alerts[with][r.Title], o.Hits, alerts[without][r.Title])
		}
	}
	if !slices.Equal(signatures[with], signatures[without]) {
		t.Errorf("%d alerts with memos and group caches, %d without, not the same", len(signatures[with]), len(signatures[without]))
	}
	hits, misses := 0, 0
	for title, m := range memos {
		hits += m.hits
		misses += m.misses
		if m.hits+m.misses > 1000 {
			t.Logf("%s: %d hits, %d misses", title, m.hits, m.misses)
		}
	}
	t.Logf("%d rules with a memo: %d hits, %d misses", len(memos), hits, misses)
	if hits < 4*misses {
		t.Errorf("memos hit %d times and missed %d times", hits, misses)
	}
}
