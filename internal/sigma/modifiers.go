package sigma

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// strKind is how a string value is compared with a field.
type strKind uint8

const (
	kEqual strKind = iota
	kContains
	kStartswith
	kEndswith
)

// cmpOp is a numeric comparison.
type cmpOp uint8

const (
	cmpNone cmpOp = iota
	cmpLT
	cmpLTE
	cmpGT
	cmpGTE
)

// timePart is a part of a timestamp the time modifiers extract.
type timePart uint8

const (
	tpNone timePart = iota
	tpMinute
	tpHour
	tpDay
	tpWeek
	tpMonth
	tpYear
)

// transform is a value transformation, applied in the order written.
type transform uint8

const (
	trBase64 transform = iota + 1
	trBase64Offset
	trUTF16LE
	trUTF16BE
	trUTF16
	trWindash
)

// modSpec is a field's modifier chain, validated.
type modSpec struct {
	str        strKind
	re         bool
	reFlags    string // a subset of "ims"
	cidr       bool
	cmp        cmpOp
	exists     bool
	fieldref   bool
	time       timePart
	all        bool
	cased      bool
	neq        bool
	expand     bool
	transforms []transform
}

// encoded reports whether a base64 transformation makes the values
// case-sensitive (base64 text is).
func (m *modSpec) encoded() bool {
	for _, t := range m.transforms {
		if t == trBase64 || t == trBase64Offset {
			return true
		}
	}
	return false
}

// plain reports whether values are compared as written: no modifier
// changes them or how they are compared, except cased, all and neq.
func (m *modSpec) plain() bool {
	return m.str == kEqual && !m.re && !m.cidr && m.cmp == cmpNone && !m.exists && !m.fieldref &&
		m.time == tpNone && !m.expand && len(m.transforms) == 0
}

