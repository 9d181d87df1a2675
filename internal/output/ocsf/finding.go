package ocsf

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Finding is one alert to write as an OCSF Detection Finding.
type Finding struct {
	UID                                                     string         // finding_info.uid; derived from the rule, time and group-by when empty
	RuleID, RuleTitle, RuleLevel, RuleDescription, RuleType string         // RuleType: "detection" or a correlation type such as event_count
	RuleTags                                                []string       // Sigma tags, e.g. attack.persistence, attack.t1525, attack.t1098.001
	Time                                                    time.Time      // time of the last contributing event
	Events                                                  []*event.Event // the normalized events that caused it
	GroupBy                                                 [][2]string    // correlation group-by field and value, in order
	Count                                                   int            // events in a correlation's window (0 for single-event rules)
}

// FindingWriter writes findings as OCSF Detection Finding (2004) events,
// one JSON object per line.
type FindingWriter struct {
	w     *bufio.Writer
	enc   encoder
	cloud event.Event // scratch event carrying the findings' shared cloud context
}

// NewFindings returns a writer of OCSF Detection Findings.
func NewFindings(w io.Writer) *FindingWriter {
	return &FindingWriter{w: bufio.NewWriterSize(w, 64<<10), enc: encoder{now: time.Now}}
}

// Write writes one finding.
func (o *FindingWriter) Write(f *Finding) error {
	if f == nil {
		return errors.New("ocsf: nil finding")
	}
	b := o.finding(f)
	b = append(b, '\n')
	o.enc.j.b = b
	_, err := o.w.Write(b)
	return err
}

// Close flushes.
func (o *FindingWriter) Close() error { return o.w.Flush() }

var classDetection = &class{uid: 2004, category: catFindings, name: "Detection Finding", activities: map[int]string{
	0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}}

const (
	// productName is metadata.product's name and vendor_name.
	productName = "vigil"
	// attackVersion is the ATT&CK release the tactic and technique names
	// below are taken from.
	attackVersion = "v14"
	// maxEvidence bounds the events a finding describes in evidences,
	// resources and related_events: the latest ones.
	maxEvidence = 20
)

// finding encodes f as a Detection Finding.
func (o *FindingWriter) finding(f *Finding) []byte {
	x := &o.enc
	x.reset(nil)
	j := &x.j
	j.b = append(j.b[:0], '{')

	first, last := timeSpan(f.Events)
	t := f.Time
	if t.IsZero() {
		t = last
	}
	uid := f.UID
	if uid == "" {
		uid = findingUIDOf(f, t)
	}
	if t.IsZero() {
		t = x.now() // no event time at all: when vigil raised the finding
	}
	title := f.RuleTitle
	if title == "" {
		title = f.RuleID
	}
	if title == "" {
		title = unknown
	}
	window := f.Events
	if len(window) > maxEvidence {
		window = window[len(window)-maxEvidence:]
	}

	// Classification: always Create, a new finding.
	c := classDetection
	j.int("class_uid", int64(c.uid))
	j.str("class_name", c.name)
	j.int("category_uid", int64(c.category))
	j.str("category_name", categoryNames[c.category])
	j.int("activity_id", 1)
	j.str("activity_name", c.activities[1])
	j.int("type_uid", int64(c.uid*100+1))
	j.str("type_name", c.name+": "+c.activities[1])
	sev, sevName := severityOf(f.RuleLevel)
	j.int("severity_id", int64(sev))
	j.str("severity", sevName)
	j.int("status_id", 1)
	j.str("status", "New")
	j.str("message", findingMessage(title, f.GroupBy))

	j.int("time", t.UnixMilli())
	if (f.Count > 0 || len(f.Events) > 1) && !first.IsZero() {
		j.int("start_time", first.UnixMilli())
		j.int("end_time", last.UnixMilli())
	}
	if f.Count > 0 {
		j.int("count", int64(f.Count))
	}

	vendor, region, account := sharedContext(f.Events)
	_, provider, awsAccount := vendorInfo(vendor)
	x.cloud = provider != ""
	m := j.open("metadata")
	j.str("version", schemaVersion)
	p := j.open("product")
	j.str("name", productName)
	j.str("vendor_name", productName)
	j.close(p)
	j.str("uid", uid)
	if len(f.RuleTags) > 0 {
		a := j.openArr("labels")
		for _, tag := range f.RuleTags {
			j.strElem(tag)
		}
		j.closeArr(a)
	}
	if x.cloud {
		a := j.openArr("profiles")
		j.strElem("cloud")
		j.closeArr(a)
	}
	j.close(m)
	if x.cloud {
		o.cloud = event.Event{Vendor: vendor, Region: region, Account: account}
		x.reset(&o.cloud)
		x.cloudObj(provider, awsAccount)
	}

	x.findingInfo(f, uid, title, first, last, window)
	x.evidences(window)

	x.dedup, x.seen = true, x.seen[:0]
	rs := j.openArr("resources")
	for _, e := range window {
		if e == nil {
			continue
		}
		x.reset(e)
		// Outside API Activity (and for calls to a vendor endpoint) dest
		// is the service, the user changed or the peer host, not a resource.
		if cl, _, _ := classify(e); (cl != classAPI && cl != classVuln) || isServiceHost(e.Dest) {
			x.use(fDest)
		}
		x.resourceItems()
	}
	j.closeArr(rs)
	x.dedup = false

	if len(f.GroupBy) > 0 {
		u := j.open("unmapped")
		g := j.open("group_by")
		for _, kv := range f.GroupBy {
			j.sep()
			j.b = event.AppendString(j.b, kv[0])
			j.b = append(j.b, ':')
			j.b = event.AppendString(j.b, kv[1])
		}
		j.close(g)
		j.close(u)
	}
	j.b = append(j.b, '}')
	return j.b
}

