package ruleset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sigma"
)

// A rule's own tests are a vigil extension: a top-level "tests" key in the
// rule's YAML document,
//
//	tests:
//	  - name: root pushes an image
//	    match: true          # the rule fires (a correlation: at least one alert)
//	    events:              # raw vendor records, as vigil normalize reads them
//	      - {eventSource: ecr.amazonaws.com, eventName: PutImage, ...}
//	    geoip:               # optional: what a GeoIP database would say
//	      81.2.69.142: {country: GB, asn: "2856"}
//
// Each test runs the records through vigil's real ingestion and an engine
// holding the rule's file, and counts the rule's alerts.
type ruleTest struct {
	Name   string           `yaml:"name"`
	Match  *bool            `yaml:"match"`
	Events []map[string]any `yaml:"events"`
	// GeoIP stands in for a GeoIP database: source address → country and
	// ASN, applied as --geoip would.
	GeoIP map[string]struct {
		Country string `yaml:"country"`
		ASN     string `yaml:"asn"`
	} `yaml:"geoip"`
}

// Result is the outcome of one test of one rule.
type Result struct {
	Rule   *detect.Rule
	Test   string
	Want   bool
	Alerts int   // the rule's alerts; for a rule that only feeds correlations, its matches
	Err    error // the test could not run, or the rule has no tests
	// Vendors are the event.Vendor values (aws, azure, gcp, kubernetes,
	// linux) of the records the rule's alerts were raised on: the
	// platforms the test shows the rule to work on.
	Vendors []string
}

// Passed reports whether the test ran and the rule did what it should.
func (r Result) Passed() bool {
	return r.Err == nil && (r.Alerts > 0) == r.Want
}

// Test runs the tests of every rule in files (rules that only feed a
// correlation may leave their tests to it). cfg is the engine
// configuration to test under (its placeholders in particular).
func Test(files []detect.File, cfg detect.Config) []Result {
	var out []Result
	for _, f := range files {
		g, errs := detect.New(cfg, []detect.File{f})
		for _, err := range errs {
			out = append(out, Result{Rule: &detect.Rule{Rule: &sigma.Rule{Title: f.Name}, File: f.Name}, Test: "load", Err: err})
		}
		for _, r := range g.Rules() {
			out = append(out, testRule(cfg, f, r)...)
		}
	}
	return out
}

func testRule(cfg detect.Config, f detect.File, r *detect.Rule) []Result {
	node := r.Extra["tests"]
	if node == nil {
		if r.Correlation == nil && feedsOnly(r) {
			return nil // tested through its correlation
		}
		return []Result{{Rule: r, Test: "-", Err: fmt.Errorf("%s: rule has no tests", r.Pos)}}
	}
	var tests []ruleTest
	if err := node.Decode(&tests); err != nil {
		return []Result{{Rule: r, Test: "-", Err: fmt.Errorf("%s: tests: %v", r.Pos, err)}}
	}
	if len(tests) == 0 {
		return []Result{{Rule: r, Test: "-", Err: fmt.Errorf("%s: rule has no tests", r.Pos)}}
	}
	var out []Result
	for i, t := range tests {
		res := Result{Rule: r, Test: t.Name}
		if res.Test == "" {
			res.Test = fmt.Sprintf("#%d", i+1)
		}
		if t.Match == nil {
			res.Err = fmt.Errorf("%s: test %q: match: true or false is required", r.Pos, res.Test)
			out = append(out, res)
			continue
		}
		res.Want = *t.Match
		res.Alerts, res.Vendors, res.Err = runTest(cfg, f, r, t)
		out = append(out, res)
	}
	return out
}

// feedsOnly reports a detection rule that another rule of its file
// correlates (its tests may live on the correlation).
func feedsOnly(r *detect.Rule) bool { return r.Feeds() > 0 }

func runTest(cfg detect.Config, f detect.File, r *detect.Rule, t ruleTest) (int, []string, error) {
	if len(t.Events) == 0 {
		return 0, nil, fmt.Errorf("%s: test %q has no events", r.Pos, t.Name)
	}
	var in bytes.Buffer
	for _, ev := range t.Events {
		b, err := json.Marshal(jsonable(ev))
		if err != nil {
			return 0, nil, fmt.Errorf("%s: test %q: %v", r.Pos, t.Name, err)
		}
		in.Write(b)
		in.WriteByte('\n')
	}
	g, errs := detect.New(cfg, []detect.File{f})
	if len(errs) > 0 {
		return 0, nil, errs[0]
	}
	var problems []string
	reader := ingest.NewReader(ingest.Settings{Formats: components.Formats(), OnProblem: func(p ingest.Problem) {
		problems = append(problems, p.Error())
	}})
	var self *detect.Rule // the rule under test, in this engine
	for _, x := range g.Rules() {
		if x.Pos == r.Pos {
			self = x
		}
	}
	alerts := 0
	var vendors []string
	count := func(a *detect.Alert) {
		if a.Rule == self {
			alerts++
			for _, e := range a.Events {
				if e.Vendor != "" && !slices.Contains(vendors, e.Vendor) {
					vendors = append(vendors, e.Vendor)
				}
			}
		}
	}
	reader.ReadStream(fmt.Sprintf("%s test %q", r.Pos, t.Name), &in, func(e *event.Event) {
		if geo, ok := t.GeoIP[e.SrcIP]; ok {
			e.SrcCountry, e.SrcASN = geo.Country, geo.ASN
		}
		if self != nil && self.Correlation == nil && self.Feeds() > 0 {
			// A rule that only feeds correlations shows the platforms
			// of the records it matches.
			before := self.Hits
			g.Process(e, count)
			if self.Hits > before && e.Vendor != "" && !slices.Contains(vendors, e.Vendor) {
				vendors = append(vendors, e.Vendor)
			}
			return
		}
		g.Process(e, count)
	})
	g.Flush(count)
	if self != nil && self.Correlation == nil && self.Feeds() > 0 && alerts == 0 {
		// A rule that only feeds correlations raises no alert of its own:
		// its tests are about whether it matches.
		alerts = self.Hits
	}
	if len(problems) > 0 {
		return alerts, vendors, fmt.Errorf("test events: %s", strings.Join(problems, "; "))
	}
	return alerts, vendors, nil
}

// jsonable turns YAML-decoded maps (map[string]any, with nested
// map[string]any or []any) into values encoding/json accepts.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	}
	return v
}
