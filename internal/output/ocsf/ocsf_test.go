package ocsf_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/output/ocsf"
)

var t0 = time.Date(2024, 5, 1, 12, 30, 15, 250e6, time.UTC)

// encode writes events with an ocsf.Writer and decodes every line,
// failing on anything that is not one valid JSON object per line.
func encode(t *testing.T, events ...*event.Event) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := ocsf.New(&buf)
	for _, e := range events {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(events) {
		t.Fatalf("%d lines for %d events:\n%s", len(lines), len(events), buf.String())
	}
	out := make([]map[string]any, len(lines))
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Fatalf("line %d is not valid JSON: %s", i+1, l)
		}
		if err := json.Unmarshal([]byte(l), &out[i]); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	return out
}

// check validates an event against the schema tables and the expected
// classification.
func check(t *testing.T, ev map[string]any, classUID, activityID int) {
	t.Helper()
	for _, err := range validate(ev) {
		t.Error(err)
	}
	if c, _ := intOf(ev["class_uid"]); c != classUID {
		t.Errorf("class_uid %d, want %d", c, classUID)
	}
	if a, _ := intOf(ev["activity_id"]); a != activityID {
		t.Errorf("activity_id %d, want %d", a, activityID)
	}
	if t.Failed() {
		b, _ := json.MarshalIndent(ev, "", "  ")
		t.Logf("event:\n%s", b)
	}
}

// want asserts values at dotted paths.
func want(t *testing.T, ev map[string]any, pairs ...any) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		path := pairs[i].(string)
		got := get(ev, path)
		exp := pairs[i+1]
		switch n := exp.(type) {
		case int:
			exp = float64(n)
		case int64:
			exp = float64(n)
		}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Errorf("%s = %v, want %v", path, got, exp)
		}
	}
}

func TestAPIActivity(t *testing.T) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail", Dataset: event.Storage,
		Tags: []string{"AwsApiCall", "Management"}, EventName: "PutBucketPolicy", Action: "modify",
		Status: event.StatusFailure, Msg: "Access Denied", Src: "198.51.100.23", SrcIP: "198.51.100.23",
		SrcUser: "arn:aws:iam::111122223333:user/alice", UserType: "IAMUser", Account: "111122223333",
		Region: "eu-west-1", UserAgent: "aws-cli/2.15.0 Python/3.11", Dest: "prod-logs",
		EventID: "7e1c9a2e-3f7b-4c55-9d0a-1b2c3d4e5f60", CredentialID: "AKIAIOSFODNN7EXAMPLE",
		Raw: []byte(`{"eventVersion":"1.09","eventName":"PutBucketPolicy"}`),
	}
	e.S().BucketName = "prod-logs"
	e.S().ACLPermission = "FULL_CONTROL"
	ev := encode(t, e)[0]
	check(t, ev, 6003, 3)
	want(t, ev,
		"activity_name", "Update",
		"status_id", 2, "status", "Failure", "status_detail", "Access Denied",
		"time", t0.UnixMilli(),
		"metadata.product.name", "AWS CloudTrail", "metadata.product.vendor_name", "AWS",
		"metadata.uid", e.EventID, "metadata.labels.0", "AwsApiCall",
		"metadata.original_time", "2024-05-01T12:30:15.25Z", "metadata.profiles.0", "cloud",
		"cloud.provider", "AWS", "cloud.region", "eu-west-1", "cloud.account.uid", "111122223333",
		"actor.user.name", "alice", "actor.user.uid", e.SrcUser, "actor.user.type", "IAMUser",
		"actor.user.type_id", 1, "actor.user.credential_uid", "AKIAIOSFODNN7EXAMPLE",
		"api.operation", "PutBucketPolicy",
		"src_endpoint.ip", "198.51.100.23",
		"http_request.user_agent", "aws-cli/2.15.0 Python/3.11",
		"resources.0.name", "prod-logs", "resources.0.type", "bucket", "resources.1", nil,
		"unmapped.acl_permission", "FULL_CONTROL", "unmapped.dataset", "Storage",
		"raw_data", string(e.Raw),
	)
}

