package detect

import (
	"fmt"
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
