package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
)

// ruleWith builds a rule whose selection "sel" is the given YAML (indented
// by the caller's lines as written), with condition "sel".
func ruleWith(sel string) string {
	var b strings.Builder
	b.WriteString("title: test\nid: test-rule\nlogsource:\n    product: test\ndetection:\n    sel:\n")
	for _, l := range strings.Split(strings.TrimRight(sel, "\n"), "\n") {
		b.WriteString("        " + l + "\n")
	}
	b.WriteString("    condition: sel\n")
	return b.String()
}

func compileText(t *testing.T, text string, opt Options) *Matcher[doc] {
	t.Helper()
	rs, errs := ParseFile("t.yml", []byte(text))
	if len(errs) > 0 {
		t.Fatalf("load:\n%s\nerrors: %v", text, errs)
	}
	if len(rs) != 1 {
		t.Fatalf("want 1 rule, got %d", len(rs))
	}
	m, err := Compile[doc](rs[0], anyResolver{}, opt)
	if err != nil {
		t.Fatalf("compile:\n%s\nerror: %v", text, err)
	}
	return m
}

type matchCase struct {
	name string
	sel  string // the selection's YAML
	doc  doc
	want bool
}

var b64 = func(s string) string { return s } // readability in the table

// modifierCases is the specification-level table: every modifier and value
// form, matching and not matching.
var modifierCases = []matchCase{
	// Plain equality, case-insensitive, wildcards and escapes.
	{"equal", "f: abc", doc{"f": str("abc")}, true},
	{"equal case", "f: abc", doc{"f": str("ABC")}, true},
	{"equal unicode case", "f: ÄBÇ", doc{"f": str("äbç")}, true},
	{"equal differs", "f: abc", doc{"f": str("abcd")}, false},
	{"equal absent", "f: abc", doc{}, false},
	{"equal null field", "f: abc", doc{"f": null}, false},
	{"star", "f: 'a*c'", doc{"f": str("aXYZc")}, true},
	{"star empty", "f: 'a*c'", doc{"f": str("ac")}, true},
	{"star no", "f: 'a*c'", doc{"f": str("aXYZ")}, false},
	{"question", "f: 'a?c'", doc{"f": str("abc")}, true},
	{"question unicode", "f: 'a?c'", doc{"f": str("aéc")}, true},
	{"question needs one", "f: 'a?c'", doc{"f": str("ac")}, false},
	{"question not two", "f: 'a?c'", doc{"f": str("abbc")}, false},
	{"glob complex", "f: '*a?c*d'", doc{"f": str("xxaxcyyD")}, true},
	{"glob complex backtrack", "f: '*ab*abc'", doc{"f": str("abxababc")}, true},
	{"glob complex no", "f: '*ab*abc'", doc{"f": str("abxabab")}, false},
	{"escaped star", `f: 'a\*c'`, doc{"f": str("a*c")}, true},
	{"escaped star literal only", `f: 'a\*c'`, doc{"f": str("abc")}, false},
	{"escaped question", `f: 'a\?c'`, doc{"f": str("a?c")}, true},
	{"escaped question literal only", `f: 'a\?c'`, doc{"f": str("abc")}, false},
	{"single backslash", `f: 'C:\Windows\x'`, doc{"f": str(`c:\windows\X`)}, true},
	{"double backslash", `f: 'C:\\Windows'`, doc{"f": str(`C:\Windows`)}, true},
	{"backslash then wildcard", `f: 'C:\\*'`, doc{"f": str(`C:\anything`)}, true},
	{"backslash then wildcard needs backslash", `f: 'C:\\*'`, doc{"f": str(`C:anything`)}, false},
	{"three backslashes and star", `f: 'a\\\*'`, doc{"f": str(`a\*`)}, true},
	{"three backslashes and star literal", `f: 'a\\\*'`, doc{"f": str(`a\xyz`)}, false},
	{"four backslashes", `f: 'a\\\\b'`, doc{"f": str(`a\\b`)}, true},
	{"trailing backslash", `f: 'dir\'`, doc{"f": str(`DIR\`)}, true},
	{"value list is or", "f: [a, b]", doc{"f": str("b")}, true},
	{"value list none", "f: [a, b]", doc{"f": str("c")}, false},
	{"empty string", "f: ''", doc{"f": str("")}, true},
	{"empty string null", "f: ''", doc{"f": null}, true},
	{"empty string absent", "f: ''", doc{}, false},
	{"empty string not text", "f: ''", doc{"f": str("x")}, false},
	{"star any", "f: '*'", doc{"f": str("anything")}, true},
	{"star not absent", "f: '*'", doc{}, false},
	{"map is and", "f: a\ng: b", doc{"f": str("a"), "g": str("b")}, true},
	{"map is and no", "f: a\ng: b", doc{"f": str("a"), "g": str("c")}, false},
	{"list of maps is or", "- f: a\n- g: b", doc{"g": str("b")}, true},
	{"list of maps none", "- f: a\n- g: b", doc{"g": str("a")}, false},

	// Null.
	{"null absent", "f: null", doc{}, true},
	{"null null", "f: null", doc{"f": null}, true},
	{"null not value", "f: null", doc{"f": str("x")}, false},
	{"null not empty string", "f: null", doc{"f": str("")}, false},
	{"null in list", "f: [null, a]", doc{"f": str("a")}, true},
	{"null tilde", "f: ~", doc{}, true},
	{"null empty list field", "f: null", doc{"f": list()}, true},

	// Numbers and booleans.
	{"number number", "f: 4624", doc{"f": num(4624)}, true},
	{"number other", "f: 4624", doc{"f": num(4625)}, false},
	{"number string", "f: 4624", doc{"f": str("4624")}, true},
	{"number string value", "f: 4624", doc{"f": str("4624.0")}, true},
	{"number string no", "f: 4624", doc{"f": str("4624x")}, false},
	{"number float", "f: 1.5", doc{"f": num(1.5)}, true},
	{"number hex", "f: 0x17", doc{"f": num(23)}, true},
	{"number hex text", "f: 0x17", doc{"f": str("0x17")}, true},
	{"quoted number string", "f: '4624'", doc{"f": num(4624)}, true},
	{"number list", "f: [1, 2, 3]", doc{"f": num(2)}, true},
	{"bool", "f: true", doc{"f": boolean(true)}, true},
	{"bool string", "f: true", doc{"f": str("True")}, true},
	{"bool false", "f: false", doc{"f": boolean(true)}, false},

	// Lists in events.
	{"list field any", "f: b", doc{"f": list(str("a"), str("b"))}, true},
	{"list field none", "f: c", doc{"f": list(str("a"), str("b"))}, false},
	{"list field contains", "f|contains: x", doc{"f": list(str("a"), str("yxy"))}, true},
	{"list field number", "f: 3", doc{"f": list(num(1), num(3))}, true},
	{"list field all", "f|all: [a, b]", doc{"f": list(str("a"), str("b"))}, true},
	{"list field all missing", "f|all: [a, c]", doc{"f": list(str("a"), str("b"))}, false},

	// contains / startswith / endswith.
	{"contains", "f|contains: bc", doc{"f": str("aBCd")}, true},
	{"contains no", "f|contains: bd", doc{"f": str("abcd")}, false},
	{"contains empty", "f|contains: ''", doc{"f": str("x")}, true},
	{"contains with wildcard", "f|contains: 'b*d'", doc{"f": str("abxxde")}, true},
	{"contains with question", "f|contains: 'b?d'", doc{"f": str("abxde")}, true},
	{"contains with question no", "f|contains: 'b?d'", doc{"f": str("abxxde")}, false},
	{"contains unicode", "f|contains: 'STRASSE'", doc{"f": str("eine straße strasse")}, true},
	{"contains unicode fold", "f|contains: 'ΣΑΣ'", doc{"f": str("xσασy")}, true},
	{"contains number field", "f|contains: 62", doc{"f": num(4624)}, true},
	{"startswith", "f|startswith: ab", doc{"f": str("ABc")}, true},
	{"startswith no", "f|startswith: bc", doc{"f": str("abc")}, false},
	{"startswith wildcard", "f|startswith: 'a?c'", doc{"f": str("abcdef")}, true},
	{"endswith", "f|endswith: '\\cmd.exe'", doc{"f": str(`C:\Windows\System32\CMD.EXE`)}, true},
	{"endswith no", "f|endswith: '\\cmd.exe'", doc{"f": str(`C:\Windows\System32\xcmd.exe`)}, false},
	{"endswith star", "f|endswith: '*.exe'", doc{"f": str("a.exe")}, true},
	{"contains all", "f|contains|all: [a, b]", doc{"f": str("xbxa")}, true},
	{"contains all missing", "f|contains|all: [a, b]", doc{"f": str("xxa")}, false},
	{"all single value", "f|contains|all: a", doc{"f": str("xa")}, true},
	{"contains many", "f|contains: [alpha, beta, gamma, delta, epsilon]", doc{"f": str("xxEPSILONxx")}, true},
	{"contains many no", "f|contains: [alpha, beta, gamma, delta, epsilon]", doc{"f": str("xxepsilxx")}, false},
	{"startswith many", "f|startswith: [a1, b2, c3, d4, e5, f6, g7, h8]", doc{"f": str("G7xyz")}, true},
	{"startswith many no", "f|startswith: [a1, b2, c3, d4, e5, f6, g7, h8]", doc{"f": str("xg7")}, false},
	{"endswith many", "f|endswith: [a1, b2, c3, d4, e5, f6, g7, h8]", doc{"f": str("xyzH8")}, true},
	{"endswith many no", "f|endswith: [a1, b2, c3, d4, e5, f6, g7, h8]", doc{"f": str("h8x")}, false},
	{"equal many", "f: [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13]", doc{"f": str("V12")}, true},
	{"equal many no", "f: [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13]", doc{"f": str("v14")}, false},
	{"equal many prefix only", "f: [v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13]", doc{"f": str("v1x")}, false},

	// cased.
	{"cased", "f|cased: Abc", doc{"f": str("Abc")}, true},
	{"cased no", "f|cased: Abc", doc{"f": str("abc")}, false},
	{"cased contains", "f|contains|cased: Bc", doc{"f": str("aBcd")}, true},
	{"cased contains no", "f|contains|cased: Bc", doc{"f": str("abcd")}, false},
	{"cased many", "f|contains|cased: [Aa, Bb, Cc, Dd]", doc{"f": str("xxDdxx")}, true},
	{"cased many no", "f|contains|cased: [Aa, Bb, Cc, Dd]", doc{"f": str("xxddxx")}, false},

	// exists.
	{"exists true", "f|exists: true", doc{"f": str("x")}, true},
	{"exists true null", "f|exists: true", doc{"f": null}, true},
	{"exists true absent", "f|exists: true", doc{}, false},
	{"exists false", "f|exists: false", doc{}, true},
	{"exists false present", "f|exists: false", doc{"f": str("")}, false},

	// neq.
	{"neq", "f|neq: a", doc{"f": str("b")}, true},
	{"neq equal", "f|neq: a", doc{"f": str("A")}, false},
	{"neq absent", "f|neq: a", doc{}, false},
	{"neq list", "f|neq: [a, b]", doc{"f": str("c")}, true},
	{"neq list one of", "f|neq: [a, b]", doc{"f": str("b")}, false},
	{"neq number", "f|neq: 5", doc{"f": num(6)}, true},
	{"neq number equal", "f|neq: 5", doc{"f": num(5)}, false},
	{"neq null", "f|neq: null", doc{"f": str("x")}, true},
	{"neq null null", "f|neq: null", doc{"f": null}, false},
	{"neq contains", "f|contains|neq: x", doc{"f": str("abc")}, true},
	{"neq contains no", "f|contains|neq: x", doc{"f": str("axc")}, false},

	// re.
	{"re", `f|re: '^a.c$'`, doc{"f": str("abc")}, true},
	{"re anywhere", `f|re: 'b+'`, doc{"f": str("abbc")}, true},
	{"re case-sensitive", `f|re: '^A'`, doc{"f": str("abc")}, false},
	{"re i", `f|re|i: '^A'`, doc{"f": str("abc")}, true},
	{"re m", `f|re|m: '^b$'`, doc{"f": str("a\nb\nc")}, true},
	{"re no m", `f|re: '^b$'`, doc{"f": str("a\nb\nc")}, false},
	{"re s", `f|re|s: 'a.b'`, doc{"f": str("a\nb")}, true},
	{"re no s", `f|re: 'a.b'`, doc{"f": str("a\nb")}, false},
	{"re flags combined", `f|re|i|s: 'A.B'`, doc{"f": str("a\nb")}, true},
	{"re number field", `f|re: '^46'`, doc{"f": num(4624)}, true},
	{"re repetition", `f|re: '(.){5,}'`, doc{"f": str("abcd")}, false},
	{"re all", "f|re|all: ['a', 'b']", doc{"f": str("ab")}, true},
	{"re all no", "f|re|all: ['a', 'b']", doc{"f": str("a")}, false},

	// base64 / base64offset.
	{"base64", "f|base64: 'hello'", doc{"f": str(b64("aGVsbG8="))}, true},
	{"base64 case-sensitive", "f|base64: 'hello'", doc{"f": str("AGVSBG8=")}, false},
	{"base64 contains", "f|base64|contains: 'hello'", doc{"f": str("xxaGVsbG8=yy")}, true},
	// "hello" inside longer text at offsets 0, 1 and 2:
	// base64("hello world") = aGVsbG8gd29ybGQ=, base64("xhello") = eGhlbGxv,
	// base64("xxhello") = eHhoZWxsbw==.
	{"base64offset 0", "f|base64offset|contains: 'hello'", doc{"f": str("aGVsbG8gd29ybGQ=")}, true},
	{"base64offset 1", "f|base64offset|contains: 'hello'", doc{"f": str("eGhlbGxv")}, true},
	{"base64offset 2", "f|base64offset|contains: 'hello'", doc{"f": str("eHhoZWxsbw==")}, true},
	{"base64offset no", "f|base64offset|contains: 'hello'", doc{"f": str("aGVscG8gd29ybGQ=")}, false},
	{"base64offset no other text", "f|base64offset|contains: 'hello'", doc{"f": str("aGVsbA==")}, false},

	// utf16 and wide, alone and with base64offset.
	{"utf16le", "f|utf16le: 'cmd'", doc{"f": str("c\x00m\x00d\x00")}, true},
	{"wide", "f|wide: 'cmd'", doc{"f": str("c\x00m\x00d\x00")}, true},
	{"utf16be", "f|utf16be: 'cmd'", doc{"f": str("\x00c\x00m\x00d")}, true},
	{"utf16 bom", "f|utf16: 'cmd'", doc{"f": str("\xff\xfec\x00m\x00d\x00")}, true},
	{"utf16le not be", "f|utf16le: 'cmd'", doc{"f": str("\x00c\x00m\x00d")}, false},
	// base64 of UTF-16LE "ping" is cABpAG4AZwA=; inside "x ping": eAAgAHAAaQBuAGcA
	{"wide base64offset", "f|wide|base64offset|contains: 'ping'", doc{"f": str("cABpAG4AZwA=")}, true},
	{"wide base64offset shifted", "f|wide|base64offset|contains: 'ping'", doc{"f": str("eAAgAHAAaQBuAGcA")}, true},
	{"utf16be base64", "f|utf16be|base64: 'a'", doc{"f": str("AGE=")}, true},

	// windash.
	{"windash dash", "f|windash|contains: ' -enc '", doc{"f": str("x -enc y")}, true},
	{"windash slash", "f|windash|contains: ' -enc '", doc{"f": str("x /enc y")}, true},
	{"windash en dash", "f|windash|contains: ' -enc '", doc{"f": str("x \u2013enc y")}, true},
	{"windash em dash", "f|windash|contains: ' -enc '", doc{"f": str("x \u2014enc y")}, true},
	{"windash horizontal bar", "f|windash|contains: ' -enc '", doc{"f": str("x \u2015enc y")}, true},
	{"windash other", "f|windash|contains: ' -enc '", doc{"f": str("x +enc y")}, false},
	{"windash from slash", "f|windash: '/c'", doc{"f": str("-c")}, true},
	{"windash two", "f|windash|contains|all: ['-a', '-b']", doc{"f": str("/a \u2013b")}, true},
	{"windash two positions", "f|windash: '-a -b'", doc{"f": str("/a \u2014b")}, true},

	// cidr.
	{"cidr v4", "f|cidr: 10.0.0.0/8", doc{"f": str("10.1.2.3")}, true},
	{"cidr v4 no", "f|cidr: 10.0.0.0/8", doc{"f": str("11.1.2.3")}, false},
	{"cidr v4 single", "f|cidr: 192.168.1.1", doc{"f": str("192.168.1.1")}, true},
	{"cidr v4 unmasked", "f|cidr: 192.168.1.77/24", doc{"f": str("192.168.1.1")}, true},
	{"cidr v4 mapped", "f|cidr: 10.0.0.0/8", doc{"f": str("::ffff:10.0.0.1")}, true},
	{"cidr v6", "f|cidr: '2001:db8::/32'", doc{"f": str("2001:db8:1::1")}, true},
	{"cidr v6 no", "f|cidr: '2001:db8::/32'", doc{"f": str("2001:db9::1")}, false},
	{"cidr v6 zone", "f|cidr: 'fe80::/10'", doc{"f": str("fe80::1%eth0")}, true},
	{"cidr v6 vs v4", "f|cidr: '::/0'", doc{"f": str("10.0.0.1")}, false},
	{"cidr list", "f|cidr: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]", doc{"f": str("172.20.0.1")}, true},
	{"cidr not ip", "f|cidr: 10.0.0.0/8", doc{"f": str("10.example")}, false},
	{"cidr leading zero", "f|cidr: 10.0.0.0/8", doc{"f": str("010.0.0.1")}, false},
	{"cidr neq", "f|cidr|neq: 10.0.0.0/8", doc{"f": str("8.8.8.8")}, true},

	// lt, lte, gt, gte.
	{"lt", "f|lt: 10", doc{"f": num(9)}, true},
	{"lt equal", "f|lt: 10", doc{"f": num(10)}, false},
	{"lte", "f|lte: 10", doc{"f": num(10)}, true},
	{"gt", "f|gt: 10", doc{"f": num(10.5)}, true},
	{"gt no", "f|gt: 10", doc{"f": num(10)}, false},
	{"gte", "f|gte: 10", doc{"f": num(10)}, true},
	{"gte string field", "f|gte: 10", doc{"f": str("12")}, true},
	{"gte text field", "f|gte: 10", doc{"f": str("twelve")}, false},
	{"gt absent", "f|gt: 10", doc{}, false},
	{"gt float", "f|gt: 0.5", doc{"f": num(0.75)}, true},
	{"gt negative", "f|gt: -5", doc{"f": str("-4")}, true},
	{"lt list field", "f|lt: 3", doc{"f": list(num(5), num(2))}, true},

	// Time parts.
	{"hour", "f|hour: 3", doc{"f": str("2024-05-06T03:04:05Z")}, true},
	{"hour no", "f|hour: 4", doc{"f": str("2024-05-06T03:04:05Z")}, false},
	{"hour gte", "f|hour|gte: 22", doc{"f": str("2024-05-06T23:04:05Z")}, true},
	{"minute", "f|minute: 4", doc{"f": str("2024-05-06 03:04:05")}, true},
	{"day", "f|day: 6", doc{"f": str("2024-05-06T03:04:05Z")}, true},
	{"month", "f|month: 5", doc{"f": str("2024-05-06")}, true},
	{"year", "f|year: 2024", doc{"f": str("2024-05-06T03:04:05Z")}, true},
	{"week", "f|week: 19", doc{"f": str("2024-05-06T03:04:05Z")}, true},
	{"hour epoch", "f|hour: 0", doc{"f": num(86400)}, true},
	{"hour epoch ms", "f|hour: 1", doc{"f": num(1e12)}, true},
	{"hour not time", "f|hour: 3", doc{"f": str("03")}, false},

	// fieldref.
	{"fieldref", "f|fieldref: g", doc{"f": str("abc"), "g": str("ABC")}, true},
	{"fieldref differs", "f|fieldref: g", doc{"f": str("abc"), "g": str("abd")}, false},
	{"fieldref absent", "f|fieldref: g", doc{"f": str("abc")}, false},
	{"fieldref numbers", "f|fieldref: g", doc{"f": num(3), "g": num(3)}, true},
	{"fieldref cased", "f|fieldref|cased: g", doc{"f": str("abc"), "g": str("ABC")}, false},
	{"fieldref contains", "f|fieldref|contains: g", doc{"f": str("xxABCxx"), "g": str("abc")}, true},
	{"fieldref startswith", "f|fieldref|startswith: g", doc{"f": str("abcxx"), "g": str("abc")}, true},
	{"fieldref endswith", "f|fieldref|endswith: g", doc{"f": str("abcxx"), "g": str("abc")}, false},
	{"fieldref neq", "f|fieldref|neq: g", doc{"f": str("a"), "g": str("b")}, true},
	{"fieldref neq equal", "f|fieldref|neq: g", doc{"f": str("a"), "g": str("a")}, false},
	{"fieldref list", "f|fieldref: g", doc{"f": list(str("x"), str("y")), "g": str("y")}, true},

	// Keywords.
	{"keyword", "- evil", doc{"_raw": str("an EVIL thing")}, true},
	{"keyword list", "- foo\n- evil", doc{"_raw": str("an evil thing")}, true},
	{"keyword no", "- evil", doc{"_raw": str("a good thing")}, false},
	{"keyword wildcard", "- 'ev*il'", doc{"_raw": str("an evXXil thing")}, true},
	{"keyword all", "'|all':\n    - foo\n    - bar", doc{"_raw": str("bar foo")}, true},
	{"keyword all missing", "'|all':\n    - foo\n    - bar", doc{"_raw": str("bar")}, false},
	{"keyword scalar", "evil", doc{"_raw": str("so evil")}, true},
}

func TestModifiers(t *testing.T) {
	for _, c := range modifierCases {
		t.Run(c.name, func(t *testing.T) {
			m := compileText(t, ruleWith(c.sel), Options{})
			if got := m.Match(c.doc); got != c.want {
				t.Errorf("%s\n%v: got %v, want %v", c.sel, c.doc, got, c.want)
			}
		})
	}
}

func TestExpand(t *testing.T) {
	opt := Options{Placeholders: map[string][]string{
		"Admins":  {"root", "adm*"},
		"Servers": {"srv1", "srv2"},
		"Nets":    {"10.0.0.0/8", "2001:db8::/32", "198.51.100.7"},
	}}
	cases := []matchCase{
		{"placeholder", "u|expand: '%Admins%'", doc{"u": str("ROOT")}, true},
		{"placeholder wildcard value", "u|expand: '%Admins%'", doc{"u": str("admin7")}, true},
		{"placeholder no", "u|expand: '%Admins%'", doc{"u": str("bob")}, false},
		{"placeholder in text", "u|expand: 'CORP\\\\%Admins%'", doc{"u": str(`corp\root`)}, true},
		{"two placeholders", "u|expand: '%Admins%@%Servers%'", doc{"u": str("root@srv2")}, true},
		{"two placeholders no", "u|expand: '%Admins%@%Servers%'", doc{"u": str("root@srv3")}, false},
		{"escaped percent", "u|expand: '\\%Admins\\%'", doc{"u": str("%Admins%")}, true},
		{"contains", "u|expand|contains: '%Servers%'", doc{"u": str("xxSRV1xx")}, true},
		{"no expand is literal", "u: '%Admins%'", doc{"u": str("%admins%")}, true},
		{"no expand is literal no", "u: '%Admins%'", doc{"u": str("root")}, false},
		{"cidr networks", "u|expand|cidr: '%Nets%'", doc{"u": str("10.1.2.3")}, true},
		{"cidr networks v6", "u|cidr|expand: '%Nets%'", doc{"u": str("2001:db8::1")}, true},
		{"cidr address", "u|expand|cidr: '%Nets%'", doc{"u": str("198.51.100.7")}, true},
		{"cidr networks no", "u|expand|cidr: '%Nets%'", doc{"u": str("198.51.100.8")}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := compileText(t, ruleWith(c.sel), opt)
			if got := m.Match(c.doc); got != c.want {
				t.Errorf("%s\n%v: got %v, want %v", c.sel, c.doc, got, c.want)
			}
		})
	}
	// A placeholder without values fails compilation, naming it.
	rs, errs := ParseFile("t.yml", []byte(ruleWith("u|expand: '%Nobody%'")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	_, err := Compile[doc](rs[0], anyResolver{}, opt)
	if err == nil || !strings.Contains(err.Error(), "%Nobody%") || !strings.Contains(err.Error(), "t.yml:7:") {
		t.Errorf("unknown placeholder: got %v", err)
	}
	// A placeholder value that is not a network fails compilation.
	rs, errs = ParseFile("t.yml", []byte(ruleWith("u|expand|cidr: '%Admins%'")))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, err := Compile[doc](rs[0], anyResolver{}, opt); err == nil || !strings.Contains(err.Error(), "not an IPv4 or IPv6 network") {
		t.Errorf("placeholder of names as networks: got %v", err)
	}
}

func TestBase64Offsets(t *testing.T) {
	// Each form must occur in the encoding of the value at its offset, for
	// every length modulo 3.
	for _, v := range []string{"ab", "abc", "abcd", "hello", "http://"} {
		forms := base64Offsets(v)
		for shift := 0; shift < 3; shift++ {
			for _, tail := range []string{"", "x", "yz"} {
				text := strings.Repeat("Q", shift) + v + tail
				enc := encodeStd(text)
				found := false
				for _, f := range forms {
					if strings.Contains(enc, f) {
						found = true
					}
				}
				if !found {
					t.Errorf("%q: none of %q in %q (base64 of %q)", v, forms, enc, text)
				}
			}
		}
	}
}

func encodeStd(s string) string { return base64Std.EncodeToString([]byte(s)) }

var base64Std = base64.StdEncoding
