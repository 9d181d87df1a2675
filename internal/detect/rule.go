package detect

import (
	"strings"

	"github.com/vigilsec/vigil/internal/sigma"
)

// Rule is one loaded rule: a detection rule compiled for its logsource, or
// a correlation rule with its state.
type Rule struct {
	*sigma.Rule
	// File is where the rule was read ("builtin:..." for embedded rules).
	File string
	// Builtin marks rules that ship inside vigil.
	Builtin bool

	src   *source
	match *sigma.Matcher[*Doc]
	// feeds are the correlations that count this rule's matches.
	feeds []*correlation
	// quiet: the rule only feeds correlations (generate: false).
	quiet bool
	// corr is set for correlation rules.
	corr *correlation
	// level is Level in lower case, as Stats counts alerts.
	level string

	// Hits counts the rule's matches (single events), Alerts its alerts.
	Hits, Alerts int
	seen         uint64 // engine generation of the last evaluation
}

// Feeds returns how many correlation rules count this rule's matches.
func (r *Rule) Feeds() int { return len(r.feeds) }

// Kind says "detection" or the correlation type.
func (r *Rule) Kind() string {
	if r.Correlation != nil {
		return r.Correlation.Type
	}
	return "detection"
}

// Key identifies the rule in messages: its id, else its title.
func (r *Rule) Key() string {
	if r.ID != "" {
		return r.ID
	}
	return r.Title
}

// Active reports whether vigil feeds the rule events (a rule for a
// logsource vigil has no events for loads but stays idle).
func (r *Rule) Active() bool {
	if r.corr != nil {
		return len(r.corr.inputs) > 0
	}
	return r.src != nil
}

// Techniques returns the ATT&CK technique ids of the rule's tags, e.g. T1525.
func (r *Rule) Techniques() []string {
	var out []string
	for _, t := range r.Tags {
		if id, ok := strings.CutPrefix(strings.ToLower(t), "attack.t"); ok && id != "" && id[0] >= '0' && id[0] <= '9' {
			out = append(out, "T"+strings.ToUpper(id))
		}
	}
	return out
}

// Tactics returns the ATT&CK tactics of the rule's tags, e.g. persistence.
func (r *Rule) Tactics() []string {
	var out []string
	for _, t := range r.Tags {
		name, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
		if !ok || name == "" || (name[0] == 't' && len(name) > 1 && name[1] >= '0' && name[1] <= '9') ||
			(len(name) > 1 && (name[0] == 'g' || name[0] == 's') && name[1] >= '0' && name[1] <= '9') {
			continue
		}
		if tacticNames[name] {
			out = append(out, name)
		}
	}
	return out
}

// tacticNames are the ATT&CK enterprise tactics, as Sigma tags spell them.
var tacticNames = map[string]bool{
	"reconnaissance": true, "resource_development": true, "initial_access": true, "execution": true,
	"persistence": true, "privilege_escalation": true, "defense_evasion": true, "credential_access": true,
	"discovery": true, "lateral_movement": true, "collection": true, "command_and_control": true,
	"exfiltration": true, "impact": true,
}

// levelRank orders Sigma levels.
var levelRank = map[string]int{"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

// LevelAtLeast reports whether level is at or above min.
func LevelAtLeast(level, min string) bool {
	return levelRank[strings.ToLower(level)] >= levelRank[strings.ToLower(min)]
}

// ValidLevel reports whether s is a Sigma level.
func ValidLevel(s string) bool { return levelRank[strings.ToLower(s)] > 0 }
