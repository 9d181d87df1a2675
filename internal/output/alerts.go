package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/output/ocsf"
)

// AlertWriter writes alerts. Flush writes out what is buffered; Close
// flushes and ends the output.
type AlertWriter interface {
	Write(*alert.Alert) error
	Flush() error
	Close() error
}

// AlertFormats are the formats NewAlertWriter writes.
var AlertFormats = []string{"json", "table", "ocsf"}

// NewAlertWriter returns a writer of alerts to w in format: json (one
// object per line), table (for people at a terminal) or ocsf (Detection
// Finding 2004).
func NewAlertWriter(format string, w io.Writer) (AlertWriter, error) {
	switch format {
	case "json":
		return &alertJSON{w: bufio.NewWriterSize(w, 64<<10)}, nil
	case "table":
		return &alertTable{w: bufio.NewWriter(w)}, nil
	case "ocsf":
		return &alertOCSF{w: ocsf.NewFindings(w)}, nil
	}
	return nil, fmt.Errorf("unknown output %q (%s)", format, strings.Join(AlertFormats, ", "))
}

// alertOCSF writes OCSF Detection Findings (class 2004) whose
// finding_info.uid is the alert's id.
type alertOCSF struct{ w *ocsf.FindingWriter }

func (o *alertOCSF) Write(a *alert.Alert) error {
	r := &a.Rule
	f := &ocsf.Finding{UID: a.ID, RuleID: r.ID, RuleTitle: r.Title, RuleLevel: r.Level, RuleDescription: r.Description,
		RuleType: r.Type, RuleTags: r.Tags, Time: a.Time, Events: a.Events, Count: a.Count}
	for _, kv := range a.GroupBy {
		f.GroupBy = append(f.GroupBy, [2]string{kv.Key, kv.Value})
	}
	return o.w.Write(f)
}

// Flush writes out the buffered findings: the finding writer's Close
// only flushes, and may be called again.
func (o *alertOCSF) Flush() error { return o.w.Close() }

func (o *alertOCSF) Close() error { return o.w.Close() }

type alertJSON struct {
	w   *bufio.Writer
	buf []byte
}

func (j *alertJSON) Write(a *alert.Alert) error {
	j.buf = append(a.AppendJSON(j.buf[:0]), '\n')
	_, err := j.w.Write(j.buf)
	return err
}

func (j *alertJSON) Flush() error { return j.w.Flush() }

func (j *alertJSON) Close() error { return j.w.Flush() }

type alertTable struct {
	w    *bufio.Writer
	rows int
}

func (t *alertTable) Write(a *alert.Alert) error {
	if t.rows == 0 {
		fmt.Fprintf(t.w, "%-20s  %-8s  %-52s  %s\n", "TIME", "LEVEL", "RULE", "WHO / WHAT")
	}
	t.rows++
	title := a.Rule.Title
	if len(title) > 52 {
		title = title[:51] + "…"
	}
	_, err := fmt.Fprintf(t.w, "%-20s  %-8s  %-52s  %s\n", a.Time.UTC().Format("2006-01-02T15:04:05Z"), strings.ToUpper(a.Rule.Level), title, a.Subject())
	return err
}

func (t *alertTable) Flush() error { return t.w.Flush() }

func (t *alertTable) Close() error {
	if t.rows == 0 {
		fmt.Fprintln(t.w, "no alerts")
	}
	return t.w.Flush()
}

// EncodeAlert returns one alert as a record for a destination: its JSON
// (format json), an Elastic Common Schema document (ecs) or its OCSF
// Detection Finding (ocsf).
func EncodeAlert(format string, a *alert.Alert) ([]byte, error) {
	switch format {
	case "", "json":
		return a.AppendJSON(nil), nil
	case "ecs":
		return ecsDoc(a)
	case "ocsf":
		var buf bytes.Buffer
		w := &alertOCSF{w: ocsf.NewFindings(&buf)}
		if err := w.Write(a); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		return bytes.TrimRight(buf.Bytes(), "\n"), nil
	}
	return nil, fmt.Errorf("unknown alert format %q (json, ecs or ocsf)", format)
}

// ecsDoc is an alert as an Elastic Common Schema document: @timestamp,
// message, event (kind alert, its id, severity), rule, threat (the ATT&CK
// tactics and techniques of its tags), related users and addresses, and
// the alert itself under vigil.
func ecsDoc(a *alert.Alert) ([]byte, error) {
	severity := map[string]int{"informational": 1, "low": 21, "medium": 47, "high": 73, "critical": 99}[a.Rule.Level]
	var techniques, tactics []string
	for _, t := range a.Rule.Tags {
		name, ok := strings.CutPrefix(strings.ToLower(t), "attack.")
		switch {
		case !ok:
		case len(name) > 1 && name[0] == 't' && name[1] >= '0' && name[1] <= '9':
			techniques = append(techniques, strings.ToUpper(name))
		default:
			tactics = append(tactics, name)
		}
	}
	var users, ips []string
	for _, e := range a.Events {
		if e.SrcUser != "" && !slices.Contains(users, e.SrcUser) {
			users = append(users, e.SrcUser)
		}
		if e.SrcIP != "" && !slices.Contains(ips, e.SrcIP) {
			ips = append(ips, e.SrcIP)
		}
	}
	doc := map[string]any{
		"@timestamp": a.Time.UTC().Format(time.RFC3339Nano),
		"message":    a.Rule.Title,
		"event": map[string]any{"kind": "alert", "id": a.ID, "severity": severity, "module": "vigil",
			"dataset": "vigil.alert", "count": a.Count},
		"rule":   map[string]any{"id": a.Rule.ID, "name": a.Rule.Title, "description": a.Rule.Description, "ruleset": "vigil", "category": a.Rule.Type},
		"threat": map[string]any{"framework": "MITRE ATT&CK", "technique": map[string]any{"id": techniques}, "tactic": map[string]any{"name": tactics}},
		"vigil":  json.RawMessage(a.AppendJSON(nil)),
	}
	if len(users) > 0 || len(ips) > 0 {
		doc["related"] = map[string]any{"user": users, "ip": ips}
	}
	return json.Marshal(doc)
}
