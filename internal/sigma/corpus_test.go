package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var corpusDirs = []string{"cloud", "application/kubernetes", "linux"}

// corpusFiles lists the SigmaHQ rule files of the shared corpus, or skips.
func corpusFiles(t testing.TB) []string {
	files, err := listCorpus(sharedDir(t, "corpus/sigma"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func listCorpus(root string) ([]string, error) {
	var files []string
	for _, d := range corpusDirs {
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !e.IsDir() && (strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

// TestCorpus loads and compiles every SigmaHQ rule of the corpus.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	var rules, compiled, prefiltered int
	mods := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs, errs := ParseFile(f, data)
		for _, err := range errs {
			t.Errorf("load: %v", err)
		}
		for _, r := range rs {
			rules++
			m, err := Compile[doc](r, anyResolver{}, Options{})
			if err != nil {
				t.Errorf("compile: %v", err)
				continue
			}
			compiled++
			if _, _, ok := m.Prefilter([]string{"eventName", "eventSource", "verb", "objectRef.resource", "Image", "type"}); ok {
				prefiltered++
			}
			m.Match(doc{})
			for _, s := range r.Detection.Selections {
				for _, mp := range s.Maps {
					for _, fm := range mp {
						mods[strings.Join(fm.Modifiers, "|")]++
					}
				}
			}
		}
	}
	t.Logf("%d files, %d rules loaded, %d compiled, %d with a prefilter; modifier chains: %v", len(files), rules, compiled, prefiltered, mods)
	if rules == 0 {
		t.Fatal("no rules")
	}
}
