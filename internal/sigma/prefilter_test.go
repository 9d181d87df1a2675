package sigma

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestPrefilter(t *testing.T) {
	const head = "title: t\nlogsource: {product: p}\ndetection:\n"
	cases := []struct {
		name   string
		det    string
		prefer []string
		field  string
		values []string
	}{
		{"single", "    sel: {eventName: CreateUser}\n    condition: sel\n",
			[]string{"eventName"}, "eventName", []string{"CreateUser"}},
		{"list", "    sel: {eventName: [b, A, a]}\n    condition: sel\n",
			[]string{"eventName"}, "eventName", []string{"A", "b"}},
		{"escaped wildcard is literal", "    sel: {eventName: 'Get\\*'}\n    condition: sel\n",
			[]string{"eventName"}, "eventName", []string{"Get*"}},
		{"and picks", "    sel: {eventSource: iam.amazonaws.com, eventName: [CreateUser, DeleteUser]}\n    condition: sel\n",
			[]string{"eventName"}, "eventName", []string{"CreateUser", "DeleteUser"}},
		{"prefer order", "    sel: {eventSource: iam.amazonaws.com, eventName: [CreateUser, DeleteUser]}\n    condition: sel\n",
			[]string{"methodName", "eventSource", "eventName"}, "eventSource", []string{"iam.amazonaws.com"}},
		{"and of selections takes the smallest", "    a: {eventName: [x, y, z]}\n    b: {eventName: [y]}\n    condition: a and b\n",
			[]string{"eventName"}, "eventName", []string{"y"}},
		{"or unions", "    a: {eventName: x}\n    b: {eventName: [y, X]}\n    condition: a or b\n",
			[]string{"eventName"}, "eventName", []string{"X", "y"}},
		{"list of maps unions", "    sel:\n        - {eventName: x, u: 1}\n        - {eventName: y}\n    condition: sel\n",
			[]string{"eventName"}, "eventName", []string{"x", "y"}},
		{"1 of unions", "    s_1: {eventName: x}\n    s_2: {eventName: y}\n    condition: 1 of s_*\n",
			[]string{"eventName"}, "eventName", []string{"x", "y"}},
		{"all of picks", "    s_1: {eventName: [x, y]}\n    s_2: {eventSource: y}\n    condition: all of s_*\n",
			[]string{"eventName"}, "eventName", []string{"x", "y"}},
		{"not filter ignored", "    sel: {eventName: x}\n    filter: {eventName: y}\n    condition: sel and not filter\n",
			[]string{"eventName"}, "eventName", []string{"x"}},
		{"or with a branch lacking it", "    a: {eventName: x}\n    b: {eventSource: s, other: o}\n    condition: a or b\n",
			[]string{"eventName", "other"}, "", nil},
		{"or falls to the next preference", "    a: {eventName: x, src: s1}\n    b: {src: s2}\n    condition: a or b\n",
			[]string{"eventName", "src"}, "src", []string{"s1", "s2"}},
		{"not", "    sel: {eventName: x}\n    condition: not sel\n", []string{"eventName"}, "", nil},
		{"contains", "    sel: {eventName|contains: x}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"wildcard", "    sel: {eventName: 'Get*'}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"one wildcard of many", "    sel: {eventName: [a, 'b*']}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"number", "    sel: {eventName: 5}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"null", "    sel: {eventName: [a, null]}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"empty string", "    sel: {eventName: ''}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"neq", "    sel: {eventName|neq: a}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"re", "    sel: {eventName|re: a}\n    condition: sel\n", []string{"eventName"}, "", nil},
		{"keywords", "    sel: [a, b]\n    condition: sel\n", []string{""}, "", nil},
		{"cased", "    sel: {eventName|cased: Aa}\n    condition: sel\n", []string{"eventName"}, "eventName", []string{"Aa"}},
		{"all", "    sel: {eventName|all: [a, b]}\n    condition: sel\n", []string{"eventName"}, "eventName", []string{"a", "b"}},
		{"windash", "    sel: {eventName|windash: -a}\n    condition: sel\n", []string{"eventName"}, "eventName", []string{"-a", "/a", "\u2013a", "\u2014a", "\u2015a"}},
		{"condition list unions", "    a: {eventName: x}\n    b: {eventName: y}\n    condition: [a, b]\n", []string{"eventName"}, "eventName", []string{"x", "y"}},
		{"no preference", "    sel: {eventName: x}\n    condition: sel\n", nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compileText(t, head+c.det, Options{})
			f, vs, ok := m.Prefilter(c.prefer)
			if f != c.field || !reflect.DeepEqual(vs, c.values) || ok != (c.field != "") {
				t.Errorf("got %q %q %v, want %q %q", f, vs, ok, c.field, c.values)
			}
		})
	}
}

