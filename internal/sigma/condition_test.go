package sigma

import (
	"reflect"
	"strings"
	"testing"
)

// conditionCases are parsed and printed back with every and/or operand
// that is itself an and/or in parentheses.
var conditionCases = []struct{ in, want string }{
	{"selection", "selection"},
	{"a and b", "a and b"},
	{"a or b", "a or b"},
	{"not a", "not a"},
	{"a and b or c", "(a and b) or c"},
	{"a or b and c", "a or (b and c)"},
	{"not a and b", "not a and b"},
	{"not a or not b and c", "not a or (not b and c)"},
	{"a and not b", "a and not b"},
	{"not not a", "not not a"},
	{"a and (b or c)", "a and (b or c)"},
	{"(a or b) and c", "(a or b) and c"},
	{"((a))", "a"},
	{"a and b and c", "(a and b) and c"},
	{"a or b or c", "(a or b) or c"},
	{"1 of sel*", "1 of sel*"},
	{"any of sel*", "1 of sel*"},
	{"all of sel*", "all of sel*"},
	{"1 of them", "1 of them"},
	{"all of them", "all of them"},
	{"ALL OF THEM", "all of them"},
	{"A AND NOT B", "A and not B"},
	{"1 of *_x", "1 of *_x"},
	{"1 of sel_*_a*", "1 of sel_*_a*"},
	{"selection and not 1 of filter_main_* and not 1 of filter_optional_*", "(selection and not 1 of filter_main_*) and not 1 of filter_optional_*"},
	{"(selection_file and 1 of selection_command_*) or 1 of selection_unique_*", "(selection_file and 1 of selection_command_*) or 1 of selection_unique_*"},
	{"not 1 of filter*", "not 1 of filter*"},
	{"all of selection* and not filter", "all of selection* and not filter"},
	{"a\n  and\tb", "a and b"},
	{"sel.x and sel-y", "sel.x and sel-y"},
	{"1 and all", "1 and all"}, // names, since no "of" follows
}

func TestParseCondition(t *testing.T) {
	for _, c := range conditionCases {
		e, err := ParseCondition(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := exprString(e); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		// The printed form reads back as the same tree.
		e2, err := ParseCondition(exprString(e))
		if err != nil || !reflect.DeepEqual(e, e2) {
			t.Errorf("%q: round trip: %v, %v", c.in, exprString(e2), err)
		}
	}
}

func TestParseConditionErrors(t *testing.T) {
	cases := []struct {
		in  string
		col int
		msg string
	}{
		{"", 1, "empty condition"},
		{"   ", 1, "empty condition"},
		{"a and", 6, "unexpected end of condition"},
		{"a or or b", 6, `unexpected "or"`},
		{"(a and b", 9, "expected ')' to close the '(' at column 1"},
		{"a and b)", 8, "unexpected ')'"},
		{"a b", 3, `unexpected "b"`},
		{"selection | count() by x > 5", 11, "Sigma v1 aggregation is not supported; use a correlation rule"},
		{"selection | near other", 11, "Sigma v1 aggregation is not supported"},
		{"a near b", 3, `Sigma v1 "near" is not supported`},
		{"2 of sel*", 1, `"2" of is not supported`},
		{"1 of", 5, `expected a search identifier pattern or "them"`},
		{"1 of (a)", 6, `expected a search identifier pattern`},
		{"sel*", 1, `"sel*" has a wildcard: use "1 of sel*"`},
		{"not", 4, "unexpected end of condition"},
		{"and a", 1, `unexpected "and"`},
		{"a and\nor", 1, `unexpected "or"`},
		{"()", 2, "unexpected ')'"},
		{strings.Repeat("(", 300) + "a" + strings.Repeat(")", 300), 201, "nested too deeply"},
		{strings.Repeat("not ", 300) + "a", 801, "nested too deeply"},
	}
	for _, c := range cases {
		_, err := ParseCondition(c.in)
		if err == nil {
			t.Errorf("%q: no error", c.in)
			continue
		}
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error is %T", c.in, err)
			continue
		}
		if e.Pos.Col != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: got %v (col %d), want col %d and %q", c.in, err, e.Pos.Col, c.col, c.msg)
		}
	}
	// Lines count too.
	_, err := ParseCondition("a and\n  or")
	if e := err.(*Error); e.Pos.Line != 2 || e.Pos.Col != 3 {
		t.Errorf("line/col: %v", err)
	}
}

// TestConditionSemantics evaluates every condition form on a rule with
// selections a, b, sel_1, sel_2 and _hidden, each matching field "x" equal
// to its own name.
func TestConditionSemantics(t *testing.T) {
	const rule = `title: t
logsource: {product: p}
detection:
    a: {x: a}
    b: {y: b}
    sel_1: {s1: "yes"}
    sel_2: {s2: "yes"}
    _hidden: {h: "yes"}
    condition: %s
`
	type d = doc
	A, B := d{"x": str("a")}, d{"y": str("b")}
	AB := d{"x": str("a"), "y": str("b")}
	S1, S12 := d{"s1": str("yes")}, d{"s1": str("yes"), "s2": str("yes")}
	H := d{"h": str("yes")}
	all := d{"x": str("a"), "y": str("b"), "s1": str("yes"), "s2": str("yes")}
	cases := []struct {
		cond string
		yes  []doc
		no   []doc
	}{
		{"a", []doc{A, AB}, []doc{B, {}}},
		{"a and b", []doc{AB}, []doc{A, B}},
		{"a or b", []doc{A, B, AB}, []doc{{}, S1}},
		{"not a", []doc{B, {}}, []doc{A, AB}},
		{"a and not b", []doc{A}, []doc{AB, B}},
		{"not a and b", []doc{B}, []doc{AB, A}},
		{"not (a and b)", []doc{A, B, {}}, []doc{AB}},
		{"not a or b", []doc{{}, B, AB}, []doc{A}},
		{"a or b and sel_1", []doc{A, d{"y": str("b"), "s1": str("yes")}}, []doc{B, S1}},
		{"(a or b) and sel_1", []doc{d{"y": str("b"), "s1": str("yes")}}, []doc{A, B}},
		{"1 of sel_*", []doc{S1, S12}, []doc{A, {}}},
		{"any of sel_*", []doc{S1}, []doc{A}},
		{"all of sel_*", []doc{S12}, []doc{S1}},
		{"1 of them", []doc{A, B, S1}, []doc{H, {}}},
		{"all of them", []doc{all}, []doc{S12, d{"x": str("a"), "y": str("b"), "s1": str("yes"), "s2": str("yes")}.without("s2")}},
		{"all of *_1 or _hidden", []doc{S1, H}, []doc{A}},
		{"not 1 of sel_*", []doc{A, {}}, []doc{S1}},
		{"[a, b]", nil, nil}, // see below: a list of conditions
	}
	for _, c := range cases {
		cond := c.cond
		if strings.HasPrefix(cond, "[") {
			cond = "\n        - a\n        - b"
			c.yes, c.no = []doc{A, B}, []doc{{}}
		}
		m := compileText(t, strings.Replace(rule, "%s", cond, 1), Options{})
		for _, y := range c.yes {
			if !m.Match(y) {
				t.Errorf("%s: %v should match", c.cond, y)
			}
		}
		for _, n := range c.no {
			if m.Match(n) {
				t.Errorf("%s: %v should not match", c.cond, n)
			}
		}
	}
}

func (d doc) without(k string) doc {
	out := doc{}
	for kk, v := range d {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}
