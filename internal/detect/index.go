package detect

import (
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

// foldTable maps keys to rule lists ignoring ASCII case. A probe is hashed
// and compared with its case folded on the fly, so it is neither copied
// nor lowered first. Open addressing, at most half full.
type foldTable struct {
	slots []foldSlot
	n     int
}

type foldSlot struct {
	key   string // lower case
	hash  uint64
	rules []*Rule
}

// foldHash is FNV-1a over the key with ASCII letters lowered.
func foldHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// equalFoldASCII compares s with a lower-case key, folding s's ASCII case.
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// add files r under key (ASCII keys only: see index).
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
	t.insert(foldSlot{key: lowerASCII(key), hash: foldHash(key), rules: []*Rule{r}})
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

// get returns the rules filed under s, ignoring ASCII case.
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
		if p := &t.slots[i]; p.hash == h && equalFoldASCII(s, p.key) {
			return p
		}
	}
	return nil
}

// isASCII reports whether every byte of s is ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
