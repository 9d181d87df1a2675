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
	pre  string // the literal prefix of glob, before its first metacharacter
	n    int    // the number of components of glob
}

func compilePatterns(globs []string) []pattern {
	out := make([]pattern, 0, len(globs))
	for _, g := range globs {
		p := pattern{glob: g, dir: path.Dir(g), base: path.Base(g), n: strings.Count(g, "/")}
		p.lit = !strings.ContainsAny(p.base, `*?[\`)
		p.pre = g
		if i := strings.IndexAny(g, `*?[\`); i >= 0 {
			p.pre = g[:i]
		}
		out = append(out, p)
	}
	return out
}

func (p *pattern) matchBase(name []byte) bool {
	if p.lit {
		return string(name) == p.base
	}
	ok, _ := path.Match(p.base, string(name))
	return ok
}

// pathMatches reports whether the file p, named name, matches one of the
// patterns.
func pathMatches(pats []pattern, p string, name []byte) bool {
	for i := range pats {
		q := &pats[i]
		if !strings.HasPrefix(p, q.pre) || !q.matchBase(name) {
			continue
		}
		if ok, _ := path.Match(q.glob, p); ok {
			return true
		}
	}
	return false
}

// embeddedMatches reports whether the end of the file p, named name, from
// one of its '/' on, matches one of the patterns, p having more components
// than the pattern: p is, say, .../rootfs/etc/shadow, a sensitive file of
// a root file system laid out below the host path p starts with.
func embeddedMatches(pats []pattern, p string, name []byte) bool {
	for i := range pats {
		q := &pats[i]
		if !q.matchBase(name) {
			continue
		}
		j := len(p)
		for k := 0; k < q.n && j > 0; k++ {
			j = strings.LastIndexByte(p[:j], '/')
		}
		if j <= 0 {
			continue
		}
		if ok, _ := path.Match(q.glob, p[j:]); ok {
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
