//go:build linux

package overheadtest

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

// TestServe runs two batches of each loop in this process: each batch
// answers with a wall and a CPU time.
func TestServe(t *testing.T) {
	for _, kind := range Loops {
		if kind == "exec" || kind == "connect" {
			continue // in TestChild, through a child
		}
		var out bytes.Buffer
		if err := serve(kind, t.TempDir(), strings.NewReader("100\n50\n"), &out); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: %d answers to 2 batches: %q", kind, len(lines), out.String())
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 2 {
				t.Fatalf("%s: answer %q", kind, l)
			}
			if wall, err := strconv.ParseInt(f[0], 10, 64); err != nil || wall <= 0 {
				t.Errorf("%s: wall time %q", kind, f[0])
			}
		}
	}
	if err := serve("nope", t.TempDir(), strings.NewReader("1\n"), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "unknown loop") {
		t.Errorf("unknown loop: %v", err)
	}
	if err := serve("mmap", t.TempDir(), strings.NewReader("x\n"), &bytes.Buffer{}); err == nil {
		t.Error("a batch size that is no number was taken")
	}
}

// TestChild runs the exec and connect loops in a child process.
func TestChild(t *testing.T) {
	for _, kind := range []string{"exec", "connect"} {
		c := Start(t, kind, t.TempDir())
		for range 2 {
			if wall, _ := c.Run(t, 20); wall <= 0 {
				t.Errorf("%s: wall time %v", kind, wall)
			}
		}
	}
}
