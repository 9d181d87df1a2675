package sigma

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// ParseCondition parses a detection condition:
//
//	expr    = and { "or" and }
//	and     = not { "and" not }
//	not     = "not" not | primary
//	primary = "(" expr ")" | quant "of" (pattern | "them") | name
//	quant   = "1" | "any" | "all"
//
// so that not binds tighter than and, and tighter than or. Keywords are
// case-insensitive; a pattern is a selection name with * wildcards. The
// Sigma v1 aggregations ("| count() by ...", "near") are rejected. An error
// is an *Error whose position is the line and column in text.
func ParseCondition(text string) (Expr, error) {
	cp := condParser{text: text}
	cp.lex()
	if cp.err != nil {
		return nil, cp.err
	}
	if len(cp.toks) == 1 {
		return nil, cp.errAt(0, "empty condition")
	}
	e := cp.or()
	if cp.err != nil {
		return nil, cp.err
	}
	if t := cp.peek(); t.kind != tEOF {
		cp.fail(t, "unexpected %s", t.describe())
		return nil, cp.err
	}
	return e, nil
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tLParen
	tRParen
)

type ctok struct {
	kind tokKind
	text string
	off  int
}

func (t ctok) describe() string {
	switch t.kind {
	case tEOF:
		return "end of condition"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	}
	return fmt.Sprintf("%q", t.text)
}

// is reports whether t is the (case-insensitive) keyword kw.
func (t ctok) is(kw string) bool { return t.kind == tWord && strings.EqualFold(t.text, kw) }

func (t ctok) keyword() bool {
	for _, kw := range []string{"and", "or", "not", "of", "them"} {
		if t.is(kw) {
			return true
		}
	}
	return false
}

// maxDepth bounds the nesting of a condition.
const maxDepth = 200

type condParser struct {
	text  string
	toks  []ctok
	i     int
	depth int
	err   *Error
}