func TestAPIActivityMapping(t *testing.T) {
	for _, c := range []struct {
		action string
		id     int
		name   string
	}{
		{"create", 1, "Create"}, {"get", 2, "Read"}, {"list", 2, "Read"}, {"modify", 3, "Update"},
		{"put", 3, "Update"}, {"delete", 4, "Delete"}, {"terminate", 4, "Delete"},
		{"start", 99, "start"}, {"exec", 99, "exec"}, {"", 0, "Unknown"},
	} {
		ev := encode(t, &event.Event{Time: t0, Vendor: event.VendorGCP, Dataset: event.Compute, Action: c.action,
			EventName: "v1.compute.instances.x", Src: "compute.googleapis.com", Dest: "compute.googleapis.com",
			Account: "my-project"})[0]
		check(t, ev, 6003, c.id)
		want(t, ev, "activity_name", c.name, "src_endpoint.svc_name", "compute.googleapis.com",
			"api.service.name", "compute.googleapis.com", "cloud.project_uid", "my-project", "resources", nil)
	}
}

func TestAuthentication(t *testing.T) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail", Dataset: event.Authentication,
		EventName: "ConsoleLogin", Action: "login", Status: event.StatusFailure, Msg: "Failed authentication",
		Src: "203.0.113.9", SrcIP: "203.0.113.9", SrcUser: "arn:aws:iam::111122223333:user/bob",
		UserType: "IAMUser", Account: "111122223333", Region: "us-east-1",
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64)", Dest: "signin.amazonaws.com", EventID: "a1b2",
	}
	e.A().MFAAuth = "false"
	e.A().IdentityProvider = "AWS"
	ev := encode(t, e)[0]
	check(t, ev, 3002, 1)
	want(t, ev,
		"activity_name", "Logon", "status_id", 2, "status_detail", "Failed authentication",
		"user.name", "bob", "user.uid", e.SrcUser, "user.type_id", 1,
		"is_mfa", false, "service.name", "signin.amazonaws.com",
		"actor.idp.name", "AWS", "actor.user.name", "bob",
		"src_endpoint.ip", "203.0.113.9", "http_request.user_agent", e.UserAgent,
		"api.operation", "ConsoleLogin", "cloud.provider", "AWS",
	)

	// Role assumption: the session carries the assumed role.
	e = &event.Event{Time: t0, Vendor: event.VendorAWS, Dataset: event.Authentication, EventName: "AssumeRole",
		Action: "assume", Status: event.StatusSuccess, SrcUser: "arn:aws:iam::111122223333:user/ci",
		Dest: "arn:aws:iam::111122223333:role/deploy"}
	e.A().Role = "arn:aws:iam::111122223333:role/deploy"
	e.A().AssumedRoleUser = "arn:aws:sts::111122223333:assumed-role/deploy/ci-run-42"
	e.A().GroupName = "builders"
	ev = encode(t, e)[0]
	check(t, ev, 3002, 99)
	want(t, ev, "activity_name", "assume", "status_id", 1,
		"session.uid_alt", e.Auth.AssumedRoleUser, "session.issuer", e.Auth.Role,
		"service.name", "deploy", "service.uid", e.Dest, "user.groups.0.name", "builders")
}

