package sigma

import "sort"

// node is a compiled condition: a tree of and/or/not over field matches.
type node[D any] interface {
	match(d D) bool
	// cost estimates the work of match, so that and/or try cheap
	// children first.
	cost() int
	// prefilter: see Matcher.Prefilter.
	prefilter(field string) ([]string, bool)
	// requires: see Matcher.Requires.
	requires(out []string) []string
}

// mkAnd builds a conjunction, flattening nested ones and ordering the
// children by cost.
func mkAnd[D any](kids []node[D]) node[D] {
	var flat []node[D]
	for _, k := range kids {
		if a, ok := k.(*andNode[D]); ok {
			flat = append(flat, a.kids...)
		} else {
			flat = append(flat, k)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	byCost(flat)
	return &andNode[D]{kids: flat, c: sumCost(flat)}
}

// mkOr builds a disjunction like mkAnd.
func mkOr[D any](kids []node[D]) node[D] {
	var flat []node[D]
	for _, k := range kids {
		if o, ok := k.(*orNode[D]); ok {
			flat = append(flat, o.kids...)
		} else {
			flat = append(flat, k)
		}
	}
	if len(flat) == 1 {
		return flat[0]
	}
	byCost(flat)
	return &orNode[D]{kids: flat, c: sumCost(flat)}
}

func byCost[D any](ns []node[D]) {
	costs := make(map[node[D]]int, len(ns))
	for _, n := range ns {
		costs[n] = n.cost()
	}
	sort.SliceStable(ns, func(i, j int) bool { return costs[ns[i]] < costs[ns[j]] })
}

type andNode[D any] struct {
	kids []node[D]
	c    int // cost, computed once
}

func (n *andNode[D]) match(d D) bool {
	for _, k := range n.kids {
		if !k.match(d) {
			return false
		}
	}
	return true
}

func (n *andNode[D]) cost() int { return n.c }

type orNode[D any] struct {
	kids []node[D]
	c    int
}

func (n *orNode[D]) match(d D) bool {
	for _, k := range n.kids {
		if k.match(d) {
			return true
		}
	}
	return false
}

func (n *orNode[D]) cost() int { return n.c }

func sumCost[D any](ns []node[D]) int {
	c := 0
	for _, k := range ns {
		c += k.cost()
	}
	return c
}

type notNode[D any] struct{ kid node[D] }

func (n *notNode[D]) match(d D) bool { return !n.kid.match(d) }
func (n *notNode[D]) cost() int      { return n.kid.cost() }

// constNode stands in for a part that failed to compile.
type constNode[D any] bool

func (n constNode[D]) match(D) bool { return bool(n) }
func (constNode[D]) cost() int      { return 0 }

// valueNode matches one field (or the keyword text) against a rule
// entry's values.
type valueNode[D any] struct {
	field string // "" for keywords
	get   Getter[D]
	m     *fieldMatcher
	eq    []string // see buildFieldMatcher
	// lit, when set, is all m tests: one set of literals of one shape
	// (the common "field: value", "field|contains: [...]"), matched
	// without going through the general matcher.
	lit *litSet
}

func (n *valueNode[D]) match(d D) bool {
	v := n.get(d)
	if n.lit != nil {
		switch v.Kind {
		case String, Number, Bool:
			return n.lit.match(v.S)
		case List:
			for i := range v.L {
				if k := v.L[i].Kind; (k == String || k == Number || k == Bool) && n.lit.match(v.L[i].S) {
					return true
				}
			}
		}
		return false
	}
	return n.m.match(&v)
}

// onlyLiterals returns the literal set that is all m tests, if it is.
func onlyLiterals(m *fieldMatcher) *litSet {
	if m.neq || m.all || len(m.groups) != 1 {
		return nil
	}
	g := m.groups[0]
	if g.absent || g.null || len(g.nums) > 0 || len(g.res) > 0 || len(g.nets) > 0 || len(g.cmps) > 0 || g.strs == nil {
		return nil
	}
	s := g.strs
	if s.any || len(s.globs) > 0 {
		return nil
	}
	var only *litSet
	for _, l := range []*litSet{s.exact, s.prefix, s.suffix, s.contains} {
		if l != nil {
			if only != nil {
				return nil
			}
			only = l
		}
	}
	return only
}

func (n *valueNode[D]) cost() int { return 1 + n.m.cost() }

// existsNode is field|exists: true or false.
type existsNode[D any] struct {
	field string
	get   Getter[D]
	want  bool
}

func (n *existsNode[D]) match(d D) bool { return (n.get(d).Kind != Absent) == n.want }
func (n *existsNode[D]) cost() int      { return 1 }

// refNode is field|fieldref: other — the field compared with another
// field of the same document.
type refNode[D any] struct {
	get, ref Getter[D]
	kind     strKind
	fold     bool
	neq      bool
}

func (n *refNode[D]) match(d D) bool {
	a := n.get(d)
	if n.neq && a.Kind == Absent {
		return false
	}
	b := n.ref(d)
	r := refMatch(&a, &b, n.kind, n.fold)
	if n.neq {
		return !r
	}
	return r
}

func (n *refNode[D]) cost() int { return 6 }

func refMatch(a, b *Value, kind strKind, fold bool) bool {
	switch b.Kind {
	case Absent, Null:
		return false
	case List:
		for i := range b.L {
			if refMatch(a, &b.L[i], kind, fold) {
				return true
			}
		}
		return false
	}
	switch a.Kind {
	case Absent, Null:
		return false
	case List:
		for i := range a.L {
			if refMatch(&a.L[i], b, kind, fold) {
				return true
			}
		}
		return false
	}
	if kind == kEqual && a.Kind == Number && b.Kind == Number {
		return a.N == b.N
	}
	mode := fmCased
	if fold {
		mode = fmUnicode
	}
	switch kind {
	case kStartswith:
		_, ok := litPrefix(a.S, b.S, mode)
		return ok
	case kEndswith:
		return litSuffix(a.S, b.S, mode)
	case kContains:
		i, _ := litIndex(a.S, b.S, mode)
		return i >= 0
	}
	return litEqual(a.S, b.S, mode)
}
