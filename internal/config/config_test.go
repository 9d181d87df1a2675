package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var types = []string{"splunk_hec", "webhook"}

// TestExampleFile: the example in docs loads, with its secrets present.
func TestExampleFile(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "vigil.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "hec-token")
	os.WriteFile(token, []byte("11111111-2222-3333-4444-555555555555\n"), 0o600)
	data = []byte(strings.ReplaceAll(string(data), "/etc/vigil/hec-token", token))
	t.Setenv("VIGIL_WEBHOOK_SECRET", "k")
	cfg, err := Parse("vigil.example.yaml", data, types)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Outputs) != 2 || cfg.DeliveryDeadline != 2*time.Minute {
		t.Fatalf("%+v", cfg)
	}
	s, w := cfg.Outputs[0], cfg.Outputs[1]
	if s.Secret != "11111111-2222-3333-4444-555555555555" || s.Spool.MaxBytes != 1<<30 || s.MinLevel != "medium" || s.Format != "json" {
		t.Errorf("splunk %+v", s)
	}
	if w.Secret != "k" || w.Spool.WhenFull != "drop_oldest" || w.Headers["X-Team"] != "cloud-security" || !strings.HasPrefix(w.Where, "vigil.example.yaml:17: outputs[1]") {
		t.Errorf("webhook %+v", w)
	}
}

func TestProblems(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"outputs: {}", "f.yaml:1: outputs: want a list"},
		{"delivery_deadline: soon", "f.yaml:1: delivery_deadline: want a duration"},
		{"nonsense: 1", "f.yaml:1: nonsense: unknown key"},
		{"outputs:\n  - {name: a, type: webhook, spool: {dir: /x}, colour: red}", "f.yaml:2: outputs[0]: field colour not found"},
		{"outputs:\n  - {name: 'a b', type: webhook, spool: {dir: /x}}", "outputs[0].name: want a name"},
		{"outputs:\n  - {name: a, type: webhook}", "outputs[0].spool.dir: required"},
		{"outputs:\n  - {name: a, type: webhook, min_level: loud, spool: {dir: /x}}", "outputs[0].min_level: \"loud\""},
		{"outputs:\n  - {name: a, type: webhook, format: xml, spool: {dir: /x}}", "outputs[0].format: \"xml\""},
		{"outputs:\n  - {name: a, type: webhook, spool: {dir: /x, when_full: spill}}", "outputs[0].spool.when_full"},
		{"outputs:\n  - {name: a, type: webhook, spool: {dir: /x, sync: often}}", "outputs[0].spool.sync"},
		{"outputs:\n  - {name: a, type: webhook, token_file: /nonexistent/t, spool: {dir: /x}}", "outputs[0].token_file: open /nonexistent/t"},
		{"outputs:\n  - {name: a, type: webhook, spool: {dir: /x}}\n  - {name: a, type: webhook, spool: {dir: /y}}", "f.yaml:3: outputs[1].name: \"a\" is the name of an earlier output"},
	} {
		_, err := Parse("f.yaml", []byte(c.yaml), types)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestParseBytes(t *testing.T) {
	for s, want := range map[string]int64{"1GiB": 1 << 30, "500MB": 500e6, "42": 42, "2 KiB": 2048} {
		if n, err := ParseBytes(s); err != nil || n != want {
			t.Errorf("%s: %d, %v", s, n, err)
		}
	}
	for _, s := range []string{"lots", "-1", "1.5GB", "99999999999TiB"} {
		if _, err := ParseBytes(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
}

// FuzzParse: any file is loaded or refused with an error, never a panic.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "docs", "vigil.example.yaml")); err == nil {
		f.Add(b)
	}
	f.Add([]byte("outputs:\n  - {name: a, type: webhook, spool: {dir: /x, max_bytes: 1GiB}}"))
	f.Add([]byte("- [1, 2]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data, types)
		if err == nil && cfg == nil {
			t.Fatal("no configuration and no error")
		}
	})
}