func TestAccountChange(t *testing.T) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail", Dataset: event.Security,
		EventName: "AttachUserPolicy", Action: "attach", Status: event.StatusSuccess,
		Src: "192.0.2.10", SrcIP: "192.0.2.10", SrcUser: "arn:aws:iam::111122223333:user/admin",
		UserType: "IAMUser", Account: "111122223333", Region: "us-east-1", UserAgent: "Boto3/1.34",
		Dest: "mallory", EventID: "c0ffee",
	}
	ev := encode(t, e)[0]
	check(t, ev, 3001, 7)
	want(t, ev, "activity_name", "Attach Policy", "type_uid", 300107,
		"user.name", "mallory", "actor.user.name", "admin", "src_endpoint.ip", "192.0.2.10",
		"api.operation", "AttachUserPolicy", "unmapped.action", "attach")

	for _, c := range []struct {
		vendor, name string
		id           int
	}{
		{event.VendorAWS, "CreateUser", 1},
		{event.VendorAWS, "DeleteUser", 6},
		{event.VendorAWS, "CreateLoginProfile", 3},
		{event.VendorAWS, "UpdateLoginProfile", 4},
		{event.VendorAWS, "AttachRolePolicy", 7},
		{event.VendorAWS, "PutUserPolicy", 7},
		{event.VendorAWS, "DetachRolePolicy", 8},
		{event.VendorAWS, "DeactivateMFADevice", 11},
		{event.VendorAWS, "EnableMFADevice", 10},
		{event.VendorAWS, "CreateAccessKey", 99},
		{event.VendorGCP, "google.iam.admin.v1.CreateServiceAccountKey", 99},
		{event.VendorGCP, "google.iam.admin.v1.DisableServiceAccount", 5},
		{event.VendorAzure, "Add member to role", 7},
		{event.VendorAzure, "Reset user password", 4},
		{event.VendorAzure, "Disable account", 5},
		{event.VendorAzure, "MICROSOFT.AUTHORIZATION/ROLEASSIGNMENTS/WRITE", 7},
	} {
		ev := encode(t, &event.Event{Time: t0, Vendor: c.vendor, Dataset: event.Security, EventName: c.name,
			SrcUser: "ops@example.com", Dest: "projects/p1/serviceAccounts/build@p1.iam.gserviceaccount.com"})[0]
		check(t, ev, 3001, c.id)
		if c.id == 99 {
			want(t, ev, "activity_name", c.name)
		}
		want(t, ev, "user.name", "build@p1.iam.gserviceaccount.com",
			"user.uid", "projects/p1/serviceAccounts/build@p1.iam.gserviceaccount.com")
	}

	// A role assignment naming the role as its target: the role is the
	// policy, the member is not known.
	e = &event.Event{Time: t0, Vendor: event.VendorAzure, Dataset: event.Security, EventName: "Add member to role",
		Action: "grant", SrcUser: "admin@contoso.com", Dest: "Application Administrator"}
	e.A().Role = "Application Administrator"
	ev = encode(t, e)[0]
	check(t, ev, 3001, 7)
	want(t, ev, "policy.name", "Application Administrator", "user.name", "Unknown", "unmapped.role", nil)

	// Other IAM calls stay API Activity.
	ev = encode(t, &event.Event{Time: t0, Vendor: event.VendorAWS, Dataset: event.Security,
		EventName: "ListUsers", Action: "list"})[0]
	check(t, ev, 6003, 2)
}

