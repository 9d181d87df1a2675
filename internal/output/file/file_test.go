package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRotation: lines go to the file until it would pass its size, then
// to a new one; the kept count bounds the rotated files, and no line is
// split or lost among the files kept.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alerts.jsonl")
	d, err := New(Config{Path: path, MaxBytes: 200, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	var batch [][]byte
	for i := range 80 {
		batch = append(batch, fmt.Appendf(nil, `{"id":"a%03d"}`, i)) // 13 bytes + newline
	}
	res, err := d.Send(context.Background(), batch)
	if err != nil || len(res) != 80 {
		t.Fatal(res, err)
	}
	var lines []string
	for _, name := range []string{path + ".3", path + ".2", path + ".1", path} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(b) > 200 {
			t.Errorf("%s: %d bytes", name, len(b))
		}
		lines = append(lines, strings.Split(strings.TrimSpace(string(b)), "\n")...)
	}
	if _, err := os.Stat(path + ".4"); err == nil {
		t.Error("more rotated files than kept")
	}
	// 14 lines of 14 bytes fit a file: the current one holds the last
	// 10, the three kept the 42 before them, in order.
	if len(lines) != 52 || lines[0] != `{"id":"a028"}` || lines[len(lines)-1] != `{"id":"a079"}` {
		t.Errorf("lines %v", lines)
	}
	for i := 1; i < len(lines); i++ {
		if lines[i] <= lines[i-1] {
			t.Errorf("out of order: %s after %s", lines[i], lines[i-1])
		}
	}
	if _, err := New(Config{Path: "relative.jsonl"}); err == nil {
		t.Error("a relative path accepted")
	}
}
