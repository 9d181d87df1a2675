package sigma

import (
	"os"
	"strings"
	"testing"
)

// selfDoc builds a document from a rule's own values, so that matching it
// goes deep into the rule.
func selfDoc(r *Rule, first bool) doc {
	d := doc{"_raw": str("some text with nothing special")}
	for _, s := range r.Detection.Selections {
		for _, m := range s.Maps {
			for _, fm := range m {
				if fm.Field == "" || len(fm.Values) == 0 {
					continue
				}
				v := fm.Values[0]
				if !first {
					v = fm.Values[len(fm.Values)-1]
				}
				s := strings.NewReplacer("*", "x", "?", "y").Replace(v.S)
				d[fm.Field] = str("prefix " + s + " suffix")
				if first {
					d[fm.Field] = str(s)
				}
			}
		}
		for _, k := range s.Keywords {
			d["_raw"] = str("xx " + k.S + " yy")
		}
	}
	return d
}

// TestMatchDoesNotAllocate runs every corpus rule and every modifier case
// under testing.AllocsPerRun.
func TestMatchDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	var ms []*Matcher[doc]
	var docs []doc
	for _, c := range modifierCases {
		m := compileText(t, ruleWith(c.sel), Options{})
		ms = append(ms, m)
		docs = append(docs, c.doc)
	}
	for _, f := range corpusFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := ParseFile(f, data)
		for _, r := range rs {
			m, err := Compile[doc](r, anyResolver{}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m, m)
			docs = append(docs, selfDoc(r, true), selfDoc(r, false))
		}
	}
	matched := 0
	for i, m := range ms {
		d := docs[i]
		if m.Match(d) {
			matched++
		}
		if n := testing.AllocsPerRun(20, func() { m.Match(d) }); n != 0 {
			t.Errorf("%s: %v allocations per Match", m.Rule().Title, n)
		}
	}
	t.Logf("%d matchers checked, %d matched their document", len(ms), matched)
}

const benchRule = `title: ECR image pushed by a user outside CI
id: bench-1
logsource: {product: aws, service: cloudtrail}
detection:
    selection:
        eventSource: ecr.amazonaws.com
        eventName:
            - PutImage
            - CompleteLayerUpload
            - InitiateLayerUpload
    filter_ci:
        userAgent|contains:
            - 'aws-sdk-go'
            - 'Boto3'
            - 'terraform'
            - 'github-actions'
            - 'gitlab-runner'
    filter_service:
        userIdentity.type: AWSService
    condition: selection and not 1 of filter_*
level: medium
`

func benchMatcher(b *testing.B, text string) *Matcher[doc] {
	rs, errs := ParseFile("bench.yml", []byte(text))
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	m, err := Compile[doc](rs[0], anyResolver{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkMatch matches a typical CloudTrail rule against a map-backed
// event that passes the selection and is checked by both filters.
func BenchmarkMatch(b *testing.B) {
	m := benchMatcher(b, benchRule)
	d := doc{
		"eventSource":       str("ecr.amazonaws.com"),
		"eventName":         str("PutImage"),
		"userAgent":         str("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"),
		"userIdentity.type": str("IAMUser"),
		"awsRegion":         str("eu-west-1"),
	}
	if !m.Match(d) {
		b.Fatal("no match")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Match(d)
	}
}

// BenchmarkMatchLongList matches a field against 60 contains patterns
// (one automaton pass).
func BenchmarkMatchLongList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("title: long\nlogsource: {product: p}\ndetection:\n    sel:\n        CommandLine|contains:\n")
	for i := 0; i < 60; i++ {
		sb.WriteString("            - 'tool" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + ".exe'\n")
	}
	sb.WriteString("    condition: sel\n")
	m := benchMatcher(b, sb.String())
	d := doc{"CommandLine": str(`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\scripts\maintenance.ps1`)}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.Match(d)
	}
}