func TestNetworkActivity(t *testing.T) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorAWS, VendorProduct: "Amazon VPC Flow Logs", Dataset: event.NetworkTraffic,
		Action: "blocked", Status: event.StatusSuccess, Src: "45.33.32.156", SrcIP: "45.33.32.156",
		Account: "111122223333", Region: "us-east-1",
	}
	n := e.N()
	n.SrcPort, n.DestIP, n.DestPort = 51544, "10.0.1.25", 22
	n.Transport, n.Direction, n.Bytes, n.Packets, n.Duration = "tcp", "inbound", 60, 1, 58
	n.TCPFlag, n.VPC, n.Dvc, n.Rule = "SYN", "vpc-0a1b2c3d", "eni-0f1e2d3c", "sg-ssh-admins"
	ev := encode(t, e)[0]
	check(t, ev, 4001, 6)
	want(t, ev,
		"activity_name", "Traffic", "action_id", 2, "action", "Denied", "disposition_id", 2, "disposition", "Blocked",
		"metadata.profiles.0", "cloud", "metadata.profiles.1", "security_control",
		"firewall_rule.name", "sg-ssh-admins",
		"src_endpoint.ip", "45.33.32.156", "src_endpoint.port", 51544, "src_endpoint.vpc_uid", nil,
		"dst_endpoint.ip", "10.0.1.25", "dst_endpoint.port", 22,
		"dst_endpoint.vpc_uid", "vpc-0a1b2c3d", "dst_endpoint.interface_uid", "eni-0f1e2d3c",
		"connection_info.direction_id", 1, "connection_info.direction", "Inbound",
		"connection_info.protocol_name", "tcp", "connection_info.protocol_num", 6, "connection_info.tcp_flags", 2,
		"traffic.bytes", 60, "traffic.packets", 1, "duration", 58000,
		"status_id", 1, "unmapped.dataset", "Network_Traffic",
	)

	// An allowed outbound UDP flow given by protocol number and flag bits.
	e = &event.Event{Time: t0, Vendor: event.VendorGCP, Dataset: event.NetworkTraffic, Action: "allowed", SrcIP: "10.128.0.4"}
	n = e.N()
	n.DestIP, n.DestPort, n.Transport, n.Direction, n.TCPFlag, n.VPC = "8.8.8.8", 53, "17", "egress", "SYN,ACK", "default"
	ev = encode(t, e)[0]
	check(t, ev, 4001, 6)
	want(t, ev, "action_id", 1, "disposition", "Allowed", "connection_info.direction_id", 2,
		"connection_info.protocol_name", "udp", "connection_info.protocol_num", 17, "connection_info.tcp_flags", 18,
		"src_endpoint.vpc_uid", "default", "dst_endpoint.vpc_uid", nil, "cloud.provider", "GCP")
}

func TestVulnerabilityFinding(t *testing.T) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorGCP, VendorProduct: "Artifact Analysis", Dataset: event.Vulnerability,
		Action: "found", Account: "acme-prod", EventID: "9876543210",
	}
	v := e.V()
	v.CVE, v.Severity, v.CVSSScore = "CVE-2023-5363", "HIGH", 7.5
	v.Package, v.InstalledVersion, v.FixedVersion = "openssl", "3.0.11-1~deb12u1", "3.0.11-1~deb12u2"
	v.ResourceURI = "https://europe-docker.pkg.dev/acme-prod/app/api@sha256:4f3c"
	v.Occurrence = "projects/acme-prod/occurrences/0f6a9f0c-6d1e-4a52-b1b5-3d2d3c6f7a11"
	v.NotificationTime = "2024-05-01T12:29:00Z"
	ev := encode(t, e)[0]
	check(t, ev, 2002, 1)
	want(t, ev,
		"activity_name", "Create", "severity_id", 4, "severity", "High",
		"finding_info.uid", v.Occurrence, "finding_info.title", "CVE-2023-5363 in openssl",
		"finding_info.created_time", time.Date(2024, 5, 1, 12, 29, 0, 0, time.UTC).UnixMilli(),
		"vulnerabilities.0.cve.uid", "CVE-2023-5363",
		"vulnerabilities.0.cve.cvss.0.base_score", 7.5,
		"vulnerabilities.0.severity", "HIGH",
		"vulnerabilities.0.affected_packages.0.name", "openssl",
		"vulnerabilities.0.affected_packages.0.version", "3.0.11-1~deb12u1",
		"vulnerabilities.0.affected_packages.0.fixed_in_version", "3.0.11-1~deb12u2",
		"vulnerabilities.0.is_fix_available", true,
		"resources.0.uid", v.ResourceURI,
		"cloud.provider", "GCP", "cloud.project_uid", "acme-prod", "metadata.uid", "9876543210",
	)

	// Without an occurrence the uid is a stable hash of what identifies
	// the finding.
	mk := func(pkgVersion string) *event.Event {
		e := &event.Event{Time: t0, Vendor: event.VendorAWS, Dataset: event.Vulnerability, Action: "found"}
		e.V().CVE, e.V().Severity, e.V().Package, e.V().InstalledVersion = "CVE-2024-3094", "CRITICAL", "xz-utils", pkgVersion
		e.V().ResourceURI = "arn:aws:ecr:us-east-1:111122223333:repository/app"
		return e
	}
	evs := encode(t, mk("5.6.0"), mk("5.6.0"), mk("5.6.1"))
	u0, u1, u2 := get(evs[0], "finding_info.uid"), get(evs[1], "finding_info.uid"), get(evs[2], "finding_info.uid")
	if u0 != u1 || u0 == u2 || !strings.HasPrefix(fmt.Sprint(u0), "vigil-") {
		t.Errorf("finding uids %v %v %v: want equal for the same finding, different otherwise", u0, u1, u2)
	}
	check(t, evs[0], 2002, 1)
	want(t, evs[0], "severity_id", 5, "vulnerabilities.0.cve.cvss", nil, "vulnerabilities.0.is_fix_available", nil)
}

