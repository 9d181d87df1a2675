package detect

import (
	"math/bits"
	"slices"
	"strings"
	"unsafe"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Rule is one loaded rule: a detection rule compiled for its logsource, or
// a correlation rule with its state.
type Rule struct {
	// The fields every evaluation reads come first, to share cache lines.
	seen  uint64 // engine generation of the last evaluation
	match *sigma.Matcher[*Doc]
	// memo, when set, remembers the outcome of match by its inputs.
	memo *memo
	// feeds are the correlations that count this rule's matches.
	feeds []*correlation
	// quiet: the rule only feeds correlations (generate: false).
	quiet bool
	// Hits counts the rule's matches (single events), Alerts its alerts.
	Hits, Alerts int

	*sigma.Rule
	// File is where the rule was read ("builtin:..." for embedded rules).
	File string
	// Builtin marks rules that ship inside vigil.
	Builtin bool

	src *source
	// corr is set for correlation rules.
	corr *correlation
	// level is Level in lower case, as Stats counts alerts.
	level string
}

// matches evaluates the rule's detection on the engine's document.
func (r *Rule) matches(d *Doc) bool {
	if r.memo != nil {
		return r.memo.match(r.match, d)
	}
	return r.match.Match(d)
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

// EventNames returns the event names (event_name) a detection rule can
// match when its logsource or its detection restricts them: the runtime
// sensor's events a Linux category receives, or the literal values the
// detection requires of event_name. ok is false when the rule can match
// events of any name (and for correlation rules).
func (r *Rule) EventNames() (names []string, ok bool) {
	if r.match == nil || r.src == nil {
		return nil, false
	}
	if len(r.src.names) > 0 {
		for n := range r.src.names {
			names = append(names, n)
		}
		slices.Sort(names)
		return names, true
	}
	if _, vs, ok := r.match.Prefilter([]string{"event_name"}); ok {
		return vs, true
	}
	return nil, false
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

// memo remembers a rule's outcome for the values of its inputs, when
// they are a few data-model text fields whose values repeat from event
// to event (vendor, region, account, user agent...): a rule reached by
// nearly every event, such as one that feeds a correlation with every
// API call, is then evaluated once per combination of values.
//
// Inputs are compared by identity: two strings with the same data
// pointer and length hold the same text, since event fields are ordinary
// (immutable) Go strings and the memo keeps the strings it remembers, so
// their memory is not reused. Sources intern repeating values
// (source.Intern), so equal values are mostly one string; equal values in
// distinct strings merely miss. A slot holds one combination and is
// replaced by the next that hashes to it.
type memo struct {
	fields []*event.Field
	keys   []string // memoSlots slots of len(fields) inputs, allocated on first use
	state  []uint8  // per slot: memoEmpty, memoNoMatch or memoMatch
	// hits and misses count lookups (for tests and tuning).
	hits, misses int
}

const (
	memoSlots     = 64 // a power of two
	memoMaxInputs = 4

	memoEmpty   = 0
	memoNoMatch = 1
	memoMatch   = 2
)

// memoFor returns a memo for r when its detection reads nothing but at
// most memoMaxInputs data-model text fields whose values repeat: those
// marked Repeats, and vendor and dataset, which sources set from package
// event's constants. Else nil.
func memoFor(r *Rule) *memo {
	if r.match == nil || r.src == nil || r.match.Keywords() {
		return nil
	}
	if _, ok := r.src.resolver(nil).(modelResolver); !ok {
		return nil // vendor records, or fields under other names
	}
	names := r.match.Fields()
	if len(names) == 0 || len(names) > memoMaxInputs {
		return nil
	}
	m := &memo{}
	for _, n := range names {
		f := event.Lookup(n)
		if f == nil || f.Kind != event.KindString || !(f.Repeats || f.Name == "vendor" || f.Name == "dataset") {
			return nil
		}
		m.fields = append(m.fields, f)
	}
	return m
}

// match returns match.Match(d), from memory when the inputs were seen.
func (m *memo) match(match *sigma.Matcher[*Doc], d *Doc) bool {
	var buf [memoMaxInputs]string
	in := buf[:len(m.fields)]
	for i, f := range m.fields {
		in[i] = f.String(d.E)
	}
	k := len(in)
	if m.keys == nil {
		m.keys = make([]string, memoSlots*k)
		m.state = make([]uint8, memoSlots)
	}
	slot := identitySlot(in, memoSlots)
	keys := m.keys[slot*k : slot*k+k]
	if st := m.state[slot]; st != memoEmpty && sameStrings(keys, in) {
		m.hits++
		return st == memoMatch
	}
	m.misses++
	ok := match.Match(d)
	copy(keys, in)
	m.state[slot] = memoNoMatch
	if ok {
		m.state[slot] = memoMatch
	}
	return ok
}

// identitySlot picks one of n slots (a power of two) for strings by
// their identity (data pointers and lengths), as sameStrings compares
// them.
func identitySlot(in []string, n int) int {
	h := uint64(0)
	for _, s := range in {
		h = (h ^ uint64(uintptr(unsafe.Pointer(unsafe.StringData(s))))) * 0x9e3779b97f4a7c15
		h ^= uint64(len(s))
	}
	return int((h * 0xff51afd7ed558ccd) >> (64 - bits.TrailingZeros(uint(n))))
}

// sameStrings reports whether a and b hold the same strings, element by
// element: equal lengths and, unless empty, the same data.
func sameStrings(a, b []string) bool {
	for i := range a {
		if len(a[i]) != len(b[i]) || len(a[i]) > 0 && unsafe.StringData(a[i]) != unsafe.StringData(b[i]) {
			return false
		}
	}
	return true
}
