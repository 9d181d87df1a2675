package sigma

import (
	"regexp"
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