// findingInfo writes finding_info: uid, title, desc, the rule as the
// analytic, the ATT&CK tactics and techniques from the rule's tags, the
// rule type, when the events were first and last seen, their data sources
// and the related events by metadata.uid.
func (x *encoder) findingInfo(f *Finding, uid, title string, first, last time.Time, window []*event.Event) {
	j := &x.j
	fi := j.open("finding_info")
	j.str("uid", uid)
	j.str("title", title)
	j.str("desc", f.RuleDescription)

	a := j.open("analytic")
	j.str("name", f.RuleTitle)
	j.str("uid", f.RuleID)
	if f.RuleTitle == "" && f.RuleID == "" {
		j.str("name", unknown)
	}
	j.int("type_id", 1)
	j.str("type", "Rule")
	j.close(a)

	x.attacks(f.RuleTags)
	if f.RuleType != "" {
		ts := j.openArr("types")
		j.strElem(f.RuleType)
		j.closeArr(ts)
	}
	if !first.IsZero() {
		j.int("first_seen_time", first.UnixMilli())
		j.int("last_seen_time", last.UnixMilli())
	}

	ds := j.openArr("data_sources")
	for i, e := range f.Events {
		if e == nil || e.VendorProduct == "" || seenProduct(f.Events[:i], e.VendorProduct) {
			continue
		}
		j.strElem(e.VendorProduct)
	}
	j.closeArr(ds)

	rel := j.openArr("related_events")
	for _, e := range window {
		if e == nil || e.EventID == "" {
			continue
		}
		c, act, _ := classify(e)
		r := j.elem()
		j.str("uid", e.EventID)
		j.int("type_uid", int64(c.uid*100+act))
		j.str("type_name", c.name+": "+c.activities[act])
		j.close(r)
	}
	j.closeArr(rel)
	j.close(fi)
}

func seenProduct(events []*event.Event, p string) bool {
	for _, e := range events {
		if e != nil && e.VendorProduct == p {
			return true
		}
	}
	return false
}

// evidences writes one evidence per event (identical ones once): the
// actor, the API operation, the source and destination endpoints and, for
// account changes, the user changed.
func (x *encoder) evidences(window []*event.Event) {
	j := &x.j
	x.dedup, x.seen = true, x.seen[:0]
	a := j.openArr("evidences")
	for _, e := range window {
		if e == nil {
			continue
		}
		x.reset(e)
		m := j.elem()
		x.actor(false)
		if e.EventName != "" {
			x.apiObj(true)
		}
		x.srcEndpoint(false, endpoint{})
		if n := e.Network; n != nil && n.DestIP != "" {
			d := j.open("dst_endpoint")
			j.str("ip", n.DestIP)
			if n.DestPort != 0 {
				j.int("port", n.DestPort)
			}
			j.close(d)
		}
		if c, _, _ := classify(e); c == classAccount && e.Dest != "" {
			x.target()
		}
		x.closeElem(m)
	}
	j.closeArr(a)
	x.dedup = false
}

