package sigma

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const fullRule = `title: Full rule
id: 5d2b5e43-2a0a-4d5f-9a0f-000000000001
name: full_rule
status: test
description: |
    A rule with every field.
author: Someone, Someone Else
date: 2024-01-02
modified: 2024-03-04
references:
    - https://example.com/a
tags:
    - attack.t1525
logsource:
    product: aws
    service: cloudtrail
    category: api
    definition: CloudTrail management events
detection:
    selection:
        eventSource: ecr.amazonaws.com
        eventName:
            - PutImage
            - BatchCheckLayerAvailability
    keywords:
        - evil
    filter:
        - userIdentity.type: AWSService
        - userAgent|startswith: 'aws-internal'
    timeframe: 5m
    condition:
        - selection and not filter
        - keywords
fields:
    - eventName
falsepositives: Legitimate deployments
level: high
related:
    - id: 00000000-0000-0000-0000-000000000000
      type: similar
tests:
    - match: true
`

func TestParseFullRule(t *testing.T) {
	rs, errs := ParseFile("full.yml", []byte(fullRule))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := rs[0]
	want := Rule{
		Pos:   Pos{File: "full.yml", Line: 1, Col: 1},
		ID:    "5d2b5e43-2a0a-4d5f-9a0f-000000000001",
		Name:  "full_rule",
		Title: "Full rule", Status: "test", Description: "A rule with every field.\n",
		Author: "Someone, Someone Else", Date: "2024-01-02", Modified: "2024-03-04", Level: "high",
		Tags: []string{"attack.t1525"}, References: []string{"https://example.com/a"},
		FalsePositives: []string{"Legitimate deployments"}, Fields: []string{"eventName"},
		Logsource: Logsource{Product: "aws", Service: "cloudtrail", Category: "api", Definition: "CloudTrail management events"},
	}
	got := *r
	got.Detection, got.Extra = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("metadata:\n got %+v\nwant %+v", got, want)
	}
	if len(r.Extra) != 2 || r.Extra["tests"] == nil || r.Extra["related"] == nil {
		t.Errorf("extra: %v", r.Extra)
	}
	d := r.Detection
	if d.Timeframe != 5*time.Minute || len(d.Conditions) != 2 || len(d.Selections) != 3 {
		t.Fatalf("detection: %+v", d)
	}
	if c := d.Conditions[0]; c.Text != "selection and not filter" || c.Pos.Line != 32 || c.Pos.Col != 11 {
		t.Errorf("condition: %+v", c)
	}
	sel := d.Selections["selection"]
	wantSel := &Selection{
		Pos: Pos{File: "full.yml", Line: 20, Col: 5}, Name: "selection",
		Maps: [][]FieldMatch{{
			{Pos: Pos{File: "full.yml", Line: 21, Col: 9}, Field: "eventSource", Values: []Value{{Kind: String, S: "ecr.amazonaws.com"}}},
			{Pos: Pos{File: "full.yml", Line: 22, Col: 9}, Field: "eventName", Values: []Value{{Kind: String, S: "PutImage"}, {Kind: String, S: "BatchCheckLayerAvailability"}}},
		}},
	}
	if !reflect.DeepEqual(sel, wantSel) {
		t.Errorf("selection:\n got %+v\nwant %+v", sel, wantSel)
	}
	if kw := d.Selections["keywords"]; len(kw.Keywords) != 1 || kw.Keywords[0].S != "evil" || kw.Maps != nil {
		t.Errorf("keywords: %+v", kw)
	}
	if f := d.Selections["filter"]; len(f.Maps) != 2 || f.Maps[1][0].Modifiers[0] != "startswith" {
		t.Errorf("filter: %+v", f)
	}
	m, err := Compile[doc](r, anyResolver{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Match(doc{"eventSource": str("ecr.amazonaws.com"), "eventName": str("putimage")}) ||
		m.Match(doc{"eventSource": str("ecr.amazonaws.com"), "eventName": str("putimage"), "userIdentity.type": str("AWSService")}) ||
		!m.Match(doc{"_raw": str("so evil")}) {
		t.Error("full rule does not match as it should")
	}
	if f := m.Fields(); !reflect.DeepEqual(f, []string{"eventName", "eventSource", "userAgent", "userIdentity.type"}) {
		t.Errorf("fields: %v", f)
	}
	if !m.Keywords() {
		t.Error("the rule searches keywords; Keywords says it does not")
	}
	delete(r.Detection.Selections, "keywords")
	r.Detection.Conditions = []Condition{{Text: "selection", Expr: &Ref{Name: "selection"}}}
	if m, err := Compile[doc](r, anyResolver{}, Options{}); err != nil || m.Keywords() {
		t.Errorf("without its keywords the rule still searches them (err %v)", err)
	}
}

func TestParseValues(t *testing.T) {
	rs, errs := ParseFile("v.yml", []byte(ruleWith("f: [abc, '12', 12, 1.5, 0x10, true, False, null, ~, '', 2024-01-01]")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := rs[0].Detection.Selections["sel"].Maps[0][0].Values
	want := []Value{
		{Kind: String, S: "abc"}, {Kind: String, S: "12"}, {Kind: Number, S: "12", N: 12},
		{Kind: Number, S: "1.5", N: 1.5}, {Kind: Number, S: "0x10", N: 16},
		{Kind: Bool, S: "true"}, {Kind: Bool, S: "false"}, {Kind: Null}, {Kind: Null},
		{Kind: String, S: ""}, {Kind: String, S: "2024-01-01"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestMultiDocument(t *testing.T) {
	text := "title: one\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\n" +
		"---\n" +
		"title: two\nlogsource: {product: p}\ndetection:\n    sel: {a: [1\n    condition: sel\n" +
		"--- # the third\n" +
		"title: three\nlogsource: {product: p}\ndetection:\n    sel: {a: 3}\n    condition: nope\n" +
		"---\n" +
		"# only a comment\n" +
		"---\n" +
		"title: four\nlogsource: {product: p}\ndetection:\n    sel: {a: 4}\n    condition: sel\n...\n"
	rs, errs := ParseFile("m.yml", []byte(text))
	if len(rs) != 2 || rs[0].Title != "one" || rs[1].Title != "four" {
		t.Fatalf("rules: %v", rs)
	}
	if rs[1].Pos.Line != 21 {
		t.Errorf("fourth rule at %v", rs[1].Pos)
	}
	if len(errs) != 2 {
		t.Fatalf("errors: %v", errs)
	}
	// (yaml reports some syntax errors on the line before the problem.)
	if e := errs[0].(*Error); e.Pos.Line < 9 || e.Pos.Line > 11 || !strings.Contains(e.Msg, "invalid YAML") {
		t.Errorf("syntax error: %v", errs[0])
	}
	if errs[1].Error() != `m.yml:17:16: rule three: condition: "nope" is not a search identifier of this rule (defined: sel)` {
		t.Errorf("reference error: %v", errs[1])
	}
}

// TestLoadErrors: every rejection names the place and the reason.
func TestLoadErrors(t *testing.T) {
	corr := func(body string) string {
		return "title: c\nid: corr\ncorrelation:\n" + body
	}
	cases := []struct {
		name, text, pos, msg string
	}{
		{"unknown modifier", ruleWith("f|foo: x"), "t.yml:7:9", `f|foo: unknown modifier "foo"`},
		{"empty modifier", ruleWith("f||contains: x"), "t.yml:7:9", "empty modifier"},
		{"two shapes", ruleWith("f|contains|startswith: x"), "t.yml:7:9", `modifiers "contains" and "startswith" cannot be combined`},
		{"duplicate modifier", ruleWith("f|contains|contains: x"), "t.yml:7:9", `modifier "contains" is given twice`},
		{"re flag alone", ruleWith("f|i: x"), "t.yml:7:9", `modifier "i" is a flag of re`},
		{"re with contains", ruleWith("f|re|contains: x"), "t.yml:7:9", `"contains" cannot be combined with re`},
		{"re lookahead", ruleWith("f|re: 'a(?=b)'"), "t.yml:7:9", "rule test-rule: f|re: \"a(?=b)\" is not a regular expression Go's RE2 engine accepts: invalid or unsupported Perl syntax: `(?=`"},
		{"re backreference", ruleWith(`f|re: '(a)\1'`), "t.yml:7:9", "invalid escape sequence: `\\1`"},
		{"cidr invalid", ruleWith("f|cidr: 10.0.0.0/33"), "t.yml:7:9", `"10.0.0.0/33" is not an IPv4 or IPv6 network`},
		{"cidr with contains", ruleWith("f|cidr|contains: 10.0.0.0/8"), "t.yml:7:9", `"contains" cannot be combined with cidr`},
		{"gt not a number", ruleWith("f|gt: many"), "t.yml:7:9", `"many" is not a number`},
		{"gt with cased", ruleWith("f|gt|cased: 5"), "t.yml:7:9", `"cased" cannot be combined with gt`},
		{"exists not bool", ruleWith("f|exists: yes"), "t.yml:7:9", "exists takes one value, true or false"},
		{"exists with contains", ruleWith("f|exists|contains: true"), "t.yml:7:9", `"contains" cannot be combined with exists`},
		{"null with contains", ruleWith("f|contains: null"), "t.yml:7:9", "null can only be compared plainly"},
		{"base64 wildcard", ruleWith("f|base64: 'a*'"), "t.yml:7:9", "base64 encoding of a value with wildcards"},
		{"base64offset short", ruleWith("f|base64offset|contains: 'a'"), "t.yml:7:9", "base64offset needs a value of at least two bytes"},
		{"windash too many", ruleWith("f|windash: '-a-b-c-d-e-f'"), "t.yml:7:9", "windash: too many dashes"},
		{"fieldref wildcard", ruleWith("f|fieldref: 'g*'"), "t.yml:7:9", "is not a field name"},
		{"expand unterminated", ruleWith("f|expand: '50%'"), "t.yml:7:9", "unterminated placeholder"},
		{"time not number", ruleWith("f|hour: noon"), "t.yml:7:9", `"noon" is not a number`},
		{"empty list", ruleWith("f: []"), "t.yml:7:12", "f: empty list of values"},
		{"nested value", ruleWith("f: {a: b}"), "t.yml:7:12", "the value must be a scalar or a list of scalars"},
		{"nested list", ruleWith("- [a, b]"), "t.yml:7:11", "list items must be maps or keywords"},
		{"null keyword", ruleWith("- null"), "t.yml:7:11", "a keyword cannot be null"},
		{"duplicate field", ruleWith("f: a\nf: b"), "t.yml:8:9", `duplicate key "f"`},
		{"missing selection", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel and other\n", "t.yml:5:16", `"other" is not a search identifier of this rule (defined: sel)`},
		{"pattern matches nothing", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: 1 of filter*\n", "t.yml:5:16", `pattern "filter*" matches no search identifier`},
		{"them matches nothing", "title: t\nlogsource: {product: p}\ndetection:\n    _sel: {a: 1}\n    condition: 1 of them\n", "t.yml:5:16", `"them" matches no search identifier`},
		{"aggregation", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel | count() by b > 5\n", "t.yml:5:20", "Sigma v1 aggregation is not supported; use a correlation rule"},
		{"aggregation quoted", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: 'sel | count() > 5'\n", "t.yml:5:21", "Sigma v1 aggregation is not supported"},
		{"near", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel and near b\n", "t.yml:5:24", `Sigma v1 "near" is not supported`},
		{"condition syntax", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: (sel\n", "t.yml:5:20", "expected ')'"},
		{"no condition", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n", "t.yml:4:5", "detection has no condition"},
		{"no selections", "title: t\nlogsource: {product: p}\ndetection:\n    condition: sel\n", "t.yml:4:5", "detection has no search identifiers"},
		{"bad timeframe", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    timeframe: 5 minutes\n    condition: sel\n", "t.yml:5:16", `malformed timespan "5 minutes"`},
		{"no title", "logsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:1:1", "rule has no title"},
		{"no logsource", "title: t\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:1:1", "detection rule has no logsource"},
		{"unknown level", "title: t\nlevel: severe\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:2:8", `unknown level "severe"`},
		{"unknown status", "title: t\nstatus: draft\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:2:9", `unknown status "draft"`},
		{"unknown logsource key", "title: t\nlogsource: {product: p, vendor: x}\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:2:25", `unknown logsource key "vendor"`},
		{"duplicate top key", "title: t\ntitle: u\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\n", "t.yml:2:1", `duplicate key "title"`},
		{"neither", "title: t\nlogsource: {product: p}\n", "t.yml:1:1", "neither a detection nor a correlation"},
		{"both", "title: t\nlogsource: {product: p}\ndetection:\n    sel: {a: 1}\n    condition: sel\ncorrelation:\n    type: event_count\n", "t.yml:7:5", "either a detection or a correlation section, not both"},
		{"action global", "action: global\ntitle: t\n", "t.yml:1:1", "Sigma v1 rule collections"},
		{"filter document", "title: f\nfilter:\n    rules: [a]\n", "t.yml:2:1", "Sigma filter documents are not supported"},
		{"not a mapping", "- a\n- b\n", "t.yml:1:1", "a rule must be a YAML mapping"},
		{"invalid yaml", "title: t\nlogsource: {product: p\n", "t.yml:", "invalid YAML"},
		{"merge key", "title: t\nlogsource: {product: p}\ndetection:\n    base: &b {a: 1}\n    sel:\n        <<: *b\n    condition: sel\n", "t.yml:6:9", "merge keys"},

		{"correlation type", corr("    type: event_sum\n    rules: [a]\n    timespan: 1h\n"), "t.yml:4:11", `unknown correlation type "event_sum"`},
		{"correlation no type", corr("    rules: [a]\n    timespan: 1h\n"), "t.yml:4:5", "correlation has no type"},
		{"correlation timespan", corr("    type: temporal\n    rules: [a, b]\n    timespan: 1 hour\n"), "t.yml:6:15", `malformed timespan "1 hour"`},
		{"correlation timespan unit", corr("    type: temporal\n    rules: [a, b]\n    timespan: 1y\n"), "t.yml:6:15", `malformed timespan "1y"`},
		{"correlation timespan zero", corr("    type: temporal\n    rules: [a, b]\n    timespan: 0s\n"), "t.yml:6:15", `malformed timespan "0s"`},
		{"correlation no timespan", corr("    type: temporal\n    rules: [a, b]\n"), "t.yml:4:5", "correlation has no timespan"},
		{"correlation no rules", corr("    type: temporal\n    timespan: 1h\n"), "t.yml:4:5", "correlation has no rules"},
		{"correlation no condition", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n"), "t.yml:4:5", "event_count correlation needs a condition"},
		{"correlation range", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 100, lte: 200}\n"), "t.yml:7:16", "ranges are not supported"},
		{"correlation bad op", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {above: 100}\n"), "t.yml:7:17", `unknown key "above"`},
		{"correlation not a number", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {gt: lots}\n"), "t.yml:7:21", `"lots" is not a number`},
		{"value_count no field", corr("    type: value_count\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 10}\n"), "t.yml:7:16", "value_count correlation condition needs a field"},
		{"event_count field", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 10, field: x}\n"), "t.yml:7:32", "event_count correlation condition takes no field"},
		{"value_percentile no percentile", corr("    type: value_percentile\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 10, field: x}\n"), "t.yml:7:16", "needs a percentile"},
		{"percentile elsewhere", corr("    type: value_sum\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 10, field: x, percentile: 90}\n"), "t.yml:7:47", "percentile is only meaningful"},
		{"new_value condition", corr("    type: new_value\n    rules: [a]\n    group-by: [user]\n    timespan: 7d\n    condition: {gt: 1}\n"), "t.yml:8:16", "new_value correlation takes no condition"},
		{"new_value no group-by", corr("    type: new_value\n    rules: [a]\n    timespan: 7d\n"), "t.yml:4:5", "new_value correlation needs group-by"},
		{"learning not new_value", corr("    type: event_count\n    rules: [a]\n    timespan: 1h\n    condition: {gt: 1}\n    learning: 7d\n"), "t.yml:8:15", "learning is for new_value correlations, not event_count"},
		{"learning malformed", corr("    type: new_value\n    rules: [a]\n    group-by: [user]\n    timespan: 1h\n    learning: a week\n"), "t.yml:8:15", `learning: malformed duration "a week"`},
		{"alias unknown rule", corr("    type: temporal\n    rules: [a, b]\n    timespan: 1h\n    group-by: [ip]\n    aliases:\n        ip: {a: src, c: dst}\n"), "t.yml:4:5", `alias "ip" names rule "c", which is not in the correlation's rules`},
		{"correlation unknown key", corr("    type: temporal\n    rules: [a, b]\n    timespan: 1h\n    window: 5\n"), "t.yml:7:5", `correlation: unknown key "window"`},
		{"correlation duplicate rule", corr("    type: temporal\n    rules: [a, a]\n    timespan: 1h\n"), "t.yml:5:12", `"a" is listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, errs := ParseFile("t.yml", []byte(c.text))
			if len(rs) != 0 {
				t.Errorf("rule loaded despite the problem")
			}
			for _, err := range errs {
				if _, ok := err.(*Error); !ok {
					t.Errorf("error is %T", err)
				}
				s := err.Error()
				if strings.HasPrefix(s, c.pos) && strings.Contains(s, c.msg) {
					return
				}
			}
			t.Errorf("want an error at %s with %q; got %v", c.pos, c.msg, errs)
		})
	}
}

func TestCorrelation(t *testing.T) {
	text := `title: Brute force then success
id: c-1
name: brute_then_success
level: high
correlation:
    type: temporal_ordered
    rules:
        - many_failed
        - success
    group-by:
        - user
        - ip
    timespan: 10m
    aliases:
        ip:
            many_failed: source.ip
            success: client.ip
    generate: true
---
title: Many failed
name: many_failed
correlation:
    type: event_count
    rules: failed_login
    group-by: [user]
    timespan: 1h
    condition:
        gte: 100
---
title: Distinct users
correlation:
    type: value_count
    rules: [failed_login]
    group-by: [ip]
    timespan: 1d
    condition:
        field: user
        gt: 10
---
title: P95 bytes
generate: true
correlation:
    type: value_percentile
    rules: [r]
    timespan: 1d
    condition: {field: bytes, percentile: 95, gt: 1e6}
---
title: First login from a country
correlation:
    type: new_value
    rules: [login]
    group-by: [user, country]
    timespan: 14d
    learning: 30d
`
	rs, errs := ParseFile("c.yml", []byte(text))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(rs) != 5 {
		t.Fatalf("%d rules", len(rs))
	}
	want := []*Correlation{
		{Pos: Pos{"c.yml", 6, 5}, Type: TemporalOrdered, Rules: []string{"many_failed", "success"}, GroupBy: []string{"user", "ip"},
			Timespan: 10 * time.Minute, Aliases: map[string]map[string]string{"ip": {"many_failed": "source.ip", "success": "client.ip"}}, Generate: true},
		{Pos: Pos{"c.yml", 23, 5}, Type: EventCount, Rules: []string{"failed_login"}, GroupBy: []string{"user"}, Timespan: time.Hour,
			Condition: &Threshold{Op: "gte", Value: 100}},
		{Pos: Pos{"c.yml", 32, 5}, Type: ValueCount, Rules: []string{"failed_login"}, GroupBy: []string{"ip"}, Timespan: 24 * time.Hour,
			Condition: &Threshold{Op: "gt", Value: 10, Field: "user"}},
		{Pos: Pos{"c.yml", 43, 5}, Type: ValuePercentile, Rules: []string{"r"}, Timespan: 24 * time.Hour,
			Condition: &Threshold{Op: "gt", Value: 1e6, Field: "bytes", Percentile: 95}, Generate: true},
		{Pos: Pos{"c.yml", 50, 5}, Type: NewValue, Rules: []string{"login"}, GroupBy: []string{"user", "country"}, Timespan: 14 * 24 * time.Hour, Learning: 30 * 24 * time.Hour},
	}
	for i, r := range rs {
		if r.Detection != nil || !reflect.DeepEqual(r.Correlation, want[i]) {
			t.Errorf("rule %d:\n got %+v\nwant %+v", i, r.Correlation, want[i])
		}
	}
	if rs[0].Name != "brute_then_success" || rs[0].Level != "high" {
		t.Errorf("metadata: %+v", rs[0])
	}
	if _, err := Compile[doc](rs[0], anyResolver{}, Options{}); err == nil {
		t.Error("a correlation rule compiled to a matcher")
	}
}

func TestTimespan(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"10s": 10 * time.Second, "5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour, "90m": 90 * time.Minute,
	} {
		if got, err := parseTimespan(s); err != "" || got != want {
			t.Errorf("%s: %v %s", s, got, err)
		}
	}
	for _, s := range []string{"", "s", "5", "5M", "-5m", "5.5m", "1h30m", " 5m", "5 m", "99999999999999999999d", "9999999999999999d"} {
		if _, err := parseTimespan(s); err == "" {
			t.Errorf("%q accepted", s)
		}
	}
}
