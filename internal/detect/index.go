package detect

import (
	"unicode"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// valueIndex finds the rules that can match an event from the value of
// one field: a rule whose detection requires field ∈ {v1, v2…} is
// evaluated only for events carrying one of them.
type valueIndex struct {
	field string
	get   sigma.Getter[*Doc]
	// model, for a data-model text field, reads it straight from the
	// event (the hot index fields: event_name, action, status...).
	model *event.Field
	rules foldTable
}

// presence holds rules that need a field most events lack (an image
// digest, a country): they are evaluated only for events that have it.
type presence struct {
	field string
	get   sigma.Getter[*Doc]
	rules []*Rule
}

// sparse reports whether most events leave a data-model field empty:
// the fields of one dataset, and common fields only some sources or an
// enrichment fill.
func sparse(name string) bool {
	f := event.Lookup(name)
	return f != nil && (f.Group != "" || f.Name == "src_country" || f.Name == "src_asn" || f.Name == "credential_id")
}

// foldTable maps keys to rule lists ignoring case. A probe is hashed and
// compared with its case folded on the fly, so it is neither copied nor
// lowered first. Keys are stored folded (see foldRune). Open addressing,
// at most half full.
type foldTable struct {
	slots []foldSlot
	n     int
}

type foldSlot struct {
	key   string // folded
	hash  uint64
	rules []*Rule
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// foldHash is FNV-1a over the folded key. ASCII text, the common case, is
// hashed byte by byte; the rest of a key from its first other byte on is
// hashed rune by rune.
func foldHash(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return foldHashRunes(h, s[i:])
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

func foldHashRunes(h uint64, s string) uint64 {
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		for _, c := range utf8.AppendRune(buf[:0], foldRune(r)) {
			h ^= uint64(c)
			h *= fnvPrime
		}
	}
	return h
}

// foldRune maps every rune of a Unicode simple-folding orbit to one
// member: a lower-case ASCII letter when the orbit holds one (so 'K', 'k'
// and the Kelvin sign meet), else the orbit's smallest rune. Text equal
// under any case folding the matcher does folds to the same runes, so the
// table finds every rule whose value could match (the matcher then
// decides). Invalid UTF-8 reads as utf8.RuneError.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' {
		m += 'a' - 'A'
	}
	return m
}

// equalFold compares s with a folded key, folding s on the fly.
func equalFold(s, key string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return equalFoldRunes(s[i:], key[min(i, len(key)):])
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if i >= len(key) || c != key[i] {
			return false
		}
	}
	return len(s) == len(key)
}

func equalFoldRunes(s, key string) bool {
	for _, r := range s {
		k, n := utf8.DecodeRuneInString(key)
		if n == 0 || foldRune(r) != k {
			return false
		}
		key = key[n:]
	}
	return key == ""
}

// fold returns s folded as the table stores keys.
func fold(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, foldRune(r))
	}
	return string(b)
}

// add files r under key.
func (t *foldTable) add(key string, r *Rule) {
	if p := t.slot(key, foldHash(key)); p != nil {
		p.rules = append(p.rules, r)
		return
	}
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]foldSlot, max(8, 2*len(old)))
		t.n = 0
		for _, s := range old {
			if s.rules != nil {
				t.insert(s)
			}
		}
	}
	t.insert(foldSlot{key: fold(key), hash: foldHash(key), rules: []*Rule{r}})
}

func (t *foldTable) insert(s foldSlot) {
	mask := uint64(len(t.slots) - 1)
	i := s.hash & mask
	for t.slots[i].rules != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = s
	t.n++
}

// get returns the rules filed under s, ignoring case.
func (t *foldTable) get(s string) []*Rule {
	if p := t.slot(s, foldHash(s)); p != nil {
		return p.rules
	}
	return nil
}

func (t *foldTable) slot(s string, h uint64) *foldSlot {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; t.slots[i].rules != nil; i = (i + 1) & mask {
		if p := &t.slots[i]; p.hash == h && equalFold(s, p.key) {
			return p
		}
	}
	return nil
}