// attacks writes finding_info.attacks from Sigma tags: attack.<tactic>
// (attack.persistence, attack.defense-evasion, attack.ta0003),
// attack.t1525 and attack.t1098.001 (sub-technique of T1098). Sigma does
// not pair tactics with techniques, so each technique is written once
// with each tactic; tags naming groups or software (attack.g0016,
// attack.s0002) are not ATT&CK tactics or techniques and are left out.
func (x *encoder) attacks(tags []string) {
	var tactics []int // indexes into attackTactics
	type tech struct{ technique, sub string }
	var techs []tech
	for _, tag := range tags {
		if len(tag) < 8 || !strings.EqualFold(tag[:7], "attack.") {
			continue
		}
		r := lower(tag[7:])
		if strings.IndexByte(r, '-') >= 0 {
			r = strings.ReplaceAll(r, "-", "_") // Sigma's newer spelling: attack.defense-evasion
		}
		if id, sub, ok := techniqueID(r); ok {
			merged := false
			for i := range techs {
				if techs[i].technique != id {
					continue
				}
				if sub == "" || techs[i].sub == sub {
					merged = true
				} else if techs[i].sub == "" {
					techs[i].sub, merged = sub, true
				}
			}
			if !merged {
				techs = append(techs, tech{id, sub})
			}
			continue
		}
		if i := tacticIndex(r); i >= 0 {
			dup := false
			for _, k := range tactics {
				dup = dup || k == i
			}
			if !dup {
				tactics = append(tactics, i)
			}
		}
	}
	if len(tactics) == 0 && len(techs) == 0 {
		return
	}
	j := &x.j
	a := j.openArr("attacks")
	if len(techs) == 0 {
		for _, ti := range tactics {
			m := j.elem()
			x.tactic(ti)
			j.str("version", attackVersion)
			j.close(m)
		}
	}
	for _, t := range techs {
		for k := 0; k < len(tactics) || (k == 0 && len(tactics) == 0); k++ {
			m := j.elem()
			if len(tactics) > 0 {
				x.tactic(tactics[k])
			}
			o := j.open("technique")
			j.str("name", attackTechniques[t.technique])
			j.str("uid", t.technique)
			j.close(o)
			if t.sub != "" {
				s := j.open("sub_technique")
				j.str("name", attackTechniques[t.sub])
				j.str("uid", t.sub)
				j.close(s)
			}
			j.str("version", attackVersion)
			j.close(m)
		}
	}
	j.closeArr(a)
}

func (x *encoder) tactic(i int) {
	j := &x.j
	m := j.open("tactic")
	j.str("name", attackTactics[i].name)
	j.str("uid", attackTactics[i].uid)
	j.close(m)
}

