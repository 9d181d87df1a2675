package sigma

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
)

// Matcher is a compiled detection rule. It is immutable and safe for
// concurrent use.
type Matcher[D any] struct {
	rule     *Rule
	root     node[D]
	fields   []string
	keywords bool
}

// Rule returns the rule the matcher was compiled from.
func (m *Matcher[D]) Rule() *Rule { return m.rule }

// Match reports whether the document matches the rule. It does not
// allocate.
func (m *Matcher[D]) Match(d D) bool { return m.root.match(d) }

// Fields returns, sorted, the fields the rule reads (including the targets
// of fieldref); keyword searches are not fields.
func (m *Matcher[D]) Fields() []string { return slices.Clone(m.fields) }

// Keywords reports whether the rule searches keywords (the text its
// Resolver's Keywords getter gives) besides its Fields.
func (m *Matcher[D]) Keywords() bool { return m.keywords }

// Compile compiles a detection rule for documents of type D, getting the
// rule's fields from res once each. Every value is prepared here — case
// folded, expanded, encoded, parsed, compiled — so that Match only
// compares. The error is an *Error.
func Compile[D any](r *Rule, res Resolver[D], opt Options) (*Matcher[D], error) {
	if r == nil {
		return nil, &Error{Msg: "no rule"}
	}
	c := &compiler[D]{
		rule:    r,
		res:     res,
		opt:     opt,
		getters: make(map[string]Getter[D]),
		fields:  make(map[string]bool),
		sels:    make(map[string]node[D]),
	}
	id := r.ID
	if id == "" {
		id = r.Title
	}
	c.id = id
	switch {
	case r.Detection == nil && r.Correlation != nil:
		return nil, &Error{Pos: r.Pos, RuleID: id, Msg: "a correlation rule is not compiled to a matcher: the engine evaluates it over the matches of the rules it names"}
	case r.Detection == nil:
		return nil, &Error{Pos: r.Pos, RuleID: id, Msg: "rule has no detection"}
	case len(r.Detection.Conditions) == 0:
		return nil, &Error{Pos: r.Pos, RuleID: id, Msg: "detection has no condition"}
	case res == nil:
		return nil, &Error{Pos: r.Pos, RuleID: id, Msg: "no field resolver"}
	}
	var roots []node[D]
	for _, cond := range r.Detection.Conditions {
		c.pos = cond.Pos
		if cond.Expr == nil {
			c.fail(cond.Pos, "condition %q is not parsed", cond.Text)
			break
		}
		roots = append(roots, c.expr(cond.Expr, 0))
	}
	if c.err != nil {
		return nil, c.err
	}
	m := &Matcher[D]{rule: r, root: mkOr(roots), keywords: c.kw != nil}
	for f := range c.fields {
		m.fields = append(m.fields, f)
	}
	sort.Strings(m.fields)
	return m, nil
}

type compiler[D any] struct {
	rule    *Rule
	id      string
	res     Resolver[D]
	opt     Options
	getters map[string]Getter[D]
	kw      Getter[D]
	fields  map[string]bool
	sels    map[string]node[D]
	pos     Pos // of the condition being compiled
	err     *Error
}

func (c *compiler[D]) fail(pos Pos, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Pos: pos, RuleID: c.id, Msg: fmt.Sprintf(format, args...)}
	}
}

func (c *compiler[D]) getter(pos Pos, field string) Getter[D] {
	if g, ok := c.getters[field]; ok {
		return g
	}
	g, err := c.res.Field(field)
	if err == nil && g == nil {
		err = fmt.Errorf("no getter")
	}
	if err != nil {
		c.fail(pos, "field %q: %v", field, err)
		g = absentGetter[D]
	}
	c.getters[field] = g
	c.fields[field] = true
	return g
}

