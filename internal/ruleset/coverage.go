package ruleset

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/rules"
)

// TacticCoverage is one ATT&CK tactic and the techniques the rules cover
// under it.
type TacticCoverage struct {
	Tactic     string
	Techniques []Technique
}

// Technique is one ATT&CK technique and the rules tagged with it.
type Technique struct {
	ID    string
	Rules []string // rule titles
	// Platforms holds, per platform the rules cover (aws, azure, gcp,
	// kubernetes, linux, or "any" for a rule that shows none), the titles
	// of the rules that cover the technique there.
	Platforms map[string][]string
}

// Platforms are the platforms vigil reads events of, in the order coverage
// is shown; CloudPlatforms those of them that are clouds, where a cloud
// technique is expected on each.
var (
	Platforms      = []string{event.VendorAWS, event.VendorAzure, event.VendorGCP, event.VendorKubernetes, event.VendorLinux}
	CloudPlatforms = []string{event.VendorAWS, event.VendorAzure, event.VendorGCP}
)

// Tested says on which platforms each rule is shown to work: the vendors
// of the records that its positive tests (Test's results) alerted on.
type Tested map[string][]string

// TestedPlatforms collects, per rule, the platforms its passing positive
// tests alerted on.
func TestedPlatforms(results []Result) Tested {
	out := Tested{}
	for _, res := range results {
		if !res.Want || !res.Passed() {
			continue
		}
		k := ruleWhere(res.Rule)
		for _, v := range res.Vendors {
			if !slices.Contains(out[k], v) {
				out[k] = append(out[k], v)
			}
		}
	}
	return out
}

// PlatformsOf returns the platforms a rule covers: those its tests show;
// else its logsource's product when it names one; else "any" (a
// data-model rule without tests may match events of every platform).
func (t Tested) PlatformsOf(r *detect.Rule) []string {
	if vs := t[ruleWhere(r)]; len(vs) > 0 {
		out := slices.Clone(vs)
		slices.SortFunc(out, comparePlatforms)
		return out
	}
	if p := strings.ToLower(r.Logsource.Product); p != "" && p != "vigil" && r.Correlation == nil {
		return []string{p}
	}
	return []string{"any"}
}

func ruleWhere(r *detect.Rule) string { return fmt.Sprintf("%s:%d", r.File, r.Pos.Line) }

// comparePlatforms orders platforms as Platforms lists them, others after.
func comparePlatforms(a, b string) int {
	ia, ib := slices.Index(Platforms, a), slices.Index(Platforms, b)
	if ia < 0 {
		ia = len(Platforms)
	}
	if ib < 0 {
		ib = len(Platforms)
	}
	if ia != ib {
		return ia - ib
	}
	return strings.Compare(a, b)
}

// tacticOrder is the ATT&CK matrix column order.
var tacticOrder = []string{
	"reconnaissance", "resource_development", "initial_access", "execution", "persistence",
	"privilege_escalation", "defense_evasion", "credential_access", "discovery", "lateral_movement",
	"collection", "command_and_control", "exfiltration", "impact",
}

