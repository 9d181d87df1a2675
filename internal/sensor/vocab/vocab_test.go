package vocab

import (
	"slices"
	"testing"
)

// Every event the sensor can emit has a name and is routed to a Sigma
// category, or says why not.
func TestEvents(t *testing.T) {
	known := []string{ProcessCreation, ProcessTermination, FileEvent, FileRename, FileDelete, FileAccess, FileChange, NetworkConnection}
	evs := Events()
	if len(evs) != int(Count) {
		t.Fatalf("%d events, want %d", len(evs), Count)
	}
	seen := map[string]ID{}
	for i, e := range evs {
		if e.ID != ID(i) {
			t.Errorf("event %d has ID %d", i, e.ID)
		}
		if e.Name == "" {
			t.Errorf("event %d has no name (no row in events)", i)
			continue
		}
		if prev, dup := seen[e.Name]; dup {
			t.Errorf("%s: name of events %d and %d", e.Name, prev, i)
		}
		seen[e.Name] = e.ID
		if e.ID.String() != e.Name {
			t.Errorf("%s: String() = %q", e.Name, e.ID.String())
		}
		switch {
		case len(e.Categories) == 0 && e.Unrouted == "":
			t.Errorf("%s: routed to no category and no reason given", e.Name)
		case len(e.Categories) > 0 && e.Unrouted != "":
			t.Errorf("%s: routed to %v and unrouted (%s)", e.Name, e.Categories, e.Unrouted)
		}
		for _, c := range e.Categories {
			if !slices.Contains(known, c) {
				t.Errorf("%s: unknown category %q", e.Name, c)
			}
		}
	}
	for _, c := range known {
		if len(Categories()[c]) == 0 {
			t.Errorf("category %s receives no event", c)
		}
	}
	if s := Count.String(); s != "" {
		t.Errorf("Count.String() = %q", s)
	}
}

func TestCategories(t *testing.T) {
	cats := Categories()
	for c, want := range map[string][]string{
		ProcessCreation:    {"execve"},
		ProcessTermination: {"exit"},
		FileEvent:          {"create", "write", "rename"},
		FileRename:         {"rename"},
		FileDelete:         {"unlink", "rmdir"},
		FileAccess:         {"read"},
		FileChange:         {"chmod"},
		NetworkConnection:  {"connect", "accept"},
	} {
		if !slices.Equal(cats[c], want) {
			t.Errorf("%s: %v, want %v", c, cats[c], want)
		}
	}
	if len(cats) != 8 {
		t.Errorf("%d categories: %v", len(cats), cats)
	}
}
