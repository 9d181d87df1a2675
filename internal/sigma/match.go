package sigma

// Value comparison primitives. None of them allocates: case-insensitive
// comparison folds byte by byte (ASCII, the common case) or rune by rune
// (Unicode simple folding) instead of lower-casing the event's text.

import (
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func toLowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lowerASCII(b[j])
			}
			return string(b)
		}
	}
	return s
}

// equalLower reports whether s equals p ignoring ASCII case; p is
// lower-case ASCII.
func equalLower(s, p string) bool {
	if len(s) != len(p) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lowerASCII(s[i]) != p[i] {
			return false
		}
	}
	return true
}

// indexLower returns the first index of p in s ignoring ASCII case, or -1;
// p is lower-case ASCII. It finds candidates for p's first byte with
// strings.IndexByte, for its two cases, and never rescans.
func indexLower(s, p string) int {
	n := len(p)
	switch {
	case n == 0:
		return 0
	case n > len(s):
		return -1
	}
	c0 := p[0]
	u0 := c0
	if 'a' <= c0 && c0 <= 'z' {
		u0 = c0 - ('a' - 'A')
	}
	rest := p[1:]
	last := len(s) - n // the last possible start
	if c0 == u0 {
		for i := 0; i <= last; {
			j := strings.IndexByte(s[i:last+1], c0)
			if j < 0 {
				return -1
			}
			i += j
			if equalLower(s[i+1:i+n], rest) {
				return i
			}
			i++
		}
		return -1
	}
	nl, nu := -2, -2 // next occurrence of each case at or after i; -1 none
	for i := 0; i <= last; {
		if nl != -1 && nl < i {
			if j := strings.IndexByte(s[i:last+1], c0); j < 0 {
				nl = -1
			} else {
				nl = i + j
			}
		}
		if nu != -1 && nu < i {
			if j := strings.IndexByte(s[i:last+1], u0); j < 0 {
				nu = -1
			} else {
				nu = i + j
			}
		}
		k := nl
		if k < 0 || nu >= 0 && nu < k {
			k = nu
		}
		if k < 0 {
			return -1
		}
		if equalLower(s[k+1:k+n], rest) {
			return k
		}
		i = k + 1
	}
	return -1
}

