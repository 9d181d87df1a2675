package sigma

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseFile parses a Sigma rule file: one rule, or several rules separated by
// "---" document markers. Every problem is returned as an *Error with the
// file, line and column and a reason; a rule with a problem is left out of
// the result but does not stop the other rules of the file.
func ParseFile(name string, data []byte) ([]*Rule, []error) {
	var (
		rules []*Rule
		errs  []error
	)
	for _, doc := range splitDocuments(data) {
		r, derrs := parseDocument(name, doc)
		if r != nil && len(derrs) == 0 {
			rules = append(rules, r)
		}
		errs = append(errs, derrs...)
	}
	return rules, errs
}

// document is one YAML document of a file: its text and the file line its
// first line is on.
type document struct {
	text []byte
	line int
}

// splitDocuments cuts a file at its "---" and "..." document markers (which
// YAML only recognizes at the start of a line), so that a syntax error in
// one rule does not hide the rules after it.
func splitDocuments(data []byte) []document {
	var (
		docs  []document
		start = 0 // offset of the current document
		sline = 1 // its line
		line  = 1
	)
	cut := func(end, nextStart, nextLine int) {
		docs = append(docs, document{text: data[start:end], line: sline})
		start, sline = nextStart, nextLine
	}
	for off := 0; off < len(data); {
		nl := bytes.IndexByte(data[off:], '\n')
		end := len(data)
		if nl >= 0 {
			end = off + nl + 1
		}
		l := data[off:end]
		switch {
		case isMarker(l, "---"):
			if off > start {
				cut(off, off, line)
			}
		case isMarker(l, "..."):
			cut(end, end, line+1)
		}
		off = end
		line++
	}
	if start < len(data) {
		cut(len(data), len(data), line)
	}
	return docs
}

func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\n' || line[3] == '\r'
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument parses one YAML document into a rule. It returns a nil rule
// and no errors for an empty document.
func parseDocument(file string, doc document) (r *Rule, errs []error) {
	p := &parser{file: file, lineOff: doc.line - 1}
	defer func() {
		if v := recover(); v != nil {
			// A bug must not take the whole load down: report it as a
			// problem of this rule.
			r = nil
			errs = append(p.errs, &Error{Pos: Pos{File: file, Line: doc.line, Col: 1}, RuleID: p.ruleID,
				Msg: fmt.Sprintf("internal error: %v", v)})
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(doc.text, &n); err != nil {
		pos := Pos{File: file, Line: doc.line, Col: 1}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			l, _ := strconv.Atoi(m[1])
			pos.Line = l + p.lineOff
			msg = m[2]
		}
		return nil, []error{&Error{Pos: pos, Msg: "invalid YAML: " + msg}}
	}
	if n.Kind == 0 || len(n.Content) == 0 {
		return nil, nil // no document: only comments or blank lines
	}
	root := n.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	r = p.rule(root)
	return r, p.errs
}

// parser holds the state of parsing one document.
type parser struct {
	file    string
	lineOff int
	ruleID  string // for error messages
	errs    []error
	budget  int // nodes visited, against alias expansion bombs
}

// maxNodes bounds the YAML nodes a rule's detection may expand to (aliases
// can make a small file expand enormously).
const maxNodes = 200000

func (p *parser) pos(n *yaml.Node) Pos {
	return Pos{File: p.file, Line: n.Line + p.lineOff, Col: n.Column}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, &Error{Pos: p.pos(n), RuleID: p.ruleID, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) errorAt(pos Pos, msg string) {
	p.errs = append(p.errs, &Error{Pos: pos, RuleID: p.ruleID, Msg: msg})
}

// deref follows aliases.
func (p *parser) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	p.budget++
	return n
}

// pairs returns the key/value pairs of a mapping, reporting non-string and
// duplicate keys. what names the mapping in messages.
func (p *parser) pairs(n *yaml.Node, what string) (keys []string, knodes, vnodes []*yaml.Node) {
	n = p.deref(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", what)
		return nil, nil, nil
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.deref(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "%s: keys must be strings", what)
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errorf(k, "%s: YAML merge keys (<<) are not supported", what)
			continue
		}
		if seen[k.Value] {
			p.errorf(k, "%s: duplicate key %q", what, k.Value)
			continue
		}
		seen[k.Value] = true
		keys = append(keys, k.Value)
		knodes = append(knodes, k)
		vnodes = append(vnodes, v)
	}
	return keys, knodes, vnodes
}

// str reads a scalar as a string; null is "".
func (p *parser) str(n *yaml.Node, what string) string {
	n = p.deref(n)
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s must be a string", what)
		return ""
	}
	if n.ShortTag() == "!!null" {
		return ""
	}
	return n.Value
}

