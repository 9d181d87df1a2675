package sigma

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// regex is a compiled re value with a literal every match must contain:
// most values fail the cheap substring test, and only the rest run the
// regular expression (whose leading ".+" would otherwise backtrack over
// every event's text).
type regex struct {
	re   *regexp.Regexp
	lit  string // "" when the expression requires no literal
	fold bool   // lit is compared ignoring ASCII case
	// at is where in lit a byte that is rare in text (not a letter,
	// digit or common separator) is, the anchor of the search; -1 none.
	at int
}

func newRegex(re *regexp.Regexp) regex {
	r := regex{re: re}
	p, err := syntax.Parse(re.String(), syntax.Perl)
	if err != nil {
		return r
	}
	lit, fold := requiredLiteral(p.Simplify())
	if len(lit) < 2 || !isASCII(lit) {
		return r // too short to pay, or case folding beyond ASCII
	}
	r.lit, r.fold = lit, fold
	if fold {
		r.lit = strings.ToLower(lit)
	}
	r.at = rareByte(r.lit)
	return r
}

// rareByte returns the index of the first byte of lit that is rare in
// log text — punctuation other than the separators ':', '.', '-', '_'
// and space — or -1. Such a byte has no case, so it anchors a search
// with or without case folding.
func rareByte(lit string) int {
	for i := 0; i < len(lit); i++ {
		switch c := lit[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == ':', c == '.', c == '-', c == '_', c == ' ', c >= utf8.RuneSelf:
		default:
			return i
		}
	}
	return -1
}

// containsAt reports whether s contains lit, finding candidates by lit's
// byte at index at (which has no case): fewer candidates than its first
// byte gives when that is common (the ':' of ":assumed-role/aws:" occurs
// five times in an ARN, the '/' once or twice).
func containsAt(s, lit string, at int, fold bool) bool {
	c := lit[at]
	for i := at; i < len(s); i++ {
		j := strings.IndexByte(s[i:], c)
		if j < 0 {
			return false
		}
		i += j
		start := i - at
		if start+len(lit) > len(s) {
			return false
		}
		if w := s[start : start+len(lit)]; w == lit || fold && equalLower(w, lit) {
			return true
		}
	}
	return false
}

func (r *regex) match(s string) bool {
	if r.lit != "" {
		if r.at >= 0 {
			if !containsAt(s, r.lit, r.at, r.fold) {
				return false
			}
		} else if r.fold {
			if !containsFoldASCII(s, r.lit) {
				return false
			}
		} else if !strings.Contains(s, r.lit) {
			return false
		}
	}
	return r.re.MatchString(s)
}

// requiredLiteral returns the longest run of literal text that every match
// of re contains, and whether it is case-insensitive.
func requiredLiteral(re *syntax.Regexp) (string, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune), re.Flags&syntax.FoldCase != 0
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiteral(re.Sub[0])
		}
	case syntax.OpConcat:
		best, bestFold := "", false
		var run strings.Builder
		runFold, inRun := false, false
		flush := func() {
			if run.Len() > len(best) {
				best, bestFold = run.String(), runFold
			}
			run.Reset()
			inRun = false
		}
		for _, sub := range re.Sub {
			if sub.Op == syntax.OpLiteral {
				fold := sub.Flags&syntax.FoldCase != 0
				if inRun && fold != runFold {
					flush()
				}
				run.WriteString(string(sub.Rune))
				runFold, inRun = fold, true
				continue
			}
			flush()
			if s, f := requiredLiteral(sub); len(s) > len(best) {
				best, bestFold = s, f
			}
		}
		flush()
		return best, bestFold
	}
	return "", false
}

// containsFoldASCII reports whether s contains lower (lower-case ASCII)
// ignoring ASCII case, without allocating.
func containsFoldASCII(s, lower string) bool {
	n := len(lower)
	if n == 0 {
		return true
	}
	first := lower[0]
	for i := 0; i+n <= len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != first {
			continue
		}
		j := 1
		for ; j < n; j++ {
			d := s[i+j]
			if 'A' <= d && d <= 'Z' {
				d += 'a' - 'A'
			}
			if d != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}