func (c *compiler[D]) keywords(pos Pos) Getter[D] {
	if c.kw != nil {
		return c.kw
	}
	g, err := c.res.Keywords()
	if err == nil && g == nil {
		err = fmt.Errorf("no getter")
	}
	if err != nil {
		c.fail(pos, "keyword search: %v", err)
		g = absentGetter[D]
	}
	c.kw = g
	return g
}

func absentGetter[D any](D) Value { return Value{} }

func (c *compiler[D]) expr(e Expr, depth int) node[D] {
	if depth > 10000 {
		c.fail(c.pos, "condition is nested too deeply")
		return constNode[D](false)
	}
	switch x := e.(type) {
	case *And:
		return mkAnd([]node[D]{c.expr(x.L, depth+1), c.expr(x.R, depth+1)})
	case *Or:
		return mkOr([]node[D]{c.expr(x.L, depth+1), c.expr(x.R, depth+1)})
	case *Not:
		return &notNode[D]{kid: c.expr(x.X, depth+1)}
	case *Ref:
		return c.selection(x.Name)
	case *OfPattern:
		names := matchSelections(x.Pattern, c.rule.Detection.Selections)
		if len(names) == 0 {
			c.fail(c.pos, "condition: pattern %q matches no search identifier", x.Pattern)
			return constNode[D](false)
		}
		kids := make([]node[D], len(names))
		for i, n := range names {
			kids[i] = c.selection(n)
		}
		if x.All {
			return mkAnd(kids)
		}
		return mkOr(kids)
	}
	c.fail(c.pos, "condition: unknown expression %T", e)
	return constNode[D](false)
}

func (c *compiler[D]) selection(name string) node[D] {
	if n, ok := c.sels[name]; ok {
		return n
	}
	sel := c.rule.Detection.Selections[name]
	if sel == nil {
		c.fail(c.pos, "condition: %q is not a search identifier of this rule", name)
		return constNode[D](false)
	}
	var alts []node[D]
	for _, m := range sel.Maps {
		ands := make([]node[D], 0, len(m))
		for i := range m {
			ands = append(ands, c.fieldMatch(&m[i]))
		}
		if len(ands) == 0 {
			c.fail(sel.Pos, "selection %q has an empty map", name)
		}
		alts = append(alts, mkAnd(ands))
	}
	if len(sel.Keywords) > 0 {
		fm := FieldMatch{Pos: sel.Pos, Modifiers: sel.KeywordMods, Values: sel.Keywords}
		alts = append(alts, c.fieldMatch(&fm))
	}
	if len(alts) == 0 {
		c.fail(sel.Pos, "selection %q is empty", name)
		return constNode[D](false)
	}
	n := mkOr(alts)
	c.sels[name] = n
	return n
}

// fieldMatch compiles one "field|modifiers: values" entry.
func (c *compiler[D]) fieldMatch(fm *FieldMatch) node[D] {
	spec, msg := checkFieldMatch(fm)
	if msg != "" {
		c.fail(fm.Pos, "%s", fieldLabel(fm)+msg)
		return constNode[D](false)
	}
	var get Getter[D]
	if fm.Field == "" {
		get = c.keywords(fm.Pos)
	} else {
		get = c.getter(fm.Pos, fm.Field)
	}
	switch {
	case spec.exists:
		return &existsNode[D]{field: fm.Field, get: get, want: fm.Values[0].S == "true"}
	case spec.fieldref:
		kids := make([]node[D], 0, len(fm.Values))
		for _, v := range fm.Values {
			kids = append(kids, &refNode[D]{
				get: get, ref: c.getter(fm.Pos, v.S),
				kind: spec.str, fold: !spec.cased, neq: spec.neq,
			})
		}
		if spec.all {
			return mkAnd(kids)
		}
		return mkOr(kids)
	}
	m, eq, msg := buildFieldMatcher(fm, &spec, c.opt.Placeholders)
	if msg != "" {
		c.fail(fm.Pos, "%s", fieldLabel(fm)+msg)
		return constNode[D](false)
	}
	return &valueNode[D]{field: fm.Field, get: get, m: m, eq: eq, lit: onlyLiterals(m)}
}