// strList reads a list of strings; a single string is a list of one.
func (p *parser) strList(n *yaml.Node, what string) []string {
	n = p.deref(n)
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			c = p.deref(c)
			if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
				p.errorf(c, "%s must be a list of strings", what)
				continue
			}
			out = append(out, c.Value)
		}
		return out
	}
	p.errorf(n, "%s must be a list of strings", what)
	return nil
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	n = p.deref(n)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		p.errorf(n, "%s must be true or false", what)
		return false
	}
	b, _ := strconv.ParseBool(strings.ToLower(n.Value))
	return b
}

var (
	levels   = []string{"informational", "low", "medium", "high", "critical"}
	statuses = []string{"stable", "test", "experimental", "deprecated", "unsupported"}
)

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// rule parses a rule document's top-level mapping.
func (p *parser) rule(root *yaml.Node) *Rule {
	root = p.deref(root)
	r := &Rule{Pos: p.pos(root)}
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "a rule must be a YAML mapping")
		return r
	}
	keys, knodes, vnodes := p.pairs(root, "rule")
	// The id (or title) names the rule in every later message.
	for i, k := range keys {
		if k == "title" && p.ruleID == "" || k == "id" {
			if v := p.deref(vnodes[i]); v.Kind == yaml.ScalarNode {
				p.ruleID = v.Value
			}
		}
	}
	var detNode, corNode, genNode *yaml.Node
	var lsSeen, otherKind bool
	for i, k := range keys {
		v := vnodes[i]
		switch k {
		case "title":
			r.Title = p.str(v, "title")
		case "id":
			r.ID = p.str(v, "id")
		case "name":
			r.Name = p.str(v, "name")
		case "status":
			r.Status = p.str(v, "status")
			if r.Status != "" && !oneOf(r.Status, statuses) {
				p.errorf(v, "unknown status %q (want one of %s)", r.Status, strings.Join(statuses, ", "))
			}
		case "description":
			r.Description = p.str(v, "description")
		case "author":
			r.Author = strings.Join(p.strList(v, "author"), ", ")
		case "date":
			r.Date = p.str(v, "date")
		case "modified":
			r.Modified = p.str(v, "modified")
		case "level":
			r.Level = p.str(v, "level")
			if r.Level != "" && !oneOf(r.Level, levels) {
				p.errorf(v, "unknown level %q (want one of %s)", r.Level, strings.Join(levels, ", "))
			}
		case "tags":
			r.Tags = p.strList(v, "tags")
		case "references":
			r.References = p.strList(v, "references")
		case "falsepositives":
			r.FalsePositives = p.strList(v, "falsepositives")
		case "fields":
			r.Fields = p.strList(v, "fields")
		case "logsource":
			lsSeen = true
			r.Logsource = p.logsource(v)
		case "detection":
			detNode = v
		case "correlation":
			corNode = v
		case "generate":
			genNode = v
		case "filter":
			otherKind = true
			p.errorf(knodes[i], "Sigma filter documents are not supported")
		case "action":
			otherKind = true
			p.errorf(knodes[i], "Sigma v1 rule collections (action: global, reset, repeat) are not supported; write each rule in full")
		default:
			if r.Extra == nil {
				r.Extra = make(map[string]*yaml.Node)
			}
			r.Extra[k] = v
		}
	}
	if r.Title == "" {
		p.errorf(root, "rule has no title")
	}
	switch {
	case detNode != nil && corNode != nil:
		p.errorf(corNode, "a rule has either a detection or a correlation section, not both")
	case detNode != nil:
		if !lsSeen {
			p.errorf(root, "detection rule has no logsource")
		}
		r.Detection = p.detection(detNode)
	case corNode != nil:
		r.Correlation = p.correlation(corNode)
		if genNode != nil && r.Correlation != nil {
			r.Correlation.Generate = r.Correlation.Generate || p.boolean(genNode, "generate")
		}
		genNode = nil
	default:
		if !otherKind {
			p.errorf(root, "rule has neither a detection nor a correlation section")
		}
	}
	if genNode != nil {
		p.errorf(genNode, "generate is only meaningful in a correlation rule")
	}
	return r
}

func (p *parser) logsource(n *yaml.Node) Logsource {
	var ls Logsource
	keys, knodes, vnodes := p.pairs(n, "logsource")
	for i, k := range keys {
		switch k {
		case "product":
			ls.Product = p.str(vnodes[i], "logsource product")
		case "service":
			ls.Service = p.str(vnodes[i], "logsource service")
		case "category":
			ls.Category = p.str(vnodes[i], "logsource category")
		case "definition":
			ls.Definition = p.str(vnodes[i], "logsource definition")
		default:
			p.errorf(knodes[i], "unknown logsource key %q (want product, service, category or definition)", k)
		}
	}
	return ls
}

