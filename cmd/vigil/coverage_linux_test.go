//go:build linux

package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/ruleset"
	"github.com/vigilsec/vigil/internal/sensor"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// TestRuleCoverage: a builtin rule whose only event no active hook
// reports is idle and said to be; one whose event is reported in part is
// logged with what is missed; with every event reported, none is.
func TestRuleCoverage(t *testing.T) {
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	full := map[string]sensor.Coverage{}
	for _, ev := range vocab.Events() {
		full[ev.Name] = sensor.Coverage{Produced: true}
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	if n := ruleCoverage(log, g.Rules(), full); n != 0 || buf.Len() != 0 {
		t.Errorf("every event reported: %d idle, logged %q", n, buf.String())
	}
	cov := map[string]sensor.Coverage{}
	for k, v := range full {
		cov[k] = v
	}
	cov["dup"] = sensor.Coverage{Why: "reported by sys_exit (not in this hook set)"}
	cov["ptrace"] = sensor.Coverage{Produced: true, Why: "cap_capable: privileged calls only"}
	buf.Reset()
	n := ruleCoverage(log, g.Rules(), cov)
	out := buf.String()
	if n < 1 || !strings.Contains(out, "rule idle") || !strings.Contains(out, "dup: reported by sys_exit") {
		t.Errorf("dup not reported: %d idle, logged %q", n, out)
	}
	if !strings.Contains(out, "only in part") || !strings.Contains(out, "ptrace: cap_capable: privileged calls only") {
		t.Errorf("ptrace in part: logged %q", out)
	}
	// Rules of other logsources (cloud) are never said idle.
	if strings.Contains(out, "CloudTrail") || strings.Contains(out, "GCP") {
		t.Errorf("a cloud rule reported: %q", out)
	}
}