// techniqueID parses a lower-case technique tag, t1098 or t1098.001, into
// the technique id (T1098) and the sub-technique id (T1098.001, or "").
func techniqueID(r string) (technique, sub string, ok bool) {
	if len(r) != 5 && len(r) != 9 || r[0] != 't' || !digits(r[1:5]) {
		return "", "", false
	}
	technique = "T" + r[1:5]
	if len(r) == 9 {
		if r[5] != '.' || !digits(r[6:9]) {
			return "", "", false
		}
		sub = technique + r[5:]
	}
	return technique, sub, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// tacticIndex finds a lower-case tactic tag (privilege_escalation, or
// its id ta0004) in attackTactics.
func tacticIndex(r string) int {
	for i, t := range attackTactics {
		if r == t.tag || strings.EqualFold(r, t.uid) {
			return i
		}
	}
	return -1
}

// attackTactics are the ATT&CK Enterprise tactics by their Sigma tag.
var attackTactics = []struct{ tag, uid, name string }{
	{"reconnaissance", "TA0043", "Reconnaissance"},
	{"resource_development", "TA0042", "Resource Development"},
	{"initial_access", "TA0001", "Initial Access"},
	{"execution", "TA0002", "Execution"},
	{"persistence", "TA0003", "Persistence"},
	{"privilege_escalation", "TA0004", "Privilege Escalation"},
	{"defense_evasion", "TA0005", "Defense Evasion"},
	{"credential_access", "TA0006", "Credential Access"},
	{"discovery", "TA0007", "Discovery"},
	{"lateral_movement", "TA0008", "Lateral Movement"},
	{"collection", "TA0009", "Collection"},
	{"command_and_control", "TA0011", "Command and Control"},
	{"exfiltration", "TA0010", "Exfiltration"},
	{"impact", "TA0040", "Impact"},
}

// attackTechniques names the techniques and sub-techniques cloud and
// container rules use (ATT&CK v14). Others are written by id alone.
var attackTechniques = map[string]string{
	"T1021":     "Remote Services",
	"T1021.007": "Cloud Services",
	"T1036":     "Masquerading",
	"T1036.005": "Match Legitimate Name or Location",
	"T1046":     "Network Service Discovery",
	"T1053":     "Scheduled Task/Job",
	"T1053.007": "Container Orchestration Job",
	"T1059":     "Command and Scripting Interpreter",
	"T1059.009": "Cloud API",
	"T1069":     "Permission Groups Discovery",
	"T1069.003": "Cloud Groups",
	"T1070":     "Indicator Removal",
	"T1078":     "Valid Accounts",
	"T1078.001": "Default Accounts",
	"T1078.004": "Cloud Accounts",
	"T1087":     "Account Discovery",
	"T1087.004": "Cloud Account",
	"T1098":     "Account Manipulation",
	"T1098.001": "Additional Cloud Credentials",
	"T1098.003": "Additional Cloud Roles",
	"T1098.004": "SSH Authorized Keys",
	"T1105":     "Ingress Tool Transfer",
	"T1110":     "Brute Force",
	"T1110.001": "Password Guessing",
	"T1110.003": "Password Spraying",
	"T1110.004": "Credential Stuffing",
	"T1133":     "External Remote Services",
	"T1136":     "Create Account",
	"T1136.003": "Cloud Account",
	"T1190":     "Exploit Public-Facing Application",
	"T1199":     "Trusted Relationship",
	"T1204":     "User Execution",
	"T1204.003": "Malicious Image",
	"T1485":     "Data Destruction",
	"T1486":     "Data Encrypted for Impact",
	"T1490":     "Inhibit System Recovery",
	"T1496":     "Resource Hijacking",
	"T1525":     "Implant Internal Image",
	"T1526":     "Cloud Service Discovery",
	"T1528":     "Steal Application Access Token",
	"T1530":     "Data from Cloud Storage",
	"T1531":     "Account Access Removal",
	"T1535":     "Unused/Unsupported Cloud Regions",
	"T1537":     "Transfer Data to Cloud Account",
	"T1538":     "Cloud Service Dashboard",
	"T1548":     "Abuse Elevation Control Mechanism",
	"T1550":     "Use Alternate Authentication Material",
	"T1550.001": "Application Access Token",
	"T1552":     "Unsecured Credentials",
	"T1552.001": "Credentials In Files",
	"T1552.005": "Cloud Instance Metadata API",
	"T1552.007": "Container API",
	"T1555":     "Credentials from Password Stores",
	"T1555.006": "Cloud Secrets Management Stores",
	"T1556":     "Modify Authentication Process",
	"T1556.006": "Multi-Factor Authentication",
	"T1562":     "Impair Defenses",
	"T1562.001": "Disable or Modify Tools",
	"T1562.007": "Disable or Modify Cloud Firewall",
	"T1562.008": "Disable or Modify Cloud Logs",
	"T1567":     "Exfiltration Over Web Service",
	"T1567.002": "Exfiltration to Cloud Storage",
	"T1578":     "Modify Cloud Compute Infrastructure",
	"T1578.001": "Create Snapshot",
	"T1578.002": "Create Cloud Instance",
	"T1578.003": "Delete Cloud Instance",
	"T1578.004": "Revert Cloud Instance",
	"T1580":     "Cloud Infrastructure Discovery",
	"T1606":     "Forge Web Credentials",
	"T1606.002": "SAML Tokens",
	"T1609":     "Container Administration Command",
	"T1610":     "Deploy Container",
	"T1611":     "Escape to Host",
	"T1612":     "Build Image on Host",
	"T1613":     "Container and Resource Discovery",
	"T1619":     "Cloud Storage Object Discovery",
	"T1621":     "Multi-Factor Authentication Request Generation",
	"T1648":     "Serverless Execution",
	"T1651":     "Cloud Administration Command",
}

// findingMessage is the rule title and, for a correlation, the group-by
// values: "Title (field=value, field=value)".
func findingMessage(title string, groupBy [][2]string) string {
	if len(groupBy) == 0 {
		return title
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteString(" (")
	for i, kv := range groupBy {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	b.WriteByte(')')
	return b.String()
}

// findingUIDOf derives the finding's stable id from the rule id, the time
// of its last event and the group-by fields and values.
func findingUIDOf(f *Finding, t time.Time) string {
	h := newUIDHash()
	h.add(f.RuleID)
	if t.IsZero() {
		h.add("")
	} else {
		var b [20]byte
		h.add(string(strconv.AppendInt(b[:0], t.UnixNano(), 10)))
	}
	for _, kv := range f.GroupBy {
		h.add(kv[0])
		h.add(kv[1])
	}
	return h.String()
}

// timeSpan returns the earliest and latest event times (zero when no
// event has one).
func timeSpan(events []*event.Event) (first, last time.Time) {
	for _, e := range events {
		if e == nil || e.Time.IsZero() {
			continue
		}
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time
		}
		if last.IsZero() || e.Time.After(last) {
			last = e.Time
		}
	}
	return first, last
}

// sharedContext returns the vendor, region and account every event has
// in common; each is empty unless all events agree on it.
func sharedContext(events []*event.Event) (vendor, region, account string) {
	n := 0
	for _, e := range events {
		if e == nil {
			continue
		}
		if n == 0 {
			vendor, region, account = e.Vendor, e.Region, e.Account
		} else {
			if e.Vendor != vendor {
				return "", "", ""
			}
			if e.Region != region {
				region = ""
			}
			if e.Account != account {
				account = ""
			}
		}
		n++
	}
	return vendor, region, account
}