// detection parses a detection section: named selections, the condition
// (a string or a list of strings) and the optional Sigma v1 timeframe.
func (p *parser) detection(n *yaml.Node) *Detection {
	d := &Detection{Selections: make(map[string]*Selection)}
	keys, knodes, vnodes := p.pairs(n, "detection")
	if keys == nil && len(p.errs) > 0 {
		return d
	}
	var condNode, condKey *yaml.Node
	failed := map[string]*Selection{} // selections with errors, already reported
	for i, k := range keys {
		switch k {
		case "condition":
			condNode, condKey = vnodes[i], knodes[i]
		case "timeframe":
			s := p.str(vnodes[i], "timeframe")
			t, err := parseTimespan(s)
			if err != "" {
				p.errorf(vnodes[i], "timeframe: %s", err)
			}
			d.Timeframe = t
		default:
			if sel := p.selection(k, knodes[i], vnodes[i]); sel != nil {
				d.Selections[k] = sel
			} else {
				failed[k] = nil
			}
		}
	}
	if len(d.Selections) == 0 && len(failed) == 0 && len(keys) > 0 {
		p.errorf(n, "detection has no search identifiers (selections)")
	}
	if condNode == nil {
		p.errorf(n, "detection has no condition")
		return d
	}
	condNode = p.deref(condNode)
	var items []*yaml.Node
	switch condNode.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{condNode}
	case yaml.SequenceNode:
		for _, c := range condNode.Content {
			items = append(items, p.deref(c))
		}
		if len(items) == 0 {
			p.errorf(condKey, "condition list is empty")
		}
	default:
		p.errorf(condNode, "condition must be a string or a list of strings")
	}
	for _, c := range items {
		if c.Kind != yaml.ScalarNode || c.ShortTag() == "!!null" {
			p.errorf(c, "condition must be a string")
			continue
		}
		cond := Condition{Pos: p.pos(c), Text: c.Value}
		e, err := ParseCondition(c.Value)
		if err != nil {
			ce := err.(*Error)
			p.errorAt(p.condPos(c, ce.Pos), "condition: "+ce.Msg)
			continue
		}
		cond.Expr = e
		names := d.Selections
		if len(failed) > 0 {
			names = make(map[string]*Selection, len(d.Selections)+len(failed))
			for k, v := range d.Selections {
				names[k] = v
			}
			for k := range failed {
				names[k] = nil
			}
		}
		if msg := checkRefs(e, names); msg != "" {
			p.errorf(c, "condition: %s", msg)
			continue
		}
		d.Conditions = append(d.Conditions, cond)
	}
	return d
}

// condPos maps a position inside a condition's text to the file.
func (p *parser) condPos(n *yaml.Node, in Pos) Pos {
	pos := p.pos(n)
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		pos.Line += in.Line
		pos.Col = in.Col
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		if in.Line == 1 {
			pos.Col += in.Col
		} else {
			pos.Line += in.Line - 1
			pos.Col = in.Col
		}
	default:
		if in.Line == 1 {
			pos.Col += in.Col - 1
		} else {
			pos.Line += in.Line - 1
			pos.Col = in.Col
		}
	}
	return pos
}

// selection parses one search identifier: a map (AND of field matches), a
// list of maps (OR), a list of keywords, or a single keyword.
func (p *parser) selection(name string, key, n *yaml.Node) *Selection {
	before := len(p.errs)
	sel := &Selection{Pos: p.pos(key), Name: name}
	n = p.deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		if m := p.fieldMap(name, n); m != nil {
			sel.Maps = append(sel.Maps, m)
		}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			p.errorf(n, "selection %q is an empty list", name)
		}
		for _, c := range n.Content {
			if p.budget > maxNodes {
				p.errorf(n, "detection is too large (more than %d YAML nodes once aliases are expanded)", maxNodes)
				break
			}
			c = p.deref(c)
			switch c.Kind {
			case yaml.MappingNode:
				if m := p.fieldMap(name, c); m != nil {
					sel.Maps = append(sel.Maps, m)
				}
			case yaml.ScalarNode:
				v := p.value(c)
				if v.Kind == Null {
					p.errorf(c, "selection %q: a keyword cannot be null", name)
					continue
				}
				sel.Keywords = append(sel.Keywords, v)
			default:
				p.errorf(c, "selection %q: list items must be maps or keywords, not nested lists", name)
			}
		}
	case yaml.ScalarNode:
		v := p.value(n)
		if v.Kind == Null {
			p.errorf(n, "selection %q is empty", name)
			break
		}
		sel.Keywords = append(sel.Keywords, v)
	default:
		p.errorf(n, "selection %q must be a map, a list or a keyword", name)
	}
	if len(p.errs) > before {
		return nil
	}
	return sel
}