func fieldLabel(fm *FieldMatch) string {
	if fm.Field == "" && len(fm.Modifiers) == 0 {
		return "keywords: "
	}
	return fm.Field + prefixJoin("|", fm.Modifiers) + ": "
}

func prefixJoin(sep string, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return sep + strings.Join(xs, sep)
}

// fieldMatcher matches one field's value against a rule entry's values.
type fieldMatcher struct {
	neq    bool
	all    bool
	groups []*valueSet // with all, one per rule value, each must match; else one
}

func (m *fieldMatcher) match(v *Value) bool {
	if m.neq {
		return v.Kind != Absent && !m.inner(v)
	}
	return m.inner(v)
}

func (m *fieldMatcher) inner(v *Value) bool {
	if m.all {
		for _, g := range m.groups {
			if !g.match(v) {
				return false
			}
		}
		return true
	}
	return m.groups[0].match(v)
}

func (m *fieldMatcher) cost() int {
	n := 0
	for _, g := range m.groups {
		n += g.cost()
	}
	return n
}

// valueSet is the alternatives one value (or, without all, every value)
// of a rule entry allows, grouped by how they compare.
type valueSet struct {
	absent, null bool       // null matches Absent and Null; '' matches Null
	strs         *stringSet // string patterns
	nums         []float64  // numbers compared by value
	res          []regex
	nets         []netip.Prefix
	cmps         []numCmp // numeric comparisons, of the value or of a time part
	time         timePart
}

type numCmp struct {
	op  cmpOp // cmpNone: equality
	val float64
}

func (s *valueSet) match(v *Value) bool {
	switch v.Kind {
	case Absent:
		return s.absent
	case Null:
		return s.null
	case List:
		if len(v.L) == 0 {
			return s.null
		}
		for i := range v.L {
			if s.match(&v.L[i]) {
				return true
			}
		}
		return false
	}
	if s.strs != nil && s.strs.match(v.S) {
		return true
	}
	if len(s.nums) > 0 {
		if f, ok := numberOf(v); ok {
			for _, n := range s.nums {
				if f == n {
					return true
				}
			}
		}
	}
	for i := range s.res {
		if s.res[i].match(v.S) {
			return true
		}
	}
	if len(s.nets) > 0 && v.Kind != Bool {
		if ip, ok := parseIP(v.S); ok {
			for _, p := range s.nets {
				a := ip
				if p.Addr().Is4() && a.Is4In6() {
					a = a.Unmap()
				}
				if p.Contains(a) {
					return true
				}
			}
		}
	}
	if len(s.cmps) > 0 {
		var f float64
		var ok bool
		if s.time != tpNone {
			var n int
			n, ok = timePartOf(v, s.time)
			f = float64(n)
		} else {
			f, ok = numberOf(v)
		}
		if ok {
			for _, c := range s.cmps {
				if compare(f, c.op, c.val) {
					return true
				}
			}
		}
	}
	return false
}

func compare(f float64, op cmpOp, v float64) bool {
	switch op {
	case cmpLT:
		return f < v
	case cmpLTE:
		return f <= v
	case cmpGT:
		return f > v
	case cmpGTE:
		return f >= v
	}
	return f == v
}

func (s *valueSet) cost() int {
	n := 1 + 4*len(s.nets) + 2*len(s.cmps)
	for _, re := range s.res {
		if re.lit != "" {
			// A substring test rejects values without the literal, but
			// when it is common (":assumed-role/") the expression runs:
			// dearer than a plain contains.
			n += 10
		} else {
			n += 25
		}
	}
	if s.strs != nil {
		n += s.strs.cost()
	}
	return n
}