// equalRuneFold reports whether two runes are equal under Unicode simple
// case folding.
func equalRuneFold(a, b rune) bool {
	if a == b {
		return true
	}
	if a < utf8.RuneSelf && b < utf8.RuneSelf {
		return lowerASCII(byte(a)) == lowerASCII(byte(b))
	}
	if a == utf8.RuneError || b == utf8.RuneError {
		return false
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// foldPrefix reports whether s begins with p under Unicode case folding,
// and how many bytes of s that prefix takes.
func foldPrefix(s, p string) (int, bool) {
	i, j := 0, 0
	for j < len(p) {
		if i >= len(s) {
			return 0, false
		}
		if s[i] < utf8.RuneSelf && p[j] < utf8.RuneSelf {
			if lowerASCII(s[i]) != lowerASCII(p[j]) {
				return 0, false
			}
			i++
			j++
			continue
		}
		sr, sw := utf8.DecodeRuneInString(s[i:])
		pr, pw := utf8.DecodeRuneInString(p[j:])
		if sr == utf8.RuneError || pr == utf8.RuneError {
			if s[i:i+sw] != p[j:j+pw] {
				return 0, false
			}
		} else if !equalRuneFold(sr, pr) {
			return 0, false
		}
		i += sw
		j += pw
	}
	return i, true
}

// foldSuffix reports whether s ends with p under Unicode case folding.
func foldSuffix(s, p string) bool {
	i, j := len(s), len(p)
	for j > 0 {
		if i <= 0 {
			return false
		}
		sr, sw := utf8.DecodeLastRuneInString(s[:i])
		pr, pw := utf8.DecodeLastRuneInString(p[:j])
		if sr == utf8.RuneError || pr == utf8.RuneError {
			if s[i-sw:i] != p[j-pw:j] {
				return false
			}
		} else if !equalRuneFold(sr, pr) {
			return false
		}
		i -= sw
		j -= pw
	}
	return true
}

// foldIndex returns where p first occurs in s under Unicode case folding
// and the length of the occurrence, or -1.
func foldIndex(s, p string) (int, int) {
	for i := 0; i <= len(s); {
		if n, ok := foldPrefix(s[i:], p); ok {
			return i, n
		}
		if i == len(s) {
			break
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1, 0
}

// Literal comparisons in one of three modes: case-sensitive, ASCII
// case-insensitive (p lower-case), Unicode case-insensitive.
type foldMode uint8

const (
	fmCased foldMode = iota
	fmASCII
	fmUnicode
)

// patternMode picks the mode for a pattern, and prepares the pattern. A
// pattern whose only non-ASCII characters have no other case (dashes,
// symbols, CJK...) is compared like an ASCII one: those bytes must be
// equal.
func patternMode(p string, fold bool) (foldMode, string) {
	switch {
	case !fold:
		return fmCased, p
	case isASCII(p) || caseless(p):
		return fmASCII, toLowerASCII(p)
	}
	return fmUnicode, p
}

// caseless reports whether the non-ASCII characters of s have no case.
func caseless(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf && unicode.SimpleFold(r) != r {
			return false
		}
	}
	return true
}

func litEqual(s, p string, m foldMode) bool {
	switch m {
	case fmCased:
		return s == p
	case fmASCII:
		return equalLower(s, p)
	}
	n, ok := foldPrefix(s, p)
	return ok && n == len(s)
}

// litPrefix reports whether s starts with p, and the length of the
// matched prefix of s.
func litPrefix(s, p string, m foldMode) (int, bool) {
	switch m {
	case fmCased:
		return len(p), strings.HasPrefix(s, p)
	case fmASCII:
		return len(p), len(s) >= len(p) && equalLower(s[:len(p)], p)
	}
	return foldPrefix(s, p)
}

func litSuffix(s, p string, m foldMode) bool {
	switch m {
	case fmCased:
		return strings.HasSuffix(s, p)
	case fmASCII:
		return len(s) >= len(p) && equalLower(s[len(s)-len(p):], p)
	}
	return foldSuffix(s, p)
}

// litIndex returns the index and length of p's first occurrence in s.
func litIndex(s, p string, m foldMode) (int, int) {
	switch m {
	case fmCased:
		return strings.Index(s, p), len(p)
	case fmASCII:
		return indexLower(s, p), len(p)
	}
	return foldIndex(s, p)
}

// glob is a pattern with * and ? wildcards; ? stands for one character.
type glob struct {
	toks []gtok
}

type gtok struct {
	wild byte // 0, '*' or '?'
	lit  string
	mode foldMode
}

func newGlob(ps []part, fold bool) *glob {
	g := &glob{toks: make([]gtok, len(ps))}
	for i, p := range ps {
		g.toks[i].wild = p.wild
		if p.wild == 0 {
			g.toks[i].mode, g.toks[i].lit = patternMode(p.lit, fold)
		}
	}
	return g
}

// match is the classic wildcard match: advance greedily and, on a
// mismatch, let the last * absorb one more character (jumping straight to
// the next occurrence of the literal after it).
func (g *glob) match(s string) bool {
	toks := g.toks
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.wild {
			case '*':
				if ti+1 == len(toks) {
					return true
				}
				starTi, starSi = ti, si
				ti++
				continue
			case '?':
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			default:
				if n, ok := litPrefix(s[si:], t.lit, t.mode); ok {
					si += n
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		if nt := &toks[starTi+1]; nt.wild == 0 {
			j, _ := litIndex(s[starSi:], nt.lit, nt.mode)
			if j < 0 {
				return false
			}
			starSi += j
		}
		ti, si = starTi+1, starSi
	}
}

// parseNum reads a decimal (or 0x hexadecimal integer) number without
// allocating on failure: the text is checked before strconv sees it.
func parseNum(s string) (float64, bool) {
	if len(s) == 0 || len(s) > 64 {
		return 0, false
	}
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	if len(s) > i+2 && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') {
		for j := i + 2; j < len(s); j++ {
			if !isHex(s[j]) {
				return 0, false
			}
		}
		n, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			return 0, false
		}
		return float64(n), true
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		e := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			e++
		}
		if e == 0 || e > 3 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// numberOf reads a field's value as a number: a Number, or a String that
// is one.
func numberOf(v *Value) (float64, bool) {
	switch v.Kind {
	case Number:
		return v.N, !math.IsNaN(v.N)
	case String:
		return parseNum(v.S)
	}
	return 0, false
}

// parseIP reads an IP address without allocating on failure for anything
// that does not look like one.
func parseIP(s string) (netip.Addr, bool) {
	if len(s) < 2 || len(s) > 64 {
		return netip.Addr{}, false
	}
	if strings.IndexByte(s, ':') < 0 {
		return parseIPv4(s)
	}
	zone := strings.IndexByte(s, '%')
	body := s
	if zone >= 0 {
		body = s[:zone]
	}
	for i := 0; i < len(body); i++ {
		if c := body[i]; !isHex(c) && c != ':' && c != '.' {
			return netip.Addr{}, false
		}
	}
	a, err := netip.ParseAddr(body)
	if err != nil {
		return netip.Addr{}, false
	}
	return a, true
}

func parseIPv4(s string) (netip.Addr, bool) {
	var b [4]byte
	n, val, digits := 0, 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if digits == 0 || n == 4 {
				return netip.Addr{}, false
			}
			b[n] = byte(val)
			n++
			val, digits = 0, 0
			continue
		}
		c := s[i]
		if !isDigit(c) || digits > 0 && val == 0 { // no leading zeros
			return netip.Addr{}, false
		}
		val = val*10 + int(c-'0')
		digits++
		if val > 255 {
			return netip.Addr{}, false
		}
	}
	if n != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(b), true
}

// timePartOf extracts a part of a timestamp: an RFC 3339-like text
// ("2006-01-02T15:04:05...", the date alone for day, week, month, year) read
// as written, without time zone conversion, or a Number of seconds (or
// milliseconds, when too large for seconds) since the Unix epoch, in UTC.
func timePartOf(v *Value, p timePart) (int, bool) {
	var year, month, day, hour, minute int
	hasTime := false
	switch v.Kind {
	case Number:
		sec := v.N
		if math.Abs(sec) >= 1e11 {
			sec /= 1000
		}
		if math.IsNaN(sec) || math.IsInf(sec, 0) {
			return 0, false
		}
		t := time.Unix(int64(sec), 0).UTC()
		year, month, day, hour, minute = t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute()
		hasTime = true
	case String:
		s := v.S
		if len(s) < 10 || s[4] != '-' || s[7] != '-' {
			return 0, false
		}
		var ok1, ok2, ok3 bool
		year, ok1 = digitsAt(s, 0, 4)
		month, ok2 = digitsAt(s, 5, 2)
		day, ok3 = digitsAt(s, 8, 2)
		if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
			return 0, false
		}
		if len(s) >= 16 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && s[13] == ':' {
			var ok4, ok5 bool
			hour, ok4 = digitsAt(s, 11, 2)
			minute, ok5 = digitsAt(s, 14, 2)
			hasTime = ok4 && ok5 && hour < 24 && minute < 60
		}
	default:
		return 0, false
	}
	switch p {
	case tpMinute:
		return minute, hasTime
	case tpHour:
		return hour, hasTime
	case tpDay:
		return day, true
	case tpMonth:
		return month, true
	case tpYear:
		return year, true
	case tpWeek:
		_, w := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC).ISOWeek()
		return w, true
	}
	return 0, false
}

func digitsAt(s string, at, n int) (int, bool) {
	v := 0
	for i := at; i < at+n; i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}