// parseMods validates a modifier chain. The message is empty on success.
func parseMods(mods []string) (modSpec, string) {
	var m modSpec
	seen := map[string]bool{}
	var strMod, cmpMod, timeMod string
	for _, name := range mods {
		if name == "" {
			return m, "empty modifier (a stray '|')"
		}
		canon := name
		switch name {
		case "ignorecase":
			canon = "i"
		case "multiline":
			canon = "m"
		case "dotall":
			canon = "s"
		case "wide":
			canon = "utf16le"
		}
		if seen[canon] {
			return m, fmt.Sprintf("modifier %q is given twice", name)
		}
		seen[canon] = true
		switch canon {
		case "contains", "startswith", "endswith":
			if strMod != "" {
				return m, fmt.Sprintf("modifiers %q and %q cannot be combined", strMod, name)
			}
			strMod = name
			m.str = map[string]strKind{"contains": kContains, "startswith": kStartswith, "endswith": kEndswith}[canon]
		case "all":
			m.all = true
		case "cased":
			m.cased = true
		case "neq":
			m.neq = true
		case "exists":
			m.exists = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, fmt.Sprintf("modifier %q is a flag of re and must follow it", name)
			}
			m.reFlags += canon
		case "cidr":
			m.cidr = true
		case "lt", "lte", "gt", "gte":
			if cmpMod != "" {
				return m, fmt.Sprintf("modifiers %q and %q cannot be combined", cmpMod, name)
			}
			cmpMod = name
			m.cmp = map[string]cmpOp{"lt": cmpLT, "lte": cmpLTE, "gt": cmpGT, "gte": cmpGTE}[canon]
		case "minute", "hour", "day", "week", "month", "year":
			if timeMod != "" {
				return m, fmt.Sprintf("modifiers %q and %q cannot be combined", timeMod, name)
			}
			timeMod = name
			m.time = map[string]timePart{"minute": tpMinute, "hour": tpHour, "day": tpDay, "week": tpWeek, "month": tpMonth, "year": tpYear}[canon]
		case "expand":
			m.expand = true
		case "fieldref":
			m.fieldref = true
		case "base64":
			m.transforms = append(m.transforms, trBase64)
		case "base64offset":
			m.transforms = append(m.transforms, trBase64Offset)
		case "utf16le":
			m.transforms = append(m.transforms, trUTF16LE)
		case "utf16be":
			m.transforms = append(m.transforms, trUTF16BE)
		case "utf16":
			m.transforms = append(m.transforms, trUTF16)
		case "windash":
			m.transforms = append(m.transforms, trWindash)
		default:
			return m, fmt.Sprintf("unknown modifier %q", name)
		}
	}
	if seen["base64"] && seen["base64offset"] {
		return m, "modifiers \"base64\" and \"base64offset\" cannot be combined"
	}
	if n := btoi(seen["utf16le"]) + btoi(seen["utf16be"]) + btoi(seen["utf16"]); n > 1 {
		return m, "only one of the utf16, utf16le, utf16be and wide modifiers can be given"
	}
	// The modifiers that change what a value is must stand without those
	// that would not apply to it.
	others := func(allowed ...string) string {
		for _, name := range mods {
			ok := false
			for _, a := range allowed {
				if name == a {
					ok = true
				}
			}
			if !ok {
				return name
			}
		}
		return ""
	}
	switch {
	case m.exists:
		if o := others("exists"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with exists", o)
		}
	case m.re:
		if o := others("re", "i", "m", "s", "ignorecase", "multiline", "dotall", "all", "neq", "cased"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with re (a regular expression already matches anywhere unless anchored with ^ or $)", o)
		}
	case m.cidr:
		if o := others("cidr", "all", "neq", "expand"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with cidr", o)
		}
	case m.time != tpNone:
		if o := others(timeMod, "lt", "lte", "gt", "gte", "all", "neq"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with %s", o, timeMod)
		}
		if m.neq && m.cmp != cmpNone {
			return m, fmt.Sprintf("modifiers \"neq\" and %q cannot be combined", cmpMod)
		}
	case m.cmp != cmpNone:
		if o := others(cmpMod, "all"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with %s", o, cmpMod)
		}
	case m.fieldref:
		if o := others("fieldref", "contains", "startswith", "endswith", "cased", "neq", "all"); o != "" {
			return m, fmt.Sprintf("modifier %q cannot be combined with fieldref", o)
		}
	}
	return m, ""
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// checkFieldMatch validates a field match as far as it can be without a
// resolver and options: modifiers, value types, regular expressions,
// networks, encodings. It is used at load time; Compile repeats it.
func checkFieldMatch(fm *FieldMatch) (modSpec, string) {
	m, msg := parseMods(fm.Modifiers)
	if msg != "" {
		return m, msg
	}
	if len(fm.Values) == 0 {
		return m, "no values"
	}
	if fm.Field == "" {
		switch {
		case m.exists:
			return m, "exists needs a field name"
		case m.fieldref:
			return m, "fieldref needs a field name"
		}
	}
	if m.exists && (len(fm.Values) != 1 || fm.Values[0].Kind != Bool) {
		return m, "exists takes one value, true or false"
	}
	if fm.Field == "" && m.str == kEqual && !m.re && !m.cidr && m.cmp == cmpNone && m.time == tpNone {
		m.str = kContains // keywords are searched anywhere in the text
	}
	for i := range fm.Values {
		if _, err := valuePatterns(&fm.Values[i], &m, nil); err != "" {
			return m, err
		}
	}
	return m, ""
}

// A pattern is a value ready for comparison: literal text with * and ?
// wildcards (parts), or a compiled special form.
type part struct {
	wild byte // 0 for literal text, '*' or '?'
	lit  string
}