func (cp *condParser) errAt(off int, format string, args ...any) *Error {
	line, col := 1, 1
	for i, r := range cp.text {
		if i >= off {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Pos: Pos{File: "condition", Line: line, Col: col}, Msg: fmt.Sprintf(format, args...)}
}

func (cp *condParser) fail(t ctok, format string, args ...any) {
	if cp.err == nil {
		cp.err = cp.errAt(t.off, format, args...)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (cp *condParser) lex() {
	s := cp.text
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case c == '(':
			cp.toks = append(cp.toks, ctok{kind: tLParen, text: "(", off: i})
			i++
		case c == ')':
			cp.toks = append(cp.toks, ctok{kind: tRParen, text: ")", off: i})
			i++
		case c == '|':
			cp.err = cp.errAt(i, "Sigma v1 aggregation is not supported; use a correlation rule")
			return
		default:
			j := i
			for j < len(s) && !isSpace(s[j]) && s[j] != '(' && s[j] != ')' && s[j] != '|' {
				j++
			}
			w := s[i:j]
			if !utf8.ValidString(w) {
				cp.err = cp.errAt(i, "invalid UTF-8 in condition")
				return
			}
			if strings.EqualFold(w, "near") {
				cp.err = cp.errAt(i, "Sigma v1 \"near\" is not supported; use a temporal correlation rule")
				return
			}
			cp.toks = append(cp.toks, ctok{kind: tWord, text: w, off: i})
			i = j
		}
	}
	cp.toks = append(cp.toks, ctok{kind: tEOF, off: len(s)})
}

func (cp *condParser) peek() ctok { return cp.toks[cp.i] }

func (cp *condParser) next() ctok {
	t := cp.toks[cp.i]
	if t.kind != tEOF {
		cp.i++
	}
	return t
}

func (cp *condParser) or() Expr {
	l := cp.and()
	for cp.err == nil && cp.peek().is("or") {
		cp.next()
		r := cp.and()
		l = &Or{L: l, R: r}
	}
	return l
}

func (cp *condParser) and() Expr {
	l := cp.not()
	for cp.err == nil && cp.peek().is("and") {
		cp.next()
		r := cp.not()
		l = &And{L: l, R: r}
	}
	return l
}

func (cp *condParser) not() Expr {
	if cp.err != nil {
		return nil
	}
	if t := cp.peek(); t.is("not") {
		cp.next()
		if cp.depth++; cp.depth > maxDepth {
			cp.fail(t, "condition is nested too deeply")
			return nil
		}
		x := cp.not()
		cp.depth--
		return &Not{X: x}
	}
	return cp.primary()
}

func (cp *condParser) primary() Expr {
	if cp.err != nil {
		return nil
	}
	t := cp.next()
	switch t.kind {
	case tEOF:
		cp.fail(t, "unexpected end of condition: expected a search identifier, '(' or 'not'")
		return nil
	case tRParen:
		cp.fail(t, "unexpected ')'")
		return nil
	case tLParen:
		if cp.depth++; cp.depth > maxDepth {
			cp.fail(t, "condition is nested too deeply")
			return nil
		}
		e := cp.or()
		cp.depth--
		if cp.err != nil {
			return nil
		}
		if c := cp.next(); c.kind != tRParen {
			cp.fail(c, "expected ')' to close the '(' at column %d, found %s", cp.errAt(t.off, "").Pos.Col, c.describe())
			return nil
		}
		return e
	}
	// A word: quantifier, keyword or search identifier.
	if cp.peek().is("of") {
		cp.next()
		var all bool
		switch {
		case t.text == "1" || t.is("any"):
		case t.is("all"):
			all = true
		default:
			cp.fail(t, "%q of is not supported: use \"1 of\", \"any of\" or \"all of\"", t.text)
			return nil
		}
		pt := cp.next()
		if pt.kind != tWord || pt.keyword() && !pt.is("them") {
			cp.fail(pt, "expected a search identifier pattern or \"them\" after \"of\", found %s", pt.describe())
			return nil
		}
		pat := pt.text
		if pt.is("them") {
			pat = "them"
		}
		return &OfPattern{All: all, Pattern: pat}
	}
	if t.keyword() {
		cp.fail(t, "unexpected %q: expected a search identifier", t.text)
		return nil
	}
	if strings.ContainsAny(t.text, "*") {
		cp.fail(t, "%q has a wildcard: use \"1 of %s\" or \"all of %s\"", t.text, t.text, t.text)
		return nil
	}
	return &Ref{Name: t.text}
}

// exprString prints a condition so that ParseCondition reads it back as the
// same tree.
func exprString(e Expr) string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	sub := func(x Expr) {
		switch x.(type) {
		case *And, *Or:
			b.WriteByte('(')
			writeExpr(b, x)
			b.WriteByte(')')
		default:
			writeExpr(b, x)
		}
	}
	switch x := e.(type) {
	case *And:
		sub(x.L)
		b.WriteString(" and ")
		sub(x.R)
	case *Or:
		sub(x.L)
		b.WriteString(" or ")
		sub(x.R)
	case *Not:
		b.WriteString("not ")
		sub(x.X)
	case *Ref:
		b.WriteString(x.Name)
	case *OfPattern:
		if x.All {
			b.WriteString("all of ")
		} else {
			b.WriteString("1 of ")
		}
		b.WriteString(x.Pattern)
	default:
		b.WriteString("<nil>")
	}
}

// matchSelections returns, sorted, the selections an "of" pattern covers:
// every selection not starting with "_" for "them", else the names matching
// the pattern's * wildcards.
func matchSelections(pattern string, sels map[string]*Selection) []string {
	var out []string
	for name := range sels {
		if pattern == "them" {
			if !strings.HasPrefix(name, "_") {
				out = append(out, name)
			}
		} else if nameMatch(pattern, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// nameMatch matches a selection name against a pattern with * wildcards.
func nameMatch(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	if !strings.HasPrefix(name, pattern[:star]) {
		return false
	}
	name = name[star:]
	rest := pattern[star+1:]
	for {
		next := strings.IndexByte(rest, '*')
		if next < 0 {
			return strings.HasSuffix(name, rest)
		}
		seg := rest[:next]
		i := strings.Index(name, seg)
		if i < 0 {
			return false
		}
		name = name[i+len(seg):]
		rest = rest[next+1:]
	}
}
