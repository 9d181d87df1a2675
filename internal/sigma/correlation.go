package sigma

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Correlation types.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
	ValueSum        = "value_sum"
	ValueAvg        = "value_avg"
	ValuePercentile = "value_percentile"
	// NewValue is vigil's extension: it fires the first time a group-by
	// tuple is seen after a learning period (the `learning:` key, by
	// default timespan).
	NewValue = "new_value"
)

var correlationTypes = []string{EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile, NewValue}

var thresholdOps = []string{"gt", "gte", "lt", "lte", "eq", "neq"}

// correlation parses a correlation section.
func (p *parser) correlation(n *yaml.Node) *Correlation {
	n = p.deref(n)
	c := &Correlation{Pos: p.pos(n)}
	keys, knodes, vnodes := p.pairs(n, "correlation")
	if keys == nil {
		if n.Kind == yaml.MappingNode {
			p.errorf(n, "correlation section is empty")
		}
		return c
	}
	var typeNode, rulesNode, spanNode, condNode, learnNode *yaml.Node
	for i, k := range keys {
		v := vnodes[i]
		switch k {
		case "type":
			typeNode = v
			c.Type = p.str(v, "correlation type")
		case "rules":
			rulesNode = v
			c.Rules = p.strList(v, "correlation rules")
		case "group-by":
			c.GroupBy = p.strList(v, "group-by")
		case "timespan":
			spanNode = v
			t, err := parseTimespan(p.str(v, "timespan"))
			if err != "" {
				p.errorf(v, "timespan: %s", err)
			}
			c.Timespan = t
		case "condition":
			condNode = v
		case "learning":
			learnNode = v
			t, err := parseTimespan(p.str(v, "learning"))
			if err != "" {
				p.errorf(v, "learning: %s", strings.Replace(err, "timespan", "duration", 1))
			}
			c.Learning = t
		case "aliases":
			c.Aliases = p.aliases(v)
		case "generate":
			c.Generate = p.boolean(v, "generate")
		case "timeframe":
			p.errorf(knodes[i], "correlation: unknown key \"timeframe\" (the correlation window is \"timespan\")")
		default:
			p.errorf(knodes[i], "correlation: unknown key %q", k)
		}
	}
	if typeNode == nil {
		p.errorf(n, "correlation has no type (want one of %s)", strings.Join(correlationTypes, ", "))
	} else if c.Type != "" && !oneOf(c.Type, correlationTypes) {
		p.errorf(typeNode, "unknown correlation type %q (want one of %s)", c.Type, strings.Join(correlationTypes, ", "))
	}
	if rulesNode == nil || len(c.Rules) == 0 {
		p.errorf(n, "correlation has no rules")
	} else {
		seen := map[string]bool{}
		for _, r := range c.Rules {
			if r == "" {
				p.errorf(rulesNode, "correlation rules: empty rule reference")
			} else if seen[r] {
				p.errorf(rulesNode, "correlation rules: %q is listed twice", r)
			}
			seen[r] = true
		}
	}
	if spanNode == nil {
		p.errorf(n, "correlation has no timespan")
	}
	seenGB := map[string]bool{}
	for _, g := range c.GroupBy {
		if g == "" {
			p.errorf(n, "group-by: empty field name")
		} else if seenGB[g] {
			p.errorf(n, "group-by: %q is listed twice", g)
		}
		seenGB[g] = true
	}
	for alias, m := range c.Aliases {
		for rule := range m {
			if !oneOf(rule, c.Rules) {
				p.errorf(n, "aliases: alias %q names rule %q, which is not in the correlation's rules", alias, rule)
			}
		}
	}
	switch c.Type {
	case EventCount, ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if condNode == nil {
			p.errorf(n, "%s correlation needs a condition", c.Type)
		}
	case NewValue:
		if condNode != nil {
			p.errorf(condNode, "new_value correlation takes no condition: it fires on the first occurrence of a group-by tuple after the timespan's learning period")
			condNode = nil
		}
		if len(c.GroupBy) == 0 {
			p.errorf(n, "new_value correlation needs group-by: the fields whose new values it reports")
		}
	}
	if learnNode != nil && c.Type != NewValue && c.Type != "" {
		p.errorf(learnNode, "learning is for new_value correlations, not %s", c.Type)
	}
	if condNode != nil {
		c.Condition = p.threshold(c.Type, condNode)
	}
	return c
}