// buildFieldMatcher prepares a rule entry's values. eq is, when the entry
// only ever matches a field whose text equals (ignoring case) one of a
// set of literal strings, that set, for Prefilter.
func buildFieldMatcher(fm *FieldMatch, spec *modSpec, placeholders map[string][]string) (*fieldMatcher, []string, string) {
	m := &fieldMatcher{neq: spec.neq, all: spec.all && len(fm.Values) > 1}
	fold := !spec.cased && !spec.encoded()
	eqOK := spec.str == kEqual && !spec.re && !spec.cidr && spec.cmp == cmpNone && spec.time == tpNone
	var eq []string
	if placeholders == nil {
		placeholders = map[string][]string{}
	}
	var cur *valueSet
	var sb *setBuilder
	finish := func() {
		if cur != nil {
			cur.strs = sb.build()
			m.groups = append(m.groups, cur)
		}
		cur, sb = nil, nil
	}
	for i := range fm.Values {
		v := &fm.Values[i]
		if cur == nil || m.all {
			finish()
			cur, sb = &valueSet{time: spec.time}, &setBuilder{fold: fold}
		}
		switch {
		case v.Kind == Null:
			cur.absent, cur.null = true, true
			eqOK = false
			continue
		case spec.cmp != cmpNone || spec.time != tpNone:
			f, _ := parseNum(v.S)
			cur.cmps = append(cur.cmps, numCmp{op: spec.cmp, val: f})
			continue
		case spec.cidr:
			nets, msg := cidrValues(v.S, spec, placeholders)
			if msg != "" {
				return nil, nil, msg
			}
			cur.nets = append(cur.nets, nets...)
			continue
		case spec.re:
			re, err := compileRegexp(v.S, spec.reFlags)
			if err != nil {
				return nil, nil, err.Error()
			}
			cur.res = append(cur.res, newRegex(re))
			continue
		}
		if spec.plain() {
			switch v.Kind {
			case Number:
				cur.nums = append(cur.nums, v.N)
				eqOK = false
			case String:
				if v.S == "" {
					cur.null = true
					eqOK = false
				}
			}
		}
		pats, msg := valuePatterns(v, spec, placeholders)
		if msg != "" {
			return nil, nil, msg
		}
		for _, ps := range pats {
			lit, exact := sb.add(ps)
			if exact && lit != "" {
				eq = append(eq, lit)
			} else {
				eqOK = false
			}
		}
	}
	finish()
	if !eqOK {
		eq = nil
	}
	return m, dedupeFold(eq), ""
}

