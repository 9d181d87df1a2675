package ruleset

import (
	"sort"

	"github.com/vigilsec/vigil/internal/detect"
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
func Coverage(rs []*detect.Rule) []TacticCoverage {
	byTactic := map[string]map[string][]string{}
	for _, r := range rs {
		tactics := r.Tactics()
		if len(tactics) == 0 {
			tactics = []string{"untagged"}
		}
		for _, tac := range tactics {
			for _, tech := range r.Techniques() {
				if byTactic[tac] == nil {
					byTactic[tac] = map[string][]string{}
				}
				byTactic[tac][tech] = append(byTactic[tac][tech], r.Title)
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
		for id, titles := range techs {
			sort.Strings(titles)
			tc.Techniques = append(tc.Techniques, Technique{ID: id, Rules: titles})
		}
		sort.Slice(tc.Techniques, func(i, j int) bool { return tc.Techniques[i].ID < tc.Techniques[j].ID })
		out = append(out, tc)
	}
	return out
}
