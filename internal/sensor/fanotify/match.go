package fanotify

import (
	"path"
	"strings"
)

// pattern is one sensitive-path glob, split for quick checks.
type pattern struct {
	glob string
	dir  string // path.Dir(glob)
	base string // path.Base(glob)
	lit  bool   // base has no glob metacharacters
}

func compilePatterns(globs []string) []pattern {
	out := make([]pattern, 0, len(globs))
	for _, g := range globs {
		p := pattern{glob: g, dir: path.Dir(g), base: path.Base(g)}
		p.lit = !strings.ContainsAny(p.base, `*?[\`)
		out = append(out, p)
	}
	return out
}

// baseMatches reports whether a file named name could match one of the
// patterns (its last element matches).
func baseMatches(pats []pattern, name []byte) bool {
	for i := range pats {
		p := &pats[i]
		if p.lit {
			if string(name) == p.base {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p.base, string(name)); ok {
			return true
		}
	}
	return false
}

// pathMatches reports whether p matches one of the patterns.
func pathMatches(pats []pattern, p string) bool {
	for i := range pats {
		if ok, _ := path.Match(pats[i].glob, p); ok {
			return true
		}
	}
	return false
}

// dirPatterns returns the patterns whose directory part matches dir.
func dirPatterns(pats []pattern, dir string) []pattern {
	var out []pattern
	for _, p := range pats {
		if ok, _ := path.Match(p.dir, dir); ok {
			out = append(out, p)
		}
	}
	return out
}
