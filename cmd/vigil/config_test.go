package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// hookReceiver is a webhook endpoint that records alert ids, or answers
// 503 while down.
type hookReceiver struct {
	down atomic.Bool
	mu   sync.Mutex
	ids  map[string]int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.down.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var a struct{ ID string }
	body, _ := io.ReadAll(r.Body)
	json.Unmarshal(body, &a)
	h.mu.Lock()
	h.ids[a.ID]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for id := range h.ids {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func alertIDs(t *testing.T, jsonl string) []string {
	t.Helper()
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var a struct{ ID string }
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.ID == "" {
			t.Fatalf("alert line %q: %v", l, err)
		}
		ids = append(ids, a.ID)
	}
	sort.Strings(ids)
	return ids
}

// TestScanConfigOutputs: vigil scan --config delivers every alert to a
// webhook; with the webhook down it exits 4 after the delivery deadline,
// and the next run with the same spool delivers what the first left.
func TestScanConfigOutputs(t *testing.T) {
	h := &hookReceiver{ids: map[string]int{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := t.TempDir()
	t.Setenv("VIGIL_TEST_HOOK_SECRET", "from-the-environment")
	cfg := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, `delivery_deadline: 700ms
outputs:
  - name: soc-hook
    type: webhook
    url: %s/alerts
    token_env: VIGIL_TEST_HOOK_SECRET
    spool: {dir: %s, max_bytes: 64MiB}
`, srv.URL, filepath.Join(dir, "spool")), 0o600)
	examples := filepath.Join("..", "..", "examples")

	h.down.Store(true)
	out, errs, code := run(t, "scan", "-o", "json", "--config", cfg, examples)
	if code != 4 || !strings.Contains(errs, "not confirmed") || !strings.Contains(errs, "503 Service Unavailable") {
		t.Fatalf("webhook down: exit %d\n%s", code, errs)
	}
	want := alertIDs(t, out)
	if len(h.got()) != 0 {
		t.Fatalf("alerts delivered while the webhook was down: %v", h.got())
	}

	h.down.Store(false)
	out, errs, code = run(t, "scan", "-o", "json", "--config", cfg, "--delivery-deadline", "30s", examples)
	if code != 0 {
		t.Fatalf("webhook up: exit %d\n%s", code, errs)
	}
	if again := alertIDs(t, out); strings.Join(again, ",") != strings.Join(want, ",") {
		t.Errorf("alert ids differ between runs:\n%v\n%v", want, again)
	}
	if got := h.got(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("delivered %v, want %v", got, want)
	}
	for id, n := range h.ids {
		if n < 2 {
			t.Errorf("alert %s delivered %d times: the first run's copy was lost", id, n)
		}
	}
	if !strings.Contains(errs, "output soc-hook:") {
		t.Errorf("no output report:\n%s", errs)
	}
}

func TestScanConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	os.WriteFile(cfg, []byte(`outputs:
  - name: a
    type: webhook
    url: https://hooks.example.com/x
    token_env: VIGIL_TEST_UNSET_VARIABLE
    spool: {dir: `+dir+`}
  - name: b
    type: carrier_pigeon
    spool: {dir: `+dir+`, max_bytes: lots}
`), 0o600)
	_, errs, code := run(t, "scan", "--config", cfg, filepath.Join("..", "..", "examples"))
	for _, want := range []string{"vigil.yaml:2: outputs[0].token_env: the environment variable VIGIL_TEST_UNSET_VARIABLE is not set",
		"vigil.yaml:7: outputs[1].type: \"carrier_pigeon\": want one of elasticsearch, file, kafka, splunk_hec, webhook", "outputs[1].spool.max_bytes"} {
		if code != 2 || !strings.Contains(errs, want) {
			t.Errorf("exit %d, %q not in\n%s", code, want, errs)
		}
	}
}
