package detect

import (
	"math/bits"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// valueIndex finds the rules that can match an event from the value of
// one field: a rule whose detection requires field ∈ {v1, v2…} is
// evaluated only for events carrying one of them.
type valueIndex struct {
	get sigma.Getter[*Doc]
	// model, for a data-model text field, reads it straight from the
	// event (the hot index fields: event_name, action, status...); for a
	// vendor field the format copies into the event (eventName,
	// userIdentity.type), fallback reads the record through get when the
	// event's field is empty.
	model    *event.Field
	fallback bool
	// owned: the values get returns are the event's own strings (tags).
	// Those and model's values are remembered by identity in seen
	// (allocated on first use).
	owned bool
	seen  *probeCache
	rules foldTable
	field string
}

// probeCache remembers index lookups by the identity of the probed
// string (see memo): sources intern the values of the hot index fields
// (event names, actions, user types, tags), so most probes are a pointer
// comparison instead of hashing and comparing the text. A slot holds the
// probed string and where the table has it (-1: not filed).
type probeCache struct {
	keys [probeCacheSlots]string
	at   [probeCacheSlots]int32
}

const probeCacheSlots = 64 // a power of two

// lookupOwned returns the rules filed under s, ignoring case, where s is
// one of the event's own strings (immutable: see memo).
func (ix *valueIndex) lookupOwned(s string) []*Rule {
	if s == "" {
		return ix.rules.get(s)
	}
	if ix.seen == nil {
		ix.seen = &probeCache{}
	}
	c := ix.seen
	i := identitySlot([]string{s}, probeCacheSlots)
	at := c.at[i]
	if k := c.keys[i]; len(k) != len(s) || unsafe.StringData(k) != unsafe.StringData(s) {
		at = ix.rules.find(s, foldHash(s))
		c.keys[i], c.at[i] = s, at
	}
	if at < 0 {
		return nil
	}
	return ix.rules.slots[at].rules
}

// lookup returns the rules filed under a value get returned.
func (ix *valueIndex) lookup(s string) []*Rule {
	if ix.owned {
		return ix.lookupOwned(s)
	}
	return ix.rules.get(s)
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

// foldHash hashes s with its case folded, as the table stores keys: the
// folded text in 8-byte words, each mixed in with one 64×64→128-bit
// multiplication, then its length. ASCII text, the common case, is read
// and lower-cased a word at a time; from the first word with another
// byte on, the rest is folded rune by rune (foldHashRunes), which forms
// the same words from the folded bytes.
func foldHash(s string) uint64 {
	var h uint64
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		if w&highBits != 0 {
			return foldHashRunes(h, i, s[i:])
		}
		h = mix(h, lower8(w))
	}
	w := tail(s, i)
	if w&highBits != 0 {
		return foldHashRunes(h, i, s[i:])
	}
	return finish(h, lower8(w), len(s))
}

// foldHashRunes goes on with foldHash's state h after n folded bytes (a
// multiple of 8), folding the rest of the text, s, rune by rune.
func foldHashRunes(h uint64, n int, s string) uint64 {
	var buf [utf8.UTFMax]byte
	var w uint64
	k := 0 // bytes in w
	for _, r := range s {
		for _, c := range utf8.AppendRune(buf[:0], foldRune(r)) {
			w |= uint64(c) << (8 * k)
			n++
			if k++; k == 8 {
				h, w, k = mix(h, w), 0, 0
			}
		}
	}
	return finish(h, w, n)
}

const (
	highBits = 0x8080808080808080
	hashMul1 = 0x9e3779b97f4a7c15
	hashMul2 = 0xff51afd7ed558ccd
)

func mix(h, w uint64) uint64 {
	hi, lo := bits.Mul64(h^w, hashMul1)
	return hi ^ lo
}

// finish mixes in the last, partial word and the length.
func finish(h, w uint64, n int) uint64 {
	hi, lo := bits.Mul64(mix(h, w)^uint64(n), hashMul2)
	return hi ^ lo
}

// load64 reads the 8 bytes of s at i as a little-endian word.
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

func load32(s string, i int) uint64 {
	_ = s[i+3]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24
}

// tail returns the last bytes of s, from i on (fewer than 8), as a
// little-endian word. Loads may overlap bytes before i or each other:
// they read the same bytes into the same places.
func tail(s string, i int) uint64 {
	n := len(s)
	switch t := n - i; {
	case t == 0:
		return 0
	case n >= 8:
		return load64(s, n-8) >> (64 - 8*t)
	case n >= 4:
		return load32(s, 0) | load32(s, n-4)<<(8*(n-4))
	}
	return uint64(s[0]) | uint64(s[n/2])<<(8*(n/2)) | uint64(s[n-1])<<(8*(n-1))
}

// lower8 lower-cases the ASCII letters of a word of 8 ASCII bytes: for a
// byte c below 0x80, c+0x3f has its top bit set when c >= 'A' and c+0x25
// when c > 'Z', and no byte carries into the next.
func lower8(w uint64) uint64 {
	upper := (w + 0x3f3f3f3f3f3f3f3f) &^ (w + 0x2525252525252525) & highBits
	return w | upper>>2
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

// equalFold compares s with a folded key, folding s on the fly: a word at
// a time while s is ASCII (its bytes then match the key's one for one).
func equalFold(s, key string) bool {
	i := 0
	for ; i+8 <= len(s) && i+8 <= len(key); i += 8 {
		w := load64(s, i)
		if w&highBits != 0 {
			return equalFoldRunes(s[i:], key[i:])
		}
		if lower8(w) != load64(key, i) {
			return false
		}
	}
	for ; i < len(s); i++ {
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
	if i := t.find(s, h); i >= 0 {
		return &t.slots[i]
	}
	return nil
}

// find returns the index of the slot holding s (hashed to h), or -1.
func (t *foldTable) find(s string, h uint64) int32 {
	if len(t.slots) == 0 {
		return -1
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; t.slots[i].rules != nil; i = (i + 1) & mask {
		if p := &t.slots[i]; p.hash == h && equalFold(s, p.key) {
			return int32(i)
		}
	}
	return -1
}
