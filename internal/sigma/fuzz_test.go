package sigma

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// FuzzParseFile loads arbitrary files: no panic (a recovered one shows as
// an "internal error"), every error an *Error in the file, and every rule
// loaded compiles and matches without trouble.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(fullRule))
	f.Add([]byte(benchRule))
	for _, c := range modifierCases {
		f.Add([]byte(ruleWith(c.sel)))
	}
	if files := corpusFilesIfPresent(); files != nil {
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, errs := ParseFile("f.yml", data)
		for _, err := range errs {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T: %v", err, err)
			}
			if strings.Contains(e.Msg, "internal error") {
				t.Fatalf("%v", err)
			}
			if e.Pos.File != "f.yml" || e.Pos.Line < 1 {
				t.Fatalf("error without a position: %v", err)
			}
		}
		opt := Options{Placeholders: map[string][]string{"x": {"a", "b*"}}}
		d := doc{"_raw": str(string(data)), "f": str(string(data)), "n": num(3), "l": list(str("a"), num(1))}
		for _, r := range rs {
			if r.Detection == nil {
				continue
			}
			m, err := Compile[doc](r, anyResolver{}, opt)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("compile error %T: %v", err, err)
				}
				continue
			}
			for _, sel := range r.Detection.Selections {
				for _, mp := range sel.Maps {
					for _, fm := range mp {
						for _, v := range fm.Values {
							d[fm.Field] = v
						}
					}
				}
			}
			m.Match(d)
			m.Match(doc{})
			m.Prefilter(m.Fields())
		}
	})
}

// FuzzParseCondition parses arbitrary conditions: errors carry a position
// inside the text, and what parses prints back to the same tree.
func FuzzParseCondition(f *testing.F) {
	for _, c := range conditionCases {
		f.Add(c.in)
	}
	f.Add("selection | count() by x > 5")
	f.Add("(a and (b or not c))")
	if files := corpusFilesIfPresent(); files != nil {
		for _, p := range files {
			data, _ := os.ReadFile(p)
			rs, _ := ParseFile(p, data)
			for _, r := range rs {
				if r.Detection != nil {
					for _, c := range r.Detection.Conditions {
						f.Add(c.Text)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		e, err := ParseCondition(text)
		if err != nil {
			ce, ok := err.(*Error)
			if !ok || ce.Pos.Line < 1 || ce.Pos.Col < 1 || ce.Pos.Line > strings.Count(text, "\n")+1 {
				t.Fatalf("%q: bad error %v", text, err)
			}
			return
		}
		printed := exprString(e)
		e2, err := ParseCondition(printed)
		if err != nil || !reflect.DeepEqual(e, e2) {
			t.Fatalf("%q printed as %q reads back as %v (%v)", text, printed, exprString(e2), err)
		}
	})
}

// corpusFilesIfPresent lists the corpus for fuzz seeding: nil without it.
func corpusFilesIfPresent() []string {
	root, ok := sharedPath("corpus/sigma")
	if !ok {
		return nil
	}
	files, _ := listCorpus(root)
	return files
}