// dedupeFold sorts and removes case-insensitive duplicates.
func dedupeFold(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	sort.Strings(xs)
	out := xs[:0]
	for _, x := range xs {
		dup := false
		for _, y := range out {
			if strings.EqualFold(x, y) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// setBuilder sorts patterns by shape.
type setBuilder struct {
	fold                            bool
	any                             bool
	exact, prefix, suffix, contains []string
	globs                           [][]part
}

// add files a pattern; it returns the literal when the pattern is one.
func (b *setBuilder) add(ps []part) (string, bool) {
	lit := func(i int) bool { return i < len(ps) && ps[i].wild == 0 }
	star := func(i int) bool { return i < len(ps) && ps[i].wild == '*' }
	switch {
	case len(ps) == 0:
		b.exact = append(b.exact, "")
		return "", true
	case len(ps) == 1 && lit(0):
		b.exact = append(b.exact, ps[0].lit)
		return ps[0].lit, true
	case len(ps) == 1 && star(0):
		b.any = true
	case len(ps) == 2 && lit(0) && star(1):
		b.prefix = append(b.prefix, ps[0].lit)
	case len(ps) == 2 && star(0) && lit(1):
		b.suffix = append(b.suffix, ps[1].lit)
	case len(ps) == 3 && star(0) && lit(1) && star(2):
		b.contains = append(b.contains, ps[1].lit)
	default:
		b.globs = append(b.globs, ps)
	}
	return "", false
}

func (b *setBuilder) build() *stringSet {
	if !b.any && len(b.exact)+len(b.prefix)+len(b.suffix)+len(b.contains)+len(b.globs) == 0 {
		return nil
	}
	s := &stringSet{any: b.any}
	if b.any {
		return s // matches every string: nothing else matters
	}
	s.exact = newLitSet(lsExact, b.exact, b.fold)
	s.prefix = newLitSet(lsPrefix, b.prefix, b.fold)
	s.suffix = newLitSet(lsSuffix, b.suffix, b.fold)
	s.contains = newLitSet(lsContains, b.contains, b.fold)
	for _, g := range b.globs {
		s.globs = append(s.globs, newGlob(g, b.fold))
	}
	return s
}

// stringSet matches a text against patterns of every shape.
type stringSet struct {
	any                             bool
	exact, prefix, suffix, contains *litSet
	globs                           []*glob
}

func (s *stringSet) match(v string) bool {
	if s.any {
		return true
	}
	if s.exact != nil && s.exact.match(v) {
		return true
	}
	if s.prefix != nil && s.prefix.match(v) {
		return true
	}
	if s.suffix != nil && s.suffix.match(v) {
		return true
	}
	if s.contains != nil && s.contains.match(v) {
		return true
	}
	for _, g := range s.globs {
		if g.match(v) {
			return true
		}
	}
	return false
}

func (s *stringSet) cost() int {
	n := 0
	for i, l := range []*litSet{s.exact, s.prefix, s.suffix, s.contains} {
		if l != nil {
			n += (i + 2) + len(l.pats)/4
			if l.auto != nil {
				n += 2
			}
		}
	}
	return n + 8*len(s.globs)
}

type litShape uint8

const (
	lsExact litShape = iota
	lsPrefix
	lsSuffix
	lsContains
)

// Above these counts a shape's patterns go into one automaton; below,
// comparing them one by one is as fast.
var autoMin = [...]int{lsExact: 12, lsPrefix: 6, lsSuffix: 6, lsContains: 5}

// litSet is the literal patterns of one shape: those an automaton can
// take (case-sensitive, or ASCII folded) in auto when there are many, the
// rest compared one by one.
type litSet struct {
	shape litShape
	auto  *automaton
	pats  []string
	modes []foldMode
}

func newLitSet(shape litShape, pats []string, fold bool) *litSet {
	if len(pats) == 0 {
		return nil
	}
	l := &litSet{shape: shape}
	seen := make(map[string]bool, len(pats))
	var autoPats []string
	for _, p := range pats {
		mode, q := patternMode(p, fold)
		if seen[q] {
			continue
		}
		seen[q] = true
		if mode != fmUnicode && len(pats) >= autoMin[shape] {
			autoPats = append(autoPats, q)
			continue
		}
		l.pats = append(l.pats, q)
		l.modes = append(l.modes, mode)
	}
	if len(autoPats) > 0 {
		l.auto = newAutomaton(autoPats, fold, shape == lsSuffix)
		if shape == lsContains {
			l.auto.makeSearch()
		}
	}
	return l
}

func (l *litSet) match(s string) bool {
	switch l.shape {
	case lsExact:
		if l.auto != nil && l.auto.equal(s) {
			return true
		}
		for i, p := range l.pats {
			if litEqual(s, p, l.modes[i]) {
				return true
			}
		}
	case lsPrefix:
		if l.auto != nil && l.auto.hasPrefix(s) {
			return true
		}
		for i, p := range l.pats {
			if _, ok := litPrefix(s, p, l.modes[i]); ok {
				return true
			}
		}
	case lsSuffix:
		if l.auto != nil && l.auto.hasSuffix(s) {
			return true
		}
		for i, p := range l.pats {
			if litSuffix(s, p, l.modes[i]) {
				return true
			}
		}
	case lsContains:
		if l.auto != nil && l.auto.contains(s) {
			return true
		}
		for i, p := range l.pats {
			if j, _ := litIndex(s, p, l.modes[i]); j >= 0 {
				return true
			}
		}
	}
	return false
}
