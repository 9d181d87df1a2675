// Package ruleset gathers the rules vigil runs — the builtin ruleset
// embedded from rules/, and the user's Sigma files and folders — with the
// placeholder values the expand modifier uses; it runs rules' own tests and
// reports ATT&CK coverage.
package ruleset

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/rules"
)

// Options says which rules to gather.
type Options struct {
	NoBuiltin bool     // leave the builtin rules out
	Paths     []string // the user's rule files and folders
	// Placeholders override the builtin defaults, name → values.
	Placeholders map[string][]string
}

// Files returns the rule files to load, builtin first, then the user's in
// path order (folders recursively, .yml and .yaml files in name order).
// Unreadable paths are errors; the rest still load.
func Files(o Options) ([]detect.File, []error) {
	var files []detect.File
	var errs []error
	if !o.NoBuiltin {
		b, err := Builtin()
		if err != nil {
			errs = append(errs, err)
		}
		files = append(files, b...)
	}
	for _, p := range o.Paths {
		fs, err := readPath(p)
		if err != nil {
			errs = append(errs, err)
		}
		files = append(files, fs...)
	}
	return files, errs
}

// Builtin returns the embedded rule files, named "builtin:<path>".
func Builtin() ([]detect.File, error) {
	var files []detect.File
	err := fs.WalkDir(rules.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isRuleFile(path) || rules.IsData(path) {
			return err
		}
		data, err := rules.FS.ReadFile(path)
		if err != nil {
			return err
		}
		files = append(files, detect.File{Name: "builtin:" + path, Data: data, Builtin: true})
		return nil
	})
	return files, err
}

func isRuleFile(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}

func readPath(p string) ([]detect.File, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		return []detect.File{{Name: p, Data: data}}, nil
	}
	var paths []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && isRuleFile(path) {
			paths = append(paths, path)
		}
		return nil
	})
	sort.Strings(paths)
	var files []detect.File
	for _, path := range paths {
		data, rerr := os.ReadFile(path)
		if rerr != nil {
			err = rerr
			continue
		}
		files = append(files, detect.File{Name: path, Data: data})
	}
	if err != nil {
		err = fmt.Errorf("rules: %w", err)
	}
	return files, err
}

// Placeholders returns the builtin placeholder values with o's overrides
// applied.
func Placeholders(o Options) (map[string][]string, error) {
	out := map[string][]string{}
	data, err := rules.FS.ReadFile("placeholders.yml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("builtin:placeholders.yml: %w", err)
	}
	for k, v := range o.Placeholders {
		out[k] = v
	}
	return out, nil
}

// Load gathers the files and compiles them into an engine.
func Load(o Options, cfg detect.Config) (*detect.Engine, []error) {
	files, errs := Files(o)
	ph, err := Placeholders(o)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.Placeholders = ph
	g, lerrs := detect.New(cfg, files)
	return g, append(errs, lerrs...)
}
