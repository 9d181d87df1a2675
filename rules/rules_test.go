package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// ruleDoc is one YAML document of a rule file.
type ruleDoc struct {
	File  string
	Index int // document index in the file
	M     map[string]any
	Tests []ruleTest
}

type ruleTest struct {
	Name   string
	Match  bool
	Events []map[string]any
}

func (d *ruleDoc) String() string { return fmt.Sprintf("%s#%d (%v)", d.File, d.Index, d.M["title"]) }

func (d *ruleDoc) str(key string) string {
	s, _ := d.M[key].(string)
	return s
}

func (d *ruleDoc) isCorrelation() bool { _, ok := d.M["correlation"]; return ok }

func (d *ruleDoc) logsource() map[string]string {
	out := map[string]string{}
	m, _ := d.M["logsource"].(map[string]any)
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// loadRules reads every rule file in FS.
func loadRules(t testing.TB) []*ruleDoc {
	t.Helper()
	var docs []*ruleDoc
	err := fs.WalkDir(FS, ".", func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if de.IsDir() || !strings.HasSuffix(path, ".yml") || IsData(path) {
			return nil
		}
		data, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for i := 0; ; i++ {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return fmt.Errorf("%s: document %d: %w", path, i, err)
			}
			if m == nil {
				continue
			}
			d := &ruleDoc{File: path, Index: i, M: m}
			if raw, ok := m["tests"]; ok {
				b, err := json.Marshal(raw)
				if err != nil {
					return fmt.Errorf("%s: tests: %w", d, err)
				}
				if err := json.Unmarshal(b, &d.Tests); err != nil {
					return fmt.Errorf("%s: tests: %w", d, err)
				}
			}
			docs = append(docs, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no rules")
	}
	return docs
}

func loadPlaceholders(t testing.TB) map[string][]string {
	t.Helper()
	data, err := FS.ReadFile("placeholders.yml")
	if err != nil {
		t.Fatal(err)
	}
	var p map[string][]string
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	uuidV4     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	techTag    = regexp.MustCompile(`^attack\.t\d{4}(\.\d{3})?$`)
	dateRe     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	levels     = map[string]bool{"informational": true, "low": true, "medium": true, "high": true, "critical": true}
	statuses   = map[string]bool{"experimental": true, "test": true, "stable": true}
	corrTypes  = map[string]bool{"event_count": true, "value_count": true, "temporal": true, "temporal_ordered": true, "new_value": true}
	categories = map[string]event.Dataset{
		"compute": event.Compute, "storage": event.Storage, "network_traffic": event.NetworkTraffic,
		"authentication": event.Authentication, "management": event.Management, "database": event.Database,
		"security": event.Security, "container": event.Container, "vulnerability": event.Vulnerability,
		"process": event.Process, "file": event.File,
	}
	// linuxCategories are the Sigma categories of product linux the runtime
	// sensor feeds, with the sensor's event names each receives.
	linuxCategories = func() map[string]map[string]bool {
		m := map[string]map[string]bool{}
		for c, names := range vocab.Categories() {
			m[c] = map[string]bool{}
			for _, n := range names {
				m[c][n] = true
			}
		}
		return m
	}()
	vendorSources = map[string]map[string]bool{
		"aws":        {"cloudtrail": true},
		"azure":      {"activitylogs": true, "signinlogs": true, "auditlogs": true},
		"gcp":        {"gcp.audit": true},
		"kubernetes": {"audit": true},
	}
	// The tactics of the ATT&CK Cloud and Containers matrices the ruleset
	// must cover.
	tactics = []string{
		"initial_access", "persistence", "privilege_escalation", "defense_evasion", "credential_access",
		"discovery", "lateral_movement", "collection", "exfiltration", "impact",
	}
	allTactics = map[string]bool{
		"initial_access": true, "execution": true, "persistence": true, "privilege_escalation": true,
		"defense_evasion": true, "credential_access": true, "discovery": true, "lateral_movement": true,
		"collection": true, "exfiltration": true, "impact": true, "command_and_control": true,
		"resource_development": true, "reconnaissance": true,
	}
)

func TestMetadata(t *testing.T) {
	docs := loadRules(t)
	ids := map[string]string{}
	for _, d := range docs {
		for _, k := range []string{"title", "id", "status", "description", "author", "date", "level"} {
			if d.str(k) == "" {
				t.Errorf("%s: missing %s", d, k)
			}
		}
		if d.str("author") != "vigil" {
			t.Errorf("%s: author %q, want vigil", d, d.str("author"))
		}
		if !dateRe.MatchString(d.str("date")) {
			t.Errorf("%s: date %q is not YYYY-MM-DD", d, d.str("date"))
		}
		id := d.str("id")
		if !uuidV4.MatchString(id) {
			t.Errorf("%s: id %q is not a lower-case UUID v4", d, id)
		}
		if prev, dup := ids[id]; dup {
			t.Errorf("%s: id %s also used by %s", d, id, prev)
		}
		ids[id] = d.String()
		if !levels[d.str("level")] {
			t.Errorf("%s: level %q", d, d.str("level"))
		}
		if !statuses[d.str("status")] {
			t.Errorf("%s: status %q", d, d.str("status"))
		}
		if fp, _ := d.M["falsepositives"].([]any); len(fp) == 0 {
			t.Errorf("%s: no falsepositives", d)
		}
		if refs, ok := d.M["references"]; ok {
			if l, _ := refs.([]any); len(l) == 0 {
				t.Errorf("%s: references is not a list", d)
			}
		}
		var hasTech, hasTactic bool
		tags, _ := d.M["tags"].([]any)
		for _, tg := range tags {
			s := fmt.Sprint(tg)
			switch {
			case techTag.MatchString(s):
				hasTech = true
			case strings.HasPrefix(s, "attack."):
				if !allTactics[strings.TrimPrefix(s, "attack.")] {
					t.Errorf("%s: unknown tag %s", d, s)
				}
				hasTactic = true
			}
		}
		if !hasTech || !hasTactic {
			t.Errorf("%s: tags %v need an attack.tNNNN and an attack.<tactic>", d, tags)
		}

		if d.isCorrelation() {
			c, _ := d.M["correlation"].(map[string]any)
			if !corrTypes[fmt.Sprint(c["type"])] {
				t.Errorf("%s: correlation type %v", d, c["type"])
			}
			if _, ok := d.M["logsource"]; ok {
				t.Errorf("%s: a correlation has no logsource", d)
			}
		} else {
			if _, ok := d.M["detection"].(map[string]any)["condition"]; !ok {
				t.Errorf("%s: detection without condition", d)
			}
			ls := d.logsource()
			switch p := ls["product"]; {
			case p == "vigil":
				if ls["service"] != "" {
					t.Errorf("%s: product vigil takes no service", d)
				}
				if c := ls["category"]; c != "" && categories[c] == "" {
					t.Errorf("%s: category %q is not a dataset", d, c)
				}
			case p == "linux":
				if ls["service"] != "" || linuxCategories[ls["category"]] == nil {
					t.Errorf("%s: logsource %v", d, ls)
				}
			case vendorSources[p] != nil:
				if !vendorSources[p][ls["service"]] || ls["category"] != "" {
					t.Errorf("%s: logsource %v", d, ls)
				}
			default:
				t.Errorf("%s: logsource %v", d, ls)
			}
		}
	}
}

// TestCorrelationReferences checks that correlations name rules of their
// own file, that those rules have a name, and that every rule a
// correlation uses is tested through it or on its own.
func TestCorrelationReferences(t *testing.T) {
	docs := loadRules(t)
	byFile := map[string]map[string]*ruleDoc{}
	for _, d := range docs {
		if n := d.str("name"); n != "" {
			if byFile[d.File] == nil {
				byFile[d.File] = map[string]*ruleDoc{}
			}
			if _, dup := byFile[d.File][n]; dup {
				t.Errorf("%s: name %s used twice in the file", d, n)
			}
			byFile[d.File][n] = d
		}
	}
	for _, d := range docs {
		if !d.isCorrelation() {
			continue
		}
		c := d.M["correlation"].(map[string]any)
		rules, _ := c["rules"].([]any)
		if len(rules) == 0 {
			t.Errorf("%s: correlation without rules", d)
		}
		for _, r := range rules {
			if byFile[d.File][fmt.Sprint(r)] == nil {
				t.Errorf("%s: rule %v is not in %s", d, r, d.File)
			}
		}
		typ := fmt.Sprint(c["type"])
		if typ == "temporal_ordered" && len(rules) < 2 {
			t.Errorf("%s: temporal_ordered needs two rules or more", d)
		}
		if typ != "temporal" && typ != "temporal_ordered" && typ != "new_value" {
			if _, ok := c["condition"].(map[string]any); !ok {
				t.Errorf("%s: %s needs a condition", d, typ)
			}
		}
		if c["timespan"] == nil {
			t.Errorf("%s: correlation without timespan", d)
		}
		if gb, _ := c["group-by"].([]any); len(gb) == 0 && typ == "new_value" {
			t.Errorf("%s: new_value needs group-by", d)
		}
	}
}

func TestEveryRuleHasTests(t *testing.T) {
	for _, d := range loadRules(t) {
		var pos, neg int
		for _, tc := range d.Tests {
			if tc.Name == "" {
				t.Errorf("%s: test without name", d)
			}
			if len(tc.Events) == 0 {
				t.Errorf("%s: test %q without events", d, tc.Name)
			}
			if tc.Match {
				pos++
			} else {
				neg++
			}
		}
		if pos == 0 || neg == 0 {
			t.Errorf("%s: %d positive and %d negative tests, want at least one of each", d, pos, neg)
		}
	}
}

// normalize runs a raw vendor record through vigil's ingestion, as
// "vigil normalize" would read it.
func normalize(rec map[string]any) ([]*event.Event, *ingest.Stats, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, nil, err
	}
	r := ingest.NewReader(ingest.Settings{Formats: components.Formats(), KeepRaw: true})
	var evs []*event.Event
	r.ReadStream("test.json", bytes.NewReader(append(b, '\n')), func(e *event.Event) { evs = append(evs, e) })
	return evs, r.Stats(), nil
}

var vendorOf = map[string]string{"aws": event.VendorAWS, "azure": event.VendorAzure, "gcp": event.VendorGCP, "kubernetes": event.VendorKubernetes}

// TestEventsNormalize proves every test record is detected by one of
// vigil's formats and gives events of the kind the rule's logsource
// expects.
func TestEventsNormalize(t *testing.T) {
	docs := loadRules(t)
	byName := map[string]*ruleDoc{}
	for _, d := range docs {
		if n := d.str("name"); n != "" {
			byName[d.File+"\x00"+n] = d
		}
	}
	for _, d := range docs {
		// The logsources a test event may be meant for: the rule's own, or
		// for a correlation those of the rules it correlates.
		var sources []map[string]string
		if d.isCorrelation() {
			for _, r := range d.M["correlation"].(map[string]any)["rules"].([]any) {
				if rd := byName[d.File+"\x00"+fmt.Sprint(r)]; rd != nil {
					sources = append(sources, rd.logsource())
				}
			}
		} else {
			sources = append(sources, d.logsource())
		}
		for _, tc := range d.Tests {
			for i, rec := range tc.Events {
				evs, st, err := normalize(rec)
				where := fmt.Sprintf("%s: test %q event %d", d, tc.Name, i)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				if len(st.Skipped) > 0 || len(st.Ignored) > 0 {
					t.Errorf("%s: record skipped %v / ignored %v", where, st.Skipped, st.Ignored)
					continue
				}
				if len(evs) == 0 {
					t.Errorf("%s: no event", where)
					continue
				}
				ok := false
				for _, ls := range sources {
					if sourceAccepts(ls, evs) {
						ok = true
					}
				}
				if !ok {
					e := evs[0]
					t.Errorf("%s: event (vendor %s, product %s, dataset %s) is not for logsource %v", where, e.Vendor, e.VendorProduct, e.Dataset, sources)
				}
			}
		}
	}
}

// sourceAccepts tells whether events from one record belong to a logsource.
func sourceAccepts(ls map[string]string, evs []*event.Event) bool {
	for _, e := range evs {
		switch ls["product"] {
		case "vigil":
			if c := ls["category"]; c == "" || categories[c] == e.Dataset {
				return true
			}
		case "linux":
			if e.Vendor == event.VendorLinux && e.VendorProduct == vocab.Product && linuxCategories[ls["category"]][e.EventName] {
				return true
			}
		case "aws":
			if e.Vendor == event.VendorAWS && e.VendorProduct == "AWS CloudTrail" {
				return true
			}
		case "gcp":
			if e.Vendor == event.VendorGCP && e.VendorProduct == "GCP Cloud Audit Logs" {
				return true
			}
		case "kubernetes":
			if e.Vendor == event.VendorKubernetes {
				return true
			}
		case "azure":
			if e.Vendor != event.VendorAzure {
				continue
			}
			cat := rawCategory(e)
			switch ls["service"] {
			case "activitylogs":
				if !strings.EqualFold(cat, "SignInLogs") && !strings.HasSuffix(strings.ToLower(cat), "signinlogs") && !strings.EqualFold(cat, "AuditLogs") {
					return true
				}
			case "signinlogs":
				if strings.HasSuffix(strings.ToLower(cat), "signinlogs") {
					return true
				}
			case "auditlogs":
				if strings.EqualFold(cat, "AuditLogs") {
					return true
				}
			}
		}
	}
	return false
}

func rawCategory(e *event.Event) string {
	var m map[string]any
	if json.Unmarshal(e.Raw, &m) != nil {
		return ""
	}
	s, _ := m["category"].(string)
	return s
}

// minAlerting is the fewest builtin rules that alert (level low or above).
const minAlerting = 220

// TestCount checks the size of the ruleset and its ATT&CK coverage.
func TestCount(t *testing.T) {
	docs := loadRules(t)
	n := 0
	covered := map[string]int{}
	vendors := map[string]int{}
	for _, d := range docs {
		// A rule that only feeds a correlation is counted through it.
		if !d.isCorrelation() && d.str("name") != "" && referenced(docs, d) {
			continue
		}
		n++
		tags, _ := d.M["tags"].([]any)
		for _, tg := range tags {
			covered[strings.TrimPrefix(fmt.Sprint(tg), "attack.")]++
		}
		vendors[path.Dir(d.File)]++
	}
	if n < 80 {
		t.Errorf("%d rules, want at least 80", n)
	}
	// Alerting rules: those whose matches are alerts (not informational).
	alerting := 0
	for _, d := range docs {
		if lv := d.str("level"); lv != "" && lv != "informational" {
			alerting++
		}
	}
	if alerting < minAlerting {
		t.Errorf("%d alerting builtin rules, want at least %d", alerting, minAlerting)
	}
	for _, tac := range tactics {
		if covered[tac] == 0 {
			t.Errorf("no rule for tactic %s", tac)
		}
	}
	var keys []string
	for k := range covered {
		if allTactics[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-22s %d", k, covered[k])
	}
	t.Logf("%d rules, %d alerting; by directory %v", n, alerting, vendors)
}

func referenced(docs []*ruleDoc, d *ruleDoc) bool {
	for _, c := range docs {
		if c.File != d.File || !c.isCorrelation() {
			continue
		}
		for _, r := range c.M["correlation"].(map[string]any)["rules"].([]any) {
			if fmt.Sprint(r) == d.str("name") {
				return true
			}
		}
	}
	return false
}
