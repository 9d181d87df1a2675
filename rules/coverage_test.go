package rules_test

import (
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/ruleset"
)

// TestPlatforms checks where vigil coverage says rules work: on the
// platforms whose records their positive tests alert on, else their
// logsource's product, else any.
func TestPlatforms(t *testing.T) {
	files, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := ruleset.Placeholders(ruleset.Options{})
	cfg := detect.Config{Placeholders: ph}
	tested := ruleset.TestedPlatforms(ruleset.Test(files, cfg))
	g, errs := detect.New(cfg, files)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	byTitle := map[string][]string{}
	for _, r := range g.Rules() {
		byTitle[r.Title] = tested.PlatformsOf(r)
	}
	for title, want := range map[string][]string{
		"Cloud Backups Deleted":                             {"aws", "azure"}, // one data-model rule, tested on both
		"Privileged Container Created":                      {"kubernetes"},
		"AWS Security Group Ingress Opened to the Internet": {"aws"},
		"Interactive Shell in a Container":                  {"linux"},
	} {
		if got := byTitle[title]; !slices.Equal(got, want) {
			t.Errorf("%s: platforms %v, want %v", title, got, want)
		}
	}
	for title, ps := range byTitle {
		if slices.Contains(ps, "any") {
			t.Errorf("%s: a builtin rule whose tests show no platform", title)
		}
	}

	// Rules without tests: their logsource's product, or any.
	extra := []detect.File{
		{Name: "gcp.yml", Data: []byte("title: untested gcp\nlogsource: {product: gcp}\ndetection: {sel: {methodName: x}, condition: sel}\n")},
		{Name: "dm.yml", Data: []byte("title: untested data model\nlogsource: {product: vigil}\ndetection: {sel: {event_name: x}, condition: sel}\n")},
	}
	g2, errs := detect.New(cfg, extra)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	none := ruleset.TestedPlatforms(ruleset.Test(extra, cfg))
	for _, r := range g2.Rules() {
		want := map[string]string{"untested gcp": "gcp", "untested data model": "any"}[r.Title]
		if got := none.PlatformsOf(r); !slices.Equal(got, []string{want}) {
			t.Errorf("%s: platforms %v, want [%s]", r.Title, got, want)
		}
	}
}

// TestNotApplicable checks coverage.yml against the rules: a technique it
// says a cloud has no signal for is covered by no rule on that cloud and
// by some rule on another (else the entry is stale).
func TestNotApplicable(t *testing.T) {
	na, err := ruleset.NotApplicable()
	if err != nil {
		t.Fatal(err)
	}
	files, err := ruleset.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	ph, _ := ruleset.Placeholders(ruleset.Options{})
	cfg := detect.Config{Placeholders: ph}
	tested := ruleset.TestedPlatforms(ruleset.Test(files, cfg))
	g, _ := detect.New(cfg, files)
	on := map[string]map[string]bool{}
	for _, tc := range ruleset.Coverage(g.Rules(), tested.PlatformsOf) {
		for _, tech := range tc.Techniques {
			if on[tech.ID] == nil {
				on[tech.ID] = map[string]bool{}
			}
			for p := range tech.Platforms {
				on[tech.ID][p] = true
			}
		}
	}
	for tech, clouds := range na {
		other := false
		for _, c := range ruleset.CloudPlatforms {
			if _, ok := clouds[c]; !ok && on[tech][c] {
				other = true
			}
		}
		if !other {
			t.Errorf("coverage.yml: %s: no rule covers it on any other cloud", tech)
		}
		for c := range clouds {
			if on[tech][c] {
				t.Errorf("coverage.yml: %s has no signal on %s, but a rule covers it there", tech, c)
			}
		}
	}
}
