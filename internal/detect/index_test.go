package detect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestFoldTable(t *testing.T) {
	var tab foldTable
	rules := map[string]*Rule{}
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("Event%dName", i)
		rules[k] = &Rule{File: k}
		tab.add(k, rules[k])
	}
	extra := &Rule{File: "extra"}
	tab.add("EVENT7NAME", extra) // same key, other case: same slot
	for k, r := range rules {
		got := tab.get(k)
		if len(got) == 0 || got[0] != r {
			t.Fatalf("%s: got %v", k, got)
		}
	}
	if got := tab.get("event7name"); len(got) != 2 || got[1] != extra {
		t.Errorf("event7name: got %d rules, want 2", len(got))
	}
	for _, miss := range []string{"", "Event7Nam", "Event7Namex", "Event200Name", "Évent7Name"} {
		if got := tab.get(miss); got != nil {
			t.Errorf("%q: got %d rules, want none", miss, len(got))
		}
	}
	if tab.n != 200 || len(tab.slots) < 2*tab.n {
		t.Errorf("%d keys in %d slots", tab.n, len(tab.slots))
	}
	var empty foldTable
	if empty.get("x") != nil {
		t.Error("empty table found a key")
	}
}

func TestFoldTableUnicode(t *testing.T) {
	var tab foldTable
	en := &Rule{File: "en dash"}
	fr := &Rule{File: "fr"}
	key := &Rule{File: "key"}
	stop := &Rule{File: "stop"}
	tab.add("Update application – Certificates and secrets management", en)
	tab.add("Événement", fr)
	tab.add("Key", key)
	tab.add("STOP", stop)
	for probe, want := range map[string]*Rule{
		"update APPLICATION – certificates and secrets management": en,
		"ÉVÉNEMENT": fr,
		"événement": fr,
		"\u212aey":  key,  // Kelvin sign
		"ſtop":      stop, // long s
		"kEY":       key,
	} {
		if got := tab.get(probe); len(got) != 1 || got[0] != want {
			t.Errorf("%q: got %v, want %s", probe, got, want.File)
		}
	}
	for _, miss := range []string{"Update application - Certificates and secrets management", "Evenement", "événemen", "événementé", "ke", "\xffey", "Ke\xff"} {
		if got := tab.get(miss); got != nil {
			t.Errorf("%q: got %d rules, want none", miss, len(got))
		}
	}
}

// TestFoldHashAndEqual checks the word-at-a-time hashing and comparison
// against folding the text first: for texts of every length mixing
// ASCII letters of both cases, the bytes around them ('@', '[', '`',
// '{'), letters whose folding crosses into ASCII (Kelvin sign, long s),
// other letters and invalid UTF-8, at every position.
func TestFoldHashAndEqual(t *testing.T) {
	alphabet := []string{"a", "Z", "z", "A", "@", "[", "`", "{", "k", "\u212a", "ſ", "S", "é", "É", "–", "\xff", "0", ".", "\x7f"}
	rng := rand.New(rand.NewPCG(1, 2))
	text := func() string {
		var b strings.Builder
		for n := rng.IntN(40); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	for i := 0; i < 20000; i++ {
		s := text()
		key := fold(s)
		if foldHash(s) != foldHash(key) {
			t.Fatalf("%q and its folding %q hash differently", s, key)
		}
		if !equalFold(s, key) {
			t.Fatalf("%q does not equal its folding %q", s, key)
		}
		other := fold(text())
		if got, want := equalFold(s, other), key == other; got != want {
			t.Fatalf("equalFold(%q, %q) = %v, want %v", s, other, got, want)
		}
		// One byte changed.
		if len(s) > 0 {
			b := []byte(s)
			b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
			m := string(b)
			if got, want := equalFold(m, key), fold(m) == key; got != want {
				t.Fatalf("equalFold(%q, %q) = %v, want %v", m, key, got, want)
			}
		}
	}
	// Distinct short keys spread over the table's slots.
	seen := map[uint64]string{}
	for _, k := range []string{"get", "put", "list", "describe", "delete", "create", "update", "aws", "gcp", "azure", "success", "failure",
		"describeinstances", "describeinstancez", "assumedrole", "iamuser", "awsapicall", "management", "ec2.amazonaws.com", "s3.amazonaws.com"} {
		h := foldHash(k)
		if o, ok := seen[h]; ok {
			t.Errorf("%q and %q hash alike", k, o)
		}
		seen[h] = k
	}
}