// TestMinimal: events with next to no fields still carry every required
// attribute, filled with the schema's fallbacks.
func TestMinimal(t *testing.T) {
	for _, c := range []struct {
		e        *event.Event
		class    int
		activity int
	}{
		{&event.Event{}, 6003, 0},
		{&event.Event{Dataset: event.Compute}, 6003, 0},
		{&event.Event{Dataset: event.Authentication}, 3002, 0},
		{&event.Event{Dataset: event.Security, EventName: "DeleteUser"}, 3001, 6},
		{&event.Event{Dataset: event.NetworkTraffic}, 4001, 0},
		{&event.Event{Dataset: event.NetworkTraffic, Action: "blocked"}, 4001, 6},
		{&event.Event{Dataset: event.Vulnerability}, 2002, 0},
		{&event.Event{Dataset: event.Vulnerability, Vendor: event.VendorAzure}, 2002, 0},
		{&event.Event{Vendor: event.VendorAWS, UserType: "AWSService"}, 6003, 0},
		{&event.Event{Dataset: event.Authentication, CredentialID: "AKIA"}, 3002, 0},
		{&event.Event{Vendor: event.VendorKubernetes, Dataset: event.Container, Region: "r", Account: "a"}, 6003, 0},
	} {
		ev := encode(t, c.e)[0]
		check(t, ev, c.class, c.activity)
	}
	ev := encode(t, &event.Event{})[0]
	want(t, ev, "metadata.product.vendor_name", "Unknown", "metadata.product.name", "Unknown",
		"actor.user.name", "Unknown", "api.operation", "Unknown", "src_endpoint.name", "Unknown",
		"cloud", nil, "unmapped", nil)
	ev = encode(t, &event.Event{Vendor: event.VendorKubernetes, Region: "r", Account: "a"})[0]
	want(t, ev, "cloud", nil, "unmapped.region", "r", "unmapped.account", "a")
}

// TestNothingLost fills every data model field and checks, for each
// class, that every value shows up in the output: mapped, or under
// unmapped.
func TestNothingLost(t *testing.T) {
	for _, c := range []struct {
		ds       event.Dataset
		name     string
		class    int
		activity int
	}{
		{event.Storage, "", 6003, 99},
		{event.Authentication, "", 3002, 99},
		{event.Security, "CreateUser", 3001, 1},
		{event.NetworkTraffic, "", 4001, 99},
		{event.Vulnerability, "", 2002, 99},
	} {
		e := &event.Event{Time: t0}
		for i, f := range event.Fields {
			switch f.Kind {
			case event.KindTime:
			case event.KindInt:
				f.SetNumber(e, float64(1000+i))
			case event.KindFloat:
				f.SetNumber(e, 7.25)
			default:
				f.Set(e, "v-"+f.Name)
			}
		}
		e.Dataset, e.EventName = c.ds, c.name
		if c.name == "" {
			e.EventName = "v-event_name"
		}
		ev := encode(t, e)[0]
		check(t, ev, c.class, c.activity)
		leaves := map[string]bool{}
		collect(ev, leaves)
		for i, f := range event.Fields {
			var s string
			switch f.Kind {
			case event.KindTime:
				s = fmt.Sprint(float64(t0.UnixMilli()))
			case event.KindInt:
				n := float64(1000 + i)
				if f.Name == "duration" && c.class == 4001 {
					n *= 1000 // seconds → milliseconds
				}
				s = fmt.Sprint(n)
			case event.KindFloat:
				s = fmt.Sprint(7.25)
			default:
				s = f.String(e)
			}
			if !leaves[s] {
				t.Errorf("class %d: %s = %q is not in the output", c.class, f.Name, s)
			}
		}
	}
}

