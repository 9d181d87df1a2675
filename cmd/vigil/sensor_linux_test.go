//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needRoot skips a test without root, except in CI, which runs as root.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("needs root")
		}
		t.Skip("needs root")
	}
}

// start runs vigil with args until ctx is done; wait returns stdout,
// stderr and the exit code.
func start(ctx context.Context, args ...string) (wait func() (string, string, int)) {
	var out, errb bytes.Buffer
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	done := make(chan int, 1)
	go func() {
		code := 0
		if err := cmd.ExecuteContext(ctx); err != nil {
			var ee exitError
			if errors.As(err, &ee) {
				code = ee.code
			} else {
				code = 2
			}
			errb.WriteString(err.Error())
		}
		done <- code
	}()
	return func() (string, string, int) {
		code := <-done
		return out.String(), errb.String(), code
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func scrape(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", url, resp.Status)
	}
	return string(b), err
}

const shadowRule = "Password Hash or Sudo Policy File Read by an Unexpected Program"

// TestSensorCommand runs vigil sensor for real: a program on this host
// reads /etc/shadow, the alert is printed as JSON and counted in the
// metrics, the events go to a file, and a summary ends the run.
func TestSensorCommand(t *testing.T) {
	needRoot(t)
	addr := freeAddr(t)
	eventsFile := filepath.Join(t.TempDir(), "events.jsonl")
	// The alerts also go to a webhook through a spool (--config).
	hook := &hookReceiver{ids: map[string]int{}}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	t.Setenv("VIGIL_TEST_HOOK_SECRET", "from-the-environment")
	cfg := filepath.Join(t.TempDir(), "vigil.yaml")
	os.WriteFile(cfg, fmt.Appendf(nil, "outputs:\n  - {name: hook, type: webhook, url: %s, token_env: VIGIL_TEST_HOOK_SECRET, spool: {dir: %s}}\n",
		srv.URL, filepath.Join(t.TempDir(), "spool")), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wait := start(ctx, "sensor", "--duration", "2m", "-o", "json", "--metrics-addr", addr, "--events-file", eventsFile, "--config", cfg)

	url := "http://" + addr + "/metrics"
	wantMatch := fmt.Sprintf(`vigil_rule_matches_total{level="high",rule=%q}`, shadowRule)
	deadline := time.Now().Add(60 * time.Second)
	var metrics string
	for {
		if time.Now().After(deadline) {
			cancel()
			_, errs, _ := wait()
			t.Fatalf("no alert in the metrics within 60s; last scrape:\n%s\nstderr:\n%s", metrics, errs)
		}
		time.Sleep(200 * time.Millisecond)
		m, err := scrape(url)
		if err != nil {
			continue // the sensor is still starting
		}
		metrics = m
		if strings.Contains(m, wantMatch) && strings.Contains(m, `vigil_sensor_events_total{type="read"}`) {
			break
		}
		// The sensor is up: a program reads /etc/shadow.
		if out, err := exec.Command("cat", "/etc/shadow").CombinedOutput(); err != nil {
			t.Fatalf("cat /etc/shadow: %v: %s", err, out)
		}
	}
	for _, want := range []string{"vigil_sensor_events_total{type=\"execve\"}", "vigil_sensor_records_total{kind=\"exec\"}",
		"vigil_sensor_decode_errors_total{source=\"kernel\"} 0", "vigil_sensor_processes ", "vigil_sensor_write_dirs ",
		"vigil_sensor_suppressed_events_total{kind=\"repeat\",source=\"fanotify\"}",
		"vigil_output_spool_bytes{output=\"hook\"}", "vigil_output_sent_total{output=\"hook\"}", "vigil_output_queue_full_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	out, errs, code := wait()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errs)
	}

	if got, want := hook.got(), alertIDs(t, out); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("the webhook received %v, the sensor printed %v", got, want)
	}
	if !strings.Contains(errs, "output hook: ") {
		t.Errorf("no output report:\n%s", errs)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var a struct {
			Rule   struct{ Title, Level string } `json:"rule"`
			Events []map[string]any              `json:"events"`
		}
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if a.Rule.Title != shadowRule {
			continue
		}
		e := a.Events[0]
		if e["file_path"] == "/etc/shadow" && e["process_name"] == "cat" && e["event_name"] == "read" &&
			e["container_runtime"] == "host" && e["vendor_product"] == "vigil sensor" && e["dest"] != nil {
			found = true
		}
	}
	if !found {
		t.Errorf("no alert for cat reading /etc/shadow in the output:\n%s", out)
	}
	for _, want := range []string{"kernel hooks active", "sched_process_exec", "source=fanotify", "serving metrics", "events: ", "records lost", "rules loaded", "alerts: "} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	data, err := os.ReadFile(eventsFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"event_name":"read"`)) || !bytes.Contains(data, []byte(`"file_path":"/etc/shadow"`)) {
		t.Errorf("the events file lacks the read of /etc/shadow (%d bytes)", len(data))
	}
}

// TestSensorDuration: --duration ends the run by itself.
func TestSensorDuration(t *testing.T) {
	needRoot(t)
	begin := time.Now()
	out, errs, code := start(context.Background(), "sensor", "--duration", "2s", "--no-builtin", "-o", "json", "--syscall-tracepoint")()
	if code != 0 || out != "" || !strings.Contains(errs, "0 rules loaded") || !strings.Contains(errs, "alerts: none") ||
		!strings.Contains(errs, "source=sys_exit") {
		t.Errorf("exit %d, stdout %q\n%s", code, out, errs)
	}
	if d := time.Since(begin); d < 2*time.Second {
		t.Errorf("returned after %v", d)
	}
	if _, errs, code := run(t, "sensor", "--duration", "-1s"); code != 2 || !strings.Contains(errs, "negative") {
		t.Errorf("negative duration: exit %d\n%s", code, errs)
	}
}

// TestSensorPrivileges: without the capabilities it needs, the command
// says which are missing and how to run it.
func TestSensorPrivileges(t *testing.T) {
	saved := missingPrivileges
	defer func() { missingPrivileges = saved }()
	missingPrivileges = func() ([]string, error) { return []string{"CAP_BPF", "CAP_PERFMON"}, nil }
	_, errs, code := run(t, "sensor", "--duration", "1s")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for _, want := range []string{"needs root", "missing CAP_BPF and CAP_PERFMON", "sudo vigil sensor", "setcap cap_bpf,cap_perfmon+ep"} {
		if !strings.Contains(errs, want) {
			t.Errorf("message lacks %q:\n%s", want, errs)
		}
	}
}