// parseSigmaString splits a Sigma string into literal text and wildcards,
// resolving the escapes \*, \? and \\ (a backslash before any other
// character is itself).
func parseSigmaString(s string) []part {
	var parts []part
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			parts = append(parts, part{lit: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				b.WriteByte(s[i+1])
				i++
			} else {
				b.WriteByte('\\')
			}
		case '*', '?':
			flush()
			parts = append(parts, part{wild: c})
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return parts
}

// normalize merges adjacent literals and runs of *.
func normalize(ps []part) []part {
	out := ps[:0:0]
	for _, p := range ps {
		if p.wild == 0 && p.lit == "" {
			continue
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if p.wild == 0 && last.wild == 0 {
				last.lit += p.lit
				continue
			}
			if p.wild == '*' && last.wild == '*' {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func hasWildcards(ps []part) bool {
	for _, p := range ps {
		if p.wild != 0 {
			return true
		}
	}
	return false
}

func literal(ps []part) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.lit)
	}
	return b.String()
}

// maxVariants bounds how many patterns one value may expand to (windash,
// base64offset, placeholders).
const maxVariants = 4096

// valuePatterns turns one rule value into its string patterns, applying
// placeholder expansion, escapes, the transformations in order and the
// contains/startswith/endswith wildcards. placeholders nil means "check
// only": placeholders are replaced by a dummy. It is only for string
// comparisons; other kinds of values are validated and return nil.
func valuePatterns(v *Value, m *modSpec, placeholders map[string][]string) ([][]part, string) {
	switch {
	case m.exists:
		return nil, ""
	case v.Kind == Null:
		if !m.plain() || m.fieldref {
			return nil, "null can only be compared plainly (with no modifier but cased, all or neq)"
		}
		return nil, ""
	case m.cmp != cmpNone || m.time != tpNone:
		if _, ok := parseNum(v.S); !ok || v.Kind == Bool {
			return nil, fmt.Sprintf("%q is not a number", v.S)
		}
		return nil, ""
	case m.cidr:
		_, msg := cidrValues(v.S, m, placeholders)
		return nil, msg
	case m.re:
		if _, err := compileRegexp(v.S, m.reFlags); err != nil {
			return nil, err.Error()
		}
		return nil, ""
	case m.fieldref:
		if v.Kind != String || v.S == "" || hasWildcards(parseSigmaString(v.S)) {
			return nil, fmt.Sprintf("%q is not a field name (a string without wildcards)", v.S)
		}
		return nil, ""
	}
	raws := []string{v.S}
	if m.expand {
		var msg string
		raws, msg = expandPlaceholders(v.S, placeholders)
		if msg != "" {
			return nil, msg
		}
	}
	var out [][]part
	for _, raw := range raws {
		variants := [][]part{parseSigmaString(raw)}
		for _, t := range m.transforms {
			var next [][]part
			for _, ps := range variants {
				vs, msg := applyTransform(t, ps)
				if msg != "" {
					return nil, msg
				}
				next = append(next, vs...)
				if len(next)+len(out) > maxVariants {
					return nil, fmt.Sprintf("the value %q expands to more than %d patterns", v.S, maxVariants)
				}
			}
			variants = next
		}
		out = append(out, variants...)
	}
	for i, ps := range out {
		if m.str == kContains || m.str == kEndswith {
			ps = append([]part{{wild: '*'}}, ps...)
		}
		if m.str == kContains || m.str == kStartswith {
			ps = append(ps, part{wild: '*'})
		}
		out[i] = normalize(ps)
	}
	return out, ""
}

// cidrValues parses a cidr value, or with expand the networks its
// placeholders give (placeholders nil: only the syntax is checked).
func cidrValues(s string, m *modSpec, placeholders map[string][]string) ([]netip.Prefix, string) {
	raws := []string{s}
	if m.expand {
		var msg string
		if raws, msg = expandPlaceholders(s, placeholders); msg != "" || placeholders == nil {
			return nil, msg
		}
	}
	var out []netip.Prefix
	for _, raw := range raws {
		p, err := parseCIDR(raw)
		if err != nil {
			return nil, fmt.Sprintf("%q is not an IPv4 or IPv6 network: %v", raw, err)
		}
		out = append(out, p)
	}
	return out, ""
}

// expandPlaceholders replaces each %name% with each of the placeholder's
// values (every combination when there are several placeholders). \%
// stands for a plain percent sign. placeholders nil only checks syntax.
func expandPlaceholders(s string, placeholders map[string][]string) ([]string, string) {
	results := []string{""}
	var lit strings.Builder
	addLit := func() {
		if lit.Len() > 0 {
			for i := range results {
				results[i] += lit.String()
			}
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && s[i+1] == '%':
			lit.WriteByte('%')
			i++
		case c == '\\' && i+1 < len(s) && (s[i+1] == '\\' || s[i+1] == '*' || s[i+1] == '?'):
			lit.WriteString(s[i : i+2]) // keep Sigma escapes for later
			i++
		case c == '%':
			end := strings.IndexByte(s[i+1:], '%')
			if end < 0 {
				return nil, fmt.Sprintf("unterminated placeholder in %q (write \\%% for a plain percent sign)", s)
			}
			name := s[i+1 : i+1+end]
			if name == "" {
				return nil, fmt.Sprintf("empty placeholder name in %q", s)
			}
			i += end + 1
			addLit()
			var vals []string
			if placeholders == nil {
				vals = []string{"x"}
			} else {
				vals = placeholders[name]
				if len(vals) == 0 {
					return nil, fmt.Sprintf("placeholder %%%s%% has no values (Options.Placeholders)", name)
				}
			}
			if len(results)*len(vals) > maxVariants {
				return nil, fmt.Sprintf("%q expands to more than %d values", s, maxVariants)
			}
			next := make([]string, 0, len(results)*len(vals))
			for _, r := range results {
				for _, v := range vals {
					next = append(next, r+v)
				}
			}
			results = next
		default:
			lit.WriteByte(c)
		}
	}
	addLit()
	return results, ""
}

// windashes are the characters windash makes interchangeable.
var windashes = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

func applyTransform(t transform, ps []part) ([][]part, string) {
	switch t {
	case trBase64, trBase64Offset:
		if hasWildcards(ps) {
			return nil, "base64 encoding of a value with wildcards is not possible (escape them with \\ if they are literal)"
		}
		raw := literal(ps)
		if t == trBase64Offset && len(raw) < 2 {
			return nil, fmt.Sprintf("base64offset needs a value of at least two bytes, not %q", raw)
		}
		if t == trBase64 {
			return [][]part{{{lit: base64.StdEncoding.EncodeToString([]byte(raw))}}}, ""
		}
		var out [][]part
		for _, s := range base64Offsets(raw) {
			out = append(out, []part{{lit: s}})
		}
		return out, ""
	case trUTF16LE, trUTF16BE, trUTF16:
		out := make([]part, 0, len(ps)+1)
		if t == trUTF16 {
			out = append(out, part{lit: "\xff\xfe"})
		}
		for _, p := range ps {
			switch p.wild {
			case '?':
				return nil, "utf16 encoding of a value with the ? wildcard is not supported"
			case '*':
				out = append(out, p)
			default:
				out = append(out, part{lit: encodeUTF16(p.lit, t == trUTF16BE)})
			}
		}
		return [][]part{out}, ""
	case trWindash:
		variants := [][]part{nil}
		for _, p := range ps {
			if p.wild != 0 {
				for i := range variants {
					variants[i] = append(variants[i], p)
				}
				continue
			}
			// Split the literal at each dash-like character.
			segs := []string{""}
			s := p.lit
			for len(s) > 0 {
				d := ""
				for _, w := range windashes {
					if strings.HasPrefix(s, w) {
						d = w
						break
					}
				}
				if d == "" {
					_, size := utf8.DecodeRuneInString(s)
					segs[len(segs)-1] += s[:size]
					s = s[size:]
					continue
				}
				segs = append(segs, "")
				s = s[len(d):]
			}
			for k, seg := range segs {
				if k > 0 {
					if len(variants)*len(windashes) > maxVariants {
						return nil, fmt.Sprintf("windash: too many dashes (more than %d variants)", maxVariants)
					}
					next := make([][]part, 0, len(variants)*len(windashes))
					for _, v := range variants {
						for _, w := range windashes {
							nv := append(append([]part(nil), v...), part{lit: w})
							next = append(next, nv)
						}
					}
					variants = next
				}
				if seg != "" {
					for i := range variants {
						variants[i] = append(variants[i], part{lit: seg})
					}
				}
			}
		}
		for i := range variants {
			variants[i] = normalize(variants[i])
		}
		return variants, ""
	}
	return [][]part{ps}, ""
}

// base64Offsets returns the three forms s takes inside a longer base64
// text, depending on its offset modulo 3: the characters that also depend
// on the neighbouring bytes are cut off.
func base64Offsets(s string) []string {
	var out []string
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), s...))
		start := [3]int{0, 2, 3}[shift]
		end := len(enc)
		switch (len(s) + shift) % 3 {
		case 1:
			end -= 3 // one byte: two characters, the second partial, and ==
		case 2:
			end -= 2 // two bytes: three characters, the third partial, and =
		}
		if start < end {
			out = append(out, enc[start:end])
		}
	}
	return out
}

func encodeUTF16(s string, bigEndian bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u))
	for _, c := range u {
		if bigEndian {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

// parseCIDR reads a network; a bare address is a network of one.
func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// compileRegexp compiles a Sigma regular expression with Go's RE2 syntax;
// PCRE-only constructs (lookaround, backreferences, possessive
// quantifiers...) are errors.
func compileRegexp(s, flags string) (*regexp.Regexp, error) {
	expr := s
	if flags != "" {
		expr = "(?" + flags + ")" + s
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a regular expression Go's RE2 engine accepts: %v", s, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}
