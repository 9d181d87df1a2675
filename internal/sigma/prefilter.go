package sigma

import "slices"

// Prefilter gives a necessary condition for the rule to match, for
// indexing rules: the rule can only match an event whose field equals,
// ignoring case, one of values (for a list-valued field: one of whose
// elements does). Values are exact strings as written in the rule, with
// escapes resolved and no wildcards, sorted, without case-insensitive
// duplicates. The field is the first of prefer for which the rule yields
// such a condition; ok is false when none does.
//
// The condition is derived from the compiled tree: an entry "field: value"
// or "field: [v1, v2]" (plain equality with string values, or values made
// literal by expand, windash or the encodings) yields its values; a
// conjunction yields the smallest set any of its children yields; a
// disjunction yields the union when every branch yields a set for the
// same field; a negation, and any other entry, yields nothing.
func (m *Matcher[D]) Prefilter(prefer []string) (field string, values []string, ok bool) {
	for _, f := range prefer {
		if vs, ok := m.root.prefilter(f); ok {
			return f, append([]string(nil), vs...), true
		}
	}
	return "", nil, false
}

// Requires returns fields that must be present for the rule to match: the
// rule cannot match an event where one of them is absent. It is derived
// like Prefilter: an entry that cannot match an absent field (a literal
// value, a pattern, exists: true) requires its field; a conjunction
// requires what any child requires; a disjunction what every branch does.
func (m *Matcher[D]) Requires() []string {
	return m.root.requires(nil)
}

func (n *valueNode[D]) requires(out []string) []string {
	if n.field == "" || n.m.neq {
		return out
	}
	for _, g := range n.m.groups {
		if g.absent {
			return out
		}
	}
	return appendNew(out, n.field)
}

func (n *existsNode[D]) requires(out []string) []string {
	if n.want && n.field != "" {
		return appendNew(out, n.field)
	}
	return out
}

func (n *andNode[D]) requires(out []string) []string {
	for _, k := range n.kids {
		out = k.requires(out)
	}
	return out
}

func (n *orNode[D]) requires(out []string) []string {
	common := n.kids[0].requires(nil)
	for _, k := range n.kids[1:] {
		theirs := k.requires(nil)
		common = slices.DeleteFunc(common, func(f string) bool { return !slices.Contains(theirs, f) })
	}
	for _, f := range common {
		out = appendNew(out, f)
	}
	return out
}

func (n *notNode[D]) requires(out []string) []string { return out }
func (constNode[D]) requires(out []string) []string  { return out }
func (n *refNode[D]) requires(out []string) []string { return out }

func appendNew(out []string, f string) []string {
	if slices.Contains(out, f) {
		return out
	}
	return append(out, f)
}

func (n *valueNode[D]) prefilter(field string) ([]string, bool) {
	if n.field == "" || n.field != field || n.eq == nil || n.m.neq {
		return nil, false
	}
	return n.eq, true
}

func (n *andNode[D]) prefilter(field string) ([]string, bool) {
	var best []string
	found := false
	for _, k := range n.kids {
		if vs, ok := k.prefilter(field); ok && (!found || len(vs) < len(best)) {
			best, found = vs, true
		}
	}
	return best, found
}

func (n *orNode[D]) prefilter(field string) ([]string, bool) {
	var all []string
	for _, k := range n.kids {
		vs, ok := k.prefilter(field)
		if !ok {
			return nil, false
		}
		all = append(all, vs...)
	}
	return dedupeFold(all), true
}

func (n *notNode[D]) prefilter(string) ([]string, bool)    { return nil, false }
func (constNode[D]) prefilter(string) ([]string, bool)     { return nil, false }
func (n *existsNode[D]) prefilter(string) ([]string, bool) { return nil, false }
func (n *refNode[D]) prefilter(string) ([]string, bool)    { return nil, false }
