package detect

import (
	"fmt"
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
	seed := uint64(1)
	intn := func(n int) int { // xorshift: the same texts on every run
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	text := func() string {
		var b strings.Builder
		for n := intn(40); n > 0; n-- {
			b.WriteString(alphabet[intn(len(alphabet))])
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
			b[intn(len(b))] ^= 1 << intn(8)
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

// TestProbeCache: lookups remembered by the identity of the probed
// string give what the table gives, for strings seen before, the same
// text in other strings, other case, values not filed, and more distinct
// values than the cache has slots.
func TestProbeCache(t *testing.T) {
	ix := &valueIndex{owned: true}
	plain := &valueIndex{}
	for i := 0; i < 50; i++ {
		r := &Rule{File: fmt.Sprint(i)}
		ix.rules.add(fmt.Sprint("Name", i), r)
		plain.rules.add(fmt.Sprint("Name", i), r)
	}
	// A few values probed again and again (as interned strings are),
	// among many more, each its own string.
	hot := []string{"Name3", "NAME7", "name70", "Other"}
	var probes []string
	for i := 0; i < 300; i++ {
		probes = append(probes, hot[i%len(hot)], fmt.Sprint("Name", i%80), fmt.Sprint("NAME", i%60))
	}
	for round := 0; round < 3; round++ {
		for _, p := range probes {
			got, want := ix.lookup(p), plain.lookup(p)
			if len(got) != len(want) || len(got) > 0 && got[0] != want[0] {
				t.Fatalf("%q: %d rules remembered, %d in the table", p, len(got), len(want))
			}
		}
	}
	if ix.seen == nil || plain.seen != nil {
		t.Error("the cache is not used by an index of owned strings, or is by another")
	}
	if got := ix.lookup(""); got != nil {
		t.Errorf("empty probe: %d rules", len(got))
	}
}