// fieldMap parses a map of "field|modifier...: value(s)" entries.
func (p *parser) fieldMap(sel string, n *yaml.Node) []FieldMatch {
	keys, knodes, vnodes := p.pairs(n, fmt.Sprintf("selection %q", sel))
	if len(keys) == 0 {
		p.errorf(n, "selection %q has an empty map", sel)
		return nil
	}
	out := make([]FieldMatch, 0, len(keys))
	for i, k := range keys {
		fm := FieldMatch{Pos: p.pos(knodes[i])}
		parts := strings.Split(k, "|")
		fm.Field = parts[0]
		if len(parts) > 1 {
			fm.Modifiers = parts[1:]
		}
		v := p.deref(vnodes[i])
		switch v.Kind {
		case yaml.ScalarNode:
			fm.Values = []Value{p.value(v)}
		case yaml.SequenceNode:
			if len(v.Content) == 0 {
				p.errorf(v, "%s: empty list of values", k)
				continue
			}
			for _, c := range v.Content {
				c = p.deref(c)
				if c.Kind != yaml.ScalarNode {
					p.errorf(c, "%s: values must be scalars (strings, numbers, booleans or null)", k)
					continue
				}
				fm.Values = append(fm.Values, p.value(c))
			}
		default:
			p.errorf(v, "%s: the value must be a scalar or a list of scalars", k)
			continue
		}
		if p.budget > maxNodes {
			p.errorf(v, "detection is too large (more than %d YAML nodes once aliases are expanded)", maxNodes)
			return nil
		}
		if _, err := checkFieldMatch(&fm); err != "" {
			p.errorf(knodes[i], "%s", fieldLabel(&fm)+err)
			continue
		}
		out = append(out, fm)
	}
	return out
}

// value converts a YAML scalar to a rule value.
func (p *parser) value(n *yaml.Node) Value {
	s := n.Value
	switch n.ShortTag() {
	case "!!null":
		return Value{Kind: Null}
	case "!!bool":
		return Value{Kind: Bool, S: strings.ToLower(s)}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64); err == nil {
			return Value{Kind: Number, S: s, N: float64(i)}
		}
		if u, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 0, 64); err == nil {
			return Value{Kind: Number, S: s, N: float64(u)}
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return Value{Kind: Number, S: s, N: f}
		}
	case "!!float":
		switch strings.ToLower(s) {
		case ".inf", "+.inf":
			return Value{Kind: Number, S: s, N: math.Inf(1)}
		case "-.inf":
			return Value{Kind: Number, S: s, N: math.Inf(-1)}
		case ".nan":
			return Value{Kind: String, S: s}
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
			return Value{Kind: Number, S: s, N: f}
		}
	}
	return Value{Kind: String, S: s}
}

// checkRefs reports a condition's references to missing selections and
// patterns matching none.
func checkRefs(e Expr, sels map[string]*Selection) string {
	var msg string
	walkExpr(e, func(x Expr) {
		if msg != "" {
			return
		}
		switch x := x.(type) {
		case *Ref:
			if _, ok := sels[x.Name]; !ok {
				msg = fmt.Sprintf("%q is not a search identifier of this rule%s", x.Name, known(sels))
			}
		case *OfPattern:
			if len(matchSelections(x.Pattern, sels)) == 0 {
				if x.Pattern == "them" {
					msg = "\"them\" matches no search identifier (names starting with _ are left out)"
				} else {
					msg = fmt.Sprintf("pattern %q matches no search identifier%s", x.Pattern, known(sels))
				}
			}
		}
	})
	return msg
}

func known(sels map[string]*Selection) string {
	names := make([]string, 0, len(sels))
	for n := range sels {
		names = append(names, n)
	}
	if len(names) == 0 {
		return ""
	}
	sort.Strings(names)
	return " (defined: " + strings.Join(names, ", ") + ")"
}

func walkExpr(e Expr, f func(Expr)) {
	f(e)
	switch x := e.(type) {
	case *And:
		walkExpr(x.L, f)
		walkExpr(x.R, f)
	case *Or:
		walkExpr(x.L, f)
		walkExpr(x.R, f)
	case *Not:
		walkExpr(x.X, f)
	}
}