// Coverage returns, per tactic in matrix order, the techniques the rules
// cover. A rule counts under every tactic and technique it is tagged with;
// a technique tagged without a tactic is listed under "untagged".
// platforms says on which platforms a rule works (Tested.PlatformsOf).
func Coverage(rs []*detect.Rule, platforms func(*detect.Rule) []string) []TacticCoverage {
	byTactic := map[string]map[string][]*detect.Rule{}
	for _, r := range rs {
		tactics := r.Tactics()
		if len(tactics) == 0 {
			tactics = []string{"untagged"}
		}
		for _, tac := range tactics {
			for _, tech := range r.Techniques() {
				if byTactic[tac] == nil {
					byTactic[tac] = map[string][]*detect.Rule{}
				}
				byTactic[tac][tech] = append(byTactic[tac][tech], r)
			}
		}
	}
	var out []TacticCoverage
	for _, tac := range append(append([]string{}, tacticOrder...), "untagged") {
		techs := byTactic[tac]
		if len(techs) == 0 {
			continue
		}
		tc := TacticCoverage{Tactic: tac}
		for id, rules := range techs {
			t := Technique{ID: id, Platforms: map[string][]string{}}
			for _, r := range rules {
				t.Rules = append(t.Rules, r.Title)
				for _, p := range platforms(r) {
					t.Platforms[p] = append(t.Platforms[p], r.Title)
				}
			}
			sort.Strings(t.Rules)
			for _, titles := range t.Platforms {
				sort.Strings(titles)
			}
			tc.Techniques = append(tc.Techniques, t)
		}
		sort.Slice(tc.Techniques, func(i, j int) bool { return tc.Techniques[i].ID < tc.Techniques[j].ID })
		out = append(out, tc)
	}
	return out
}

// Gap is a technique that rules cover on some clouds but not on others.
type Gap struct {
	ID      string
	Covered []string // clouds with a rule for it
	Missing []string // clouds without, that have a log signal for it
	// NotApplicable says, per cloud without a rule, why none can exist
	// there (coverage.yml).
	NotApplicable map[string]string
}

// NotApplicable reads the builtin coverage.yml: per technique and cloud,
// why no rule covers the technique there (the service does not exist on
// that cloud, or the cloud logs nothing an attack would leave).
func NotApplicable() (map[string]map[string]string, error) {
	var doc struct {
		NotApplicable map[string]map[string]string `yaml:"not_applicable"`
	}
	data, err := rules.FS.ReadFile("coverage.yml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("builtin:coverage.yml: %w", err)
	}
	for tech, clouds := range doc.NotApplicable {
		for c, why := range clouds {
			if !slices.Contains(CloudPlatforms, c) || why == "" {
				return nil, fmt.Errorf("builtin:coverage.yml: not_applicable.%s.%s: want a cloud (%s) and a reason", tech, c, strings.Join(CloudPlatforms, ", "))
			}
		}
	}
	return doc.NotApplicable, nil
}

// CloudGaps lists, by technique id, the techniques that rules of one of
// CloudPlatforms are tagged with and that another lacks (a technique is
// covered by its own rules and by those of its sub-techniques; a rule of
// platform "any" covers every cloud); na (NotApplicable) explains some of
// the clouds without.
func CloudGaps(cov []TacticCoverage, na map[string]map[string]string) []Gap {
	// on[technique][platform]: some rule covers the technique there.
	on := map[string]map[string]bool{}
	for _, tc := range cov {
		for _, t := range tc.Techniques {
			if on[t.ID] == nil {
				on[t.ID] = map[string]bool{}
			}
			for p := range t.Platforms {
				on[t.ID][p] = true
			}
		}
	}
	// covered: a rule tagged with the technique, or with one of its
	// sub-techniques, works on p (or on any platform).
	covered := func(id, p string) bool {
		for other, ps := range on {
			if (ps[p] || ps["any"]) && (other == id || strings.HasPrefix(other, id+".")) {
				return true
			}
		}
		return false
	}
	var out []Gap
	ids := make([]string, 0, len(on))
	for id := range on {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !slices.ContainsFunc(CloudPlatforms, func(p string) bool { return on[id][p] }) {
			continue // no cloud rule is tagged with it
		}
		g := Gap{ID: id}
		for _, p := range CloudPlatforms {
			switch why := na[id][p]; {
			case covered(id, p):
				g.Covered = append(g.Covered, p)
			case why != "":
				if g.NotApplicable == nil {
					g.NotApplicable = map[string]string{}
				}
				g.NotApplicable[p] = why
			default:
				g.Missing = append(g.Missing, p)
			}
		}
		if len(g.Covered) > 0 && len(g.Missing)+len(g.NotApplicable) > 0 {
			out = append(out, g)
		}
	}
	return out
}