// aliases parses "alias: {rule: field, ...}".
func (p *parser) aliases(n *yaml.Node) map[string]map[string]string {
	keys, _, vnodes := p.pairs(n, "aliases")
	if keys == nil {
		return nil
	}
	out := make(map[string]map[string]string, len(keys))
	for i, alias := range keys {
		rk, _, rv := p.pairs(vnodes[i], fmt.Sprintf("alias %q", alias))
		m := make(map[string]string, len(rk))
		for j, rule := range rk {
			f := p.str(rv[j], fmt.Sprintf("alias %q for rule %q", alias, rule))
			if f == "" {
				p.errorf(rv[j], "alias %q for rule %q: empty field name", alias, rule)
			}
			m[rule] = f
		}
		out[alias] = m
	}
	return out
}

// threshold parses a correlation condition: exactly one comparison, the
// field for the value_* types, and the percentile for value_percentile.
func (p *parser) threshold(typ string, n *yaml.Node) *Threshold {
	keys, knodes, vnodes := p.pairs(n, "correlation condition")
	if keys == nil {
		return nil
	}
	t := &Threshold{}
	var ops []string
	var fieldNode, pctNode *yaml.Node
	for i, k := range keys {
		v := p.deref(vnodes[i])
		switch {
		case oneOf(k, thresholdOps):
			ops = append(ops, k)
			f, ok := number(v)
			if !ok {
				p.errorf(v, "correlation condition %s: %q is not a number", k, v.Value)
			}
			t.Op, t.Value = k, f
		case k == "field":
			fieldNode = v
			fs := p.strList(v, "correlation condition field")
			switch {
			case len(fs) == 1 && fs[0] != "":
				t.Field = fs[0]
			case len(fs) > 1:
				p.errorf(v, "correlation condition field: several fields are not supported; give one")
			default:
				p.errorf(v, "correlation condition field is empty")
			}
		case k == "percentile":
			pctNode = v
			f, ok := number(v)
			if !ok || f < 0 || f > 100 {
				p.errorf(v, "correlation condition percentile: want a number from 0 to 100")
			}
			t.Percentile = f
		default:
			p.errorf(knodes[i], "correlation condition: unknown key %q (want one of %s, field, percentile)", k, strings.Join(thresholdOps, ", "))
		}
	}
	switch {
	case len(ops) == 0:
		p.errorf(n, "correlation condition has no comparison (want one of %s)", strings.Join(thresholdOps, ", "))
	case len(ops) > 1:
		p.errorf(n, "correlation condition has several comparisons (%s): ranges are not supported; chain two correlation rules", strings.Join(ops, ", "))
	}
	switch typ {
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if fieldNode == nil {
			p.errorf(n, "%s correlation condition needs a field", typ)
		}
	case EventCount, Temporal, TemporalOrdered:
		if fieldNode != nil {
			p.errorf(fieldNode, "%s correlation condition takes no field", typ)
		}
	}
	if typ == ValuePercentile {
		if pctNode == nil {
			p.errorf(n, "value_percentile correlation condition needs a percentile (0 to 100): the condition compares that percentile of the field's values")
		}
	} else if pctNode != nil {
		p.errorf(pctNode, "percentile is only meaningful in a value_percentile correlation")
	}
	return t
}

// number reads a numeric scalar.
func number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int", "!!float", "!!str":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			if i, err2 := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err2 == nil {
				return float64(i), true
			}
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// parseTimespan reads a duration such as 30s, 5m, 1h, 7d or 2w. The message
// is empty on success.
func parseTimespan(s string) (time.Duration, string) {
	bad := fmt.Sprintf("malformed timespan %q: want a positive whole number and a unit s, m, h, d or w (e.g. 5m)", s)
	if len(s) < 2 {
		return 0, bad
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	default:
		return 0, bad
	}
	digits := s[:len(s)-1]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n <= 0 {
		return 0, bad
	}
	if n > int64(math.MaxInt64/unit) {
		return 0, fmt.Sprintf("timespan %q is too long", s)
	}
	return time.Duration(n) * unit, ""
}
