package sigma

import (
	"regexp"
	"strings"
	"testing"
)

// TestRegexLiteral checks the literal prefilter never changes a result:
// for each expression and input, the prefiltered match equals the plain
// regular expression's.
func TestRegexLiteral(t *testing.T) {
	inputs := []string{
		"", "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1", "arn:aws:sts::1:assumed-role/dev/x",
		"ARN:AWS:STS::1:ASSUMED-ROLE/AWS:EC2/I", "artifacts.acme.appspot.com", "eu.artifacts.acme-prod.appspot.com",
		"p3.2xlarge", "Standard_NC6", "a2-highgpu-1g", "m5.large", "aaaab", "xyz",
	}
	for _, c := range []struct {
		expr, lit string
		fold      bool
	}{
		{`.+:assumed-role/aws:.+`, ":assumed-role/aws:", false},
		{`(?i).+:assumed-role/aws:.+`, ":assumed-role/aws:", true},
		{`^([a-z]+\.)?artifacts\.[a-z0-9.:-]+\.appspot\.com$`, ".appspot.com", false},
		{`(?i)^(p2|p3|g5)\.|(^|/)(a2|a3)-|^Standard_N[CDV]`, "", false},
		{`a+b`, "", false}, // runs of one letter are too short to pay
		{`(ab)*c`, "", false},
		{`x(yz){2,}`, "yz", false}, // the repeat's literal; the run "x" is shorter
	} {
		re := regexp.MustCompile(c.expr)
		r := newRegex(re)
		if r.lit != c.lit || (r.lit != "" && r.fold != c.fold) {
			t.Errorf("%s: literal %q fold %v, want %q %v", c.expr, r.lit, r.fold, c.lit, c.fold)
		}
		for _, in := range inputs {
			if got, want := r.match(in), re.MatchString(in); got != want {
				t.Errorf("%s on %q: %v, regexp says %v", c.expr, in, got, want)
			}
		}
	}
}

// TestContainsAt checks the search anchored on a rare byte against the
// plain substring tests, on texts built from the literal's pieces.
func TestContainsAt(t *testing.T) {
	for lit, at := range map[string]int{":assumed-role/aws:": 13, ".appspot.com": -1, "a/b": 1, "/": 0, "x@y/": 1, "ab": -1} {
		if got := rareByte(lit); got != at {
			t.Errorf("rareByte(%q) = %d, want %d", lit, got, at)
		}
	}
	pieces := []string{":", "assumed-role", "/", "aws", ":", "AWS", "x", "ASSUMED-ROLE", "arn:aws:sts::1", "//", "a"}
	seed := uint64(7)
	next := func(n int) int {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	for _, lit := range []string{":assumed-role/aws:", "/aws:", "role/", "/"} {
		at := rareByte(lit)
		for i := 0; i < 20000; i++ {
			var b strings.Builder
			for n := next(12); n > 0; n-- {
				b.WriteString(pieces[next(len(pieces))])
			}
			s := b.String()
			if got, want := containsAt(s, lit, at, false), strings.Contains(s, lit); got != want {
				t.Fatalf("containsAt(%q, %q) = %v, want %v", s, lit, got, want)
			}
			if got, want := containsAt(s, lit, at, true), containsFoldASCII(s, lit); got != want {
				t.Fatalf("containsAt(%q, %q) ignoring case = %v, want %v", s, lit, got, want)
			}
		}
	}
}