func collect(v any, into map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, y := range x {
			collect(y, into)
		}
	case []any:
		for _, y := range x {
			collect(y, into)
		}
	default:
		into[fmt.Sprint(x)] = true
	}
}

// TestEscaping: quotes, backslashes, control characters, line separators
// and invalid UTF-8 in any field or in the raw record still give valid
// JSON, and valid text round-trips exactly.
func TestEscaping(t *testing.T) {
	nasty := []string{
		`say "hi"`, `back\slash`, "nul\x00 bel\x07 esc\x1b", "tab\tnl\ncr\r", "ls\u2028ps\u2029",
		"bad\xff\xfeutf8", "trunc\xe2\x82", `</script><!--&`, "ok ünïcödé 漢字 🚀",
	}
	var events []*event.Event
	for i, s := range nasty {
		for _, ds := range []event.Dataset{event.Storage, event.Authentication, event.NetworkTraffic, event.Vulnerability} {
			e := &event.Event{Time: t0, Dataset: ds, Raw: []byte(`{"k":"` + s + `"}` + "\xff")}
			for _, f := range event.Fields {
				if f.Kind == event.KindString || f.Kind == event.KindList {
					f.Set(e, s)
				}
			}
			e.Dataset = ds
			e.Vendor = "aws"
			e.Status = event.StatusFailure
			e.V().CVSSScore = math.NaN() // not representable in JSON: left out
			_ = i
			events = append(events, e)
		}
	}
	evs := encode(t, events...)
	for i, ev := range evs {
		s := nasty[i/4]
		for _, err := range validate(ev) {
			t.Errorf("%q: %s", s, err)
		}
		leaves := map[string]bool{}
		collect(ev, leaves)
		for l := range leaves {
			if !utf8.ValidString(l) {
				t.Errorf("invalid UTF-8 after decoding: %q", l)
			}
		}
		if utf8.ValidString(s) {
			if !leaves[s] {
				t.Errorf("%q did not round-trip", s)
			}
		} else if !leaves[strings.ToValidUTF8(s, "\uFFFD")] && !leaves[perByteReplace(s)] {
			t.Errorf("%q not written with replacement characters", s)
		}
		if raw, _ := ev["raw_data"].(string); !strings.HasSuffix(raw, "\uFFFD") {
			t.Errorf("raw_data %q", raw)
		}
	}
}

func perByteReplace(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func TestOneLinePerEvent(t *testing.T) {
	var buf bytes.Buffer
	w := ocsf.New(&buf)
	e := &event.Event{Time: t0, Msg: "line1\nline2", Raw: []byte("{\n  \"pretty\": true\n}")}
	for i := 0; i < 3; i++ {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Errorf("%d newlines for 3 events", n)
	}
}

func BenchmarkWrite(b *testing.B) {
	e := &event.Event{
		Time: t0, Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail", Dataset: event.Storage,
		Tags: []string{"AwsApiCall"}, EventName: "GetObject", Action: "get", Status: event.StatusSuccess,
		Src: "198.51.100.23", SrcIP: "198.51.100.23", SrcUser: "arn:aws:iam::111122223333:user/alice",
		UserType: "IAMUser", Account: "111122223333", Region: "eu-west-1", UserAgent: "aws-cli/2",
		Dest: "prod-logs", EventID: "7e1c9a2e", CredentialID: "AKIAIOSFODNN7EXAMPLE",
	}
	e.S().BucketName, e.S().ObjectPath = "prod-logs", "2024/05/01/app.log"
	w := ocsf.New(discard{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := w.Write(e); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
