package sigma

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// doc is the test document: field name → value; "_raw" is the keyword
// text.
type doc map[string]Value

// anyResolver accepts every field.
type anyResolver struct{}

func (anyResolver) Field(name string) (Getter[doc], error) {
	return func(d doc) Value { return d[name] }, nil
}

func (anyResolver) Keywords() (Getter[doc], error) {
	return func(d doc) Value { return d["_raw"] }, nil
}

func str(s string) Value { return Value{Kind: String, S: s} }

func num(f float64) Value {
	return Value{Kind: Number, N: f, S: strconv.FormatFloat(f, 'f', -1, 64)}
}

func boolean(b bool) Value { return Value{Kind: Bool, S: strconv.FormatBool(b)} }

var null = Value{Kind: Null}

func list(vs ...Value) Value { return Value{Kind: List, L: vs} }

// sharedPath locates ../shared/sub beside the module root.
func sharedPath(sub string) (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", sub)
	if _, err := os.Stat(p); err != nil {
		return "", false
	}
	return p, true
}

// sharedDir is sharedPath for tests, which it skips when the directory is
// absent.
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	p, ok := sharedPath(sub)
	if !ok {
		t.Skipf("../shared/%s not present beside the module", sub)
	}
	return p
}