// TestPrefilterNecessary checks on the table of modifier cases that a rule
// never matches a document its prefilter excludes.
func TestPrefilterNecessary(t *testing.T) {
	for _, c := range modifierCases {
		m := compileText(t, ruleWith(c.sel), Options{})
		f, vs, ok := m.Prefilter([]string{"f", "g", "u"})
		if !ok || !m.Match(c.doc) {
			continue
		}
		v := c.doc[f]
		if !valueIn(v, vs) {
			t.Errorf("%s: matches %v but the prefilter says %s in %q", c.sel, c.doc, f, vs)
		}
	}
}

func valueIn(v Value, vs []string) bool {
	if v.Kind == List {
		for _, e := range v.L {
			if valueIn(e, vs) {
				return true
			}
		}
		return false
	}
	for _, s := range vs {
		if strings.EqualFold(v.S, s) {
			return true
		}
	}
	return false
}

// strictResolver knows only some fields.
type strictResolver map[string]bool

func (r strictResolver) Field(name string) (Getter[doc], error) {
	if !r[name] {
		return nil, errors.New("no such field for this logsource")
	}
	return anyResolver{}.Field(name)
}

func (strictResolver) Keywords() (Getter[doc], error) {
	return nil, errors.New("keyword search is not available for this logsource")
}

func TestCompileErrors(t *testing.T) {
	load := func(text string) *Rule {
		rs, errs := ParseFile("e.yml", []byte(text))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return rs[0]
	}
	r := load(ruleWith("known: a\nunknown|contains: b"))
	_, err := Compile[doc](r, strictResolver{"known": true}, Options{})
	if err == nil || err.Error() != `e.yml:8:9: rule test-rule: field "unknown": no such field for this logsource` {
		t.Errorf("unknown field: %v", err)
	}
	r = load(ruleWith("- evil"))
	_, err = Compile[doc](r, strictResolver{}, Options{})
	if err == nil || !strings.Contains(err.Error(), "e.yml:6:5: rule test-rule: keyword search: keyword search is not available") {
		t.Errorf("keywords: %v", err)
	}
	r = load(ruleWith("f|fieldref: other"))
	_, err = Compile[doc](r, strictResolver{"f": true}, Options{})
	if err == nil || !strings.Contains(err.Error(), `field "other"`) {
		t.Errorf("fieldref target: %v", err)
	}
	// A rule built by hand is checked too.
	bad := &Rule{Title: "hand", Detection: &Detection{
		Selections: map[string]*Selection{"s": {Name: "s", Maps: [][]FieldMatch{{{Field: "f", Modifiers: []string{"re"}, Values: []Value{{Kind: String, S: "(?<=a)b"}}}}}}},
		Conditions: []Condition{{Text: "s or t", Expr: &Or{L: &Ref{Name: "s"}, R: &Ref{Name: "t"}}}},
	}}
	if _, err := Compile[doc](bad, anyResolver{}, Options{}); err == nil || !strings.Contains(err.Error(), "rule hand: f|re:") {
		t.Errorf("hand-made rule: %v", err)
	}
	bad.Detection.Selections["s"].Maps[0][0].Values[0].S = "b"
	if _, err := Compile[doc](bad, anyResolver{}, Options{}); err == nil || !strings.Contains(err.Error(), `"t" is not a search identifier`) {
		t.Errorf("hand-made rule: %v", err)
	}
}

func TestRequires(t *testing.T) {
	cases := []struct {
		sel  string
		want []string
	}{
		{"sel: {a: x, b|contains: y}\n    condition: sel", []string{"a", "b"}},
		{"sel: {a|exists: true}\n    condition: sel", []string{"a"}},
		{"sel: {a|exists: false}\n    condition: sel", nil},
		{"sel: {a: null}\n    condition: sel", nil},
		{"sel: {a: ''}\n    condition: sel", []string{"a"}},
		{"sel: {a|neq: x}\n    condition: sel", nil},
		{"sel: {a: x}\n    other: {b: y}\n    condition: sel or other", nil},
		{"sel: {a: x, c: z}\n    other: {a: y}\n    condition: sel or other", []string{"a"}},
		{"sel: {a: x}\n    other: {b: y}\n    condition: sel and not other", []string{"a"}},
		{"sel: [{a: x}, {a: y, b: z}]\n    condition: sel", []string{"a"}},
		{"sel: [foo, bar]\n    condition: sel", nil},
	}
	for _, c := range cases {
		m := compileText(t, "title: t\nlogsource: {product: p}\ndetection:\n    "+c.sel+"\n", Options{})
		got := m.Requires()
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: requires %v, want %v", c.sel, got, c.want)
		}
	}
}
