package sigma

// Multi-pattern matching for long value lists (SigmaHQ rules commonly list
// 20 to 100 contains/startswith/endswith values for one field).
//
// Why not a library: github.com/petar-dambovaliev/aho-corasick was
// evaluated. It is fast, but every search allocates — Iter copies the
// haystack string to a []byte, and IterByte heap-allocates its iterator and
// prefilter state and returns each match as a new *Match — while Match
// here must not allocate per event. Sigma also needs only "does any pattern
// occur" (or start/end/equal the text), which a small dense automaton
// answers in one pass. So this file builds one: a trie over byte classes
// (ASCII letters folded together when matching case-insensitively), turned
// into an Aho-Corasick automaton with every transition precomputed for
// "contains", or used as an anchored trie for "startswith", "endswith"
// (patterns reversed) and "equals".

// automaton is a dense trie or Aho-Corasick automaton.
type automaton struct {
	class  [256]uint16 // byte → class; 0 is every byte no pattern uses
	stride int         // number of classes
	next   []int32     // next[state*stride+class]; -1: no transition (anchored tries)
	final  []bool      // a pattern ends here (or, for Aho-Corasick, at a suffix)

	// For Aho-Corasick (makeSearch): search[row offset+class] is the next
	// state's row offset, or -1 when a pattern ends there; any reports an
	// empty pattern.
	search []int32
	any    bool
}

// newAutomaton builds the trie of patterns. fold makes ASCII letters
// case-insensitive; patterns must then be lower-case ASCII. reverse stores
// the patterns backwards, for suffix matching.
func newAutomaton(patterns []string, fold, reverse bool) *automaton {
	a := &automaton{}
	n := uint16(1)
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			c := p[i]
			if a.class[c] == 0 {
				a.class[c] = n
				if fold && 'a' <= c && c <= 'z' {
					a.class[c-('a'-'A')] = n
				}
				n++
			}
		}
	}
	a.stride = int(n)
	a.addState()
	for _, p := range patterns {
		s := int32(0)
		for k := 0; k < len(p); k++ {
			c := p[k]
			if reverse {
				c = p[len(p)-1-k]
			}
			i := int(s)*a.stride + int(a.class[c])
			if a.next[i] < 0 {
				a.next[i] = a.addState()
			}
			s = a.next[i]
		}
		a.final[s] = true
	}
	return a
}

func (a *automaton) addState() int32 {
	id := int32(len(a.final))
	for i := 0; i < a.stride; i++ {
		a.next = append(a.next, -1)
	}
	a.final = append(a.final, false)
	return id
}

// makeSearch turns the trie into an Aho-Corasick automaton: every missing
// transition goes where the longest proper suffix that is a trie path
// would go, so that a scan never backtracks.
func (a *automaton) makeSearch() {
	fail := make([]int32, len(a.final))
	queue := make([]int32, 0, len(a.final))
	for c := 0; c < a.stride; c++ {
		if t := a.next[c]; t < 0 {
			a.next[c] = 0
		} else {
			fail[t] = 0
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := fail[s]
		a.final[s] = a.final[s] || a.final[f]
		row, frow := int(s)*a.stride, int(f)*a.stride
		for c := 0; c < a.stride; c++ {
			if t := a.next[row+c]; t < 0 {
				a.next[row+c] = a.next[frow+c]
			} else {
				fail[t] = a.next[frow+c]
				queue = append(queue, t)
			}
		}
	}
	// The scan stops at the first final state, so a transition into one
	// becomes -1, and the others hold the target's row offset: one load
	// per byte, no multiplication, no second table.
	a.any = a.final[0]
	a.search = make([]int32, len(a.next))
	for i, t := range a.next {
		if a.final[t] {
			a.search[i] = -1
		} else {
			a.search[i] = t * int32(a.stride)
		}
	}
	a.next = nil
}

// contains reports whether any pattern occurs in s (after makeSearch).
func (a *automaton) contains(s string) bool {
	if a.any {
		return true
	}
	next, class := a.search, &a.class
	st := int32(0)
	for i := 0; i < len(s); i++ {
		st = next[int(st)+int(class[s[i]])]
		if st < 0 {
			return true
		}
	}
	return false
}

// hasPrefix reports whether s starts with a pattern.
func (a *automaton) hasPrefix(s string) bool {
	st := int32(0)
	if a.final[0] {
		return true
	}
	for i := 0; i < len(s); i++ {
		st = a.next[int(st)*a.stride+int(a.class[s[i]])]
		if st < 0 {
			return false
		}
		if a.final[st] {
			return true
		}
	}
	return false
}

// hasSuffix reports whether s ends with a pattern (the trie is reversed).
func (a *automaton) hasSuffix(s string) bool {
	st := int32(0)
	if a.final[0] {
		return true
	}
	for i := len(s) - 1; i >= 0; i-- {
		st = a.next[int(st)*a.stride+int(a.class[s[i]])]
		if st < 0 {
			return false
		}
		if a.final[st] {
			return true
		}
	}
	return false
}

// equal reports whether s is one of the patterns.
func (a *automaton) equal(s string) bool {
	st := int32(0)
	for i := 0; i < len(s); i++ {
		st = a.next[int(st)*a.stride+int(a.class[s[i]])]
		if st < 0 {
			return false
		}
	}
	return a.final[st]
}
