package awsvpcflow_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/awsvpcflow"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

const corpusLog = "aws/vpcflow/panther-scenario-compromised-root-creds-attacker.log"

// parseLine reads one text line in the default format.
func parseLine(line string) ([]*event.Event, error) {
	var evs []*event.Event
	err := awsvpcflow.New().Parse(&source.Record{Text: []byte(line), Origin: event.Origin{File: "t", Line: 1, Index: -1}},
		func(e *event.Event) { evs = append(evs, e) })
	return evs, err
}

// readText runs the whole reader over a text file, forced or detected.
func readText(t *testing.T, data string, force bool) []*event.Event {
	t.Helper()
	var f source.Format
	if force {
		f = awsvpcflow.New()
	}
	evs, st := sourcetest.ReadAll("flow.log", []byte(data), components.Formats(), f)
	if st.SkippedTotal() != 0 {
		t.Fatalf("skipped %v", st.Skipped)
	}
	if st.ByFormat[awsvpcflow.Name] != st.Records {
		t.Fatalf("%d of %d records read as %s: %v", st.ByFormat[awsvpcflow.Name], st.Records, awsvpcflow.Name, st.ByFormat)
	}
	return evs
}

func TestDefaultFormat(t *testing.T) {
	cases := []struct {
		name, line string
		want       map[string]string
	}{
		{
			name: "accepted SSH (corpus line 1)",
			line: "2 493859302102 eni-0b13344793d4fde67 92.55.146.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 ACCEPT OK",
			want: map[string]string{"time": "2020-11-01T21:35:44Z", "duration": "16", "src_ip": "92.55.146.245", "src_port": "48316",
				"dest_ip": "172.31.77.31", "dest_port": "22", "transport": "tcp", "packets": "19", "bytes": "7119",
				"action": "allowed", "status": "success", "account": "493859302102", "dvc": "eni-0b13344793d4fde67",
				"dataset": "Network_Traffic", "event_name": "vpc-flow", "vendor": "aws", "vendor_product": "AWS VPC Flow Logs"},
		},
		{
			name: "rejected (corpus line 3)",
			line: "2 493859302102 eni-0b13344793d4fde67 172.31.77.31 172.31.77.1 443 48316 6 19 7119 1604266590 1604266591 REJECT OK",
			want: map[string]string{"action": "blocked", "status": "success", "src_port": "443", "dest_port": "48316", "duration": "1"},
		},
		{
			name: "ICMP with ports 0",
			line: "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK",
			want: map[string]string{"transport": "icmp", "src_port": "", "dest_port": "", "packets": "4", "duration": "115"},
		},
		{
			name: "IPv6, doubled space",
			line: "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105  2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK",
			want: map[string]string{"src_ip": "2001:db8:1234:a100:8d6e:3477:df66:f105", "dest_ip": "2001:db8:1234:a102:3304:8879:34cf:4071", "dest_port": "22"},
		},
		{
			name: "unlisted protocol, unknown account",
			line: "2 unknown eni-1235b8ca123456789 10.0.0.1 10.0.0.2 - - 47 3 300 1432917027 1432917142 ACCEPT OK",
			want: map[string]string{"transport": "47", "account": "", "src_port": ""},
		},
		{
			name: "SKIPDATA",
			line: "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA",
			want: map[string]string{"tags": "skipdata", "status": "failure", "action": "", "src_ip": "", "time": "2015-05-10T18:01:16Z", "dvc": "eni-11111111aaaaaaaaa"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := parseLine(c.line)
			if err != nil || len(evs) != 1 {
				t.Fatalf("%d events, err %v", len(evs), err)
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestNoData(t *testing.T) {
	// NODATA: no traffic in the capture window. Nothing happened, so no
	// event — and no error: the record is valid.
	evs, err := parseLine("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA")
	if err != nil || len(evs) != 0 {
		t.Fatalf("NODATA: %d events, err %v", len(evs), err)
	}
}

func TestBadLines(t *testing.T) {
	for _, c := range []struct{ line, field string }{
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 http 22 6 1 60 1432917027 1432917142 ACCEPT OK", "srcport"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 ssh 6 1 60 1432917027 1432917142 ACCEPT OK", "dstport"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 1 60 1432917027", "end"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 1 60 1432917027 1432917142 ACCEPT OK extra", "log-status"},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 1 60 yesterday 1432917142 ACCEPT OK", "start"},
	} {
		evs, err := parseLine(c.line)
		fe, ok := err.(*source.FieldError)
		if len(evs) != 0 || !ok || fe.Field != c.field {
			t.Errorf("%q: %d events, error %v, want an error on field %q", c.line, len(evs), err, c.field)
		}
	}
}

// v5 is a custom format with version 3–5 fields, as an S3 delivery file
// writes it: the header line names the fields.
const v5 = `version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status
5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK
5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK
5 10.0.0.220 10.0.1.5 443 51234 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 - eni-0aaa8b2c3d4e5f601 ap-southeast-2 apse2-az3 - - REJECT 4 203.0.113.5 10.0.1.5 - - - ingress OK
`

func TestCustomHeader(t *testing.T) {
	for _, force := range []bool{false, true} {
		evs := readText(t, v5, force)
		if len(evs) != 3 {
			t.Fatalf("force %v: %d events", force, len(evs))
		}
		sourcetest.Expect(t, evs[0], map[string]string{"direction": "inbound", "tcp_flag": "SYN,ACK,FIN", "src": "S3",
			"src_ip": "52.95.128.179", "dest_ip": "10.0.0.71", "src_port": "80", "dest_port": "34210", "vpc": "vpc-abcdefab012345678",
			"dest": "i-0c50d5961bcb2d47b", "dvc": "eni-1235b8ca123456789", "region": "ap-southeast-2", "account": "123456789012",
			"bytes": "15044", "packets": "14", "duration": "57", "action": "allowed", "time": "2021-03-26T03:28:12Z"})
		sourcetest.Expect(t, evs[1], map[string]string{"direction": "outbound", "tcp_flag": "SYN,FIN", "src": "",
			"tags": "pkt-dst-aws-service:S3"})
		// NAT gateway interface: pkt-srcaddr is the internet host behind srcaddr.
		sourcetest.Expect(t, evs[2], map[string]string{"src_ip": "203.0.113.5", "dest_ip": "10.0.1.5", "action": "blocked",
			"tcp_flag": "RST", "dest": ""})
		if evs[2].Origin.Line != 4 {
			t.Errorf("origin line %d, want 4", evs[2].Origin.Line)
		}
	}
}

func TestNewerFieldsAndConcatenatedHeaders(t *testing.T) {
	// Two delivery files with different formats, concatenated; the second
	// header names a field this table does not know (ignored), a v7 ECS
	// field and the v8 reject-reason.
	data := "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n" +
		"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n" +
		"version interface-id srcaddr dstaddr dstport protocol start end action log-status ecs-cluster-name reject-reason future-field\n" +
		"8 eni-1235b8ca123456789 198.51.100.7 10.0.0.5 5432 6 1718530010 1718530070 REJECT OK prod-cluster BPA x\n" +
		"version interface-id srcaddr dstaddr dstport protocol start end action log-status ecs-cluster-name reject-reason future-field\n"
	evs := readText(t, data, false)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	sourcetest.Expect(t, evs[1], map[string]string{"dest_port": "5432", "cluster": "prod-cluster", "rule": "BPA", "action": "blocked", "account": ""})
}

func TestCloudWatchLogsExport(t *testing.T) {
	// CloudWatch Logs export to S3 puts the ingestion timestamp before each message.
	data := "2020-11-01T21:35:44.000Z 2 493859302102 eni-0b13344793d4fde67 92.55.146.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 ACCEPT OK\n" +
		"2020-11-01T21:36:31.000Z 2 493859302102 eni-0b13344793d4fde67 172.31.77.31 172.31.77.1 443 48316 6 19 7119 1604266590 1604266591 REJECT OK\n"
	evs := readText(t, data, false)
	if len(evs) != 2 || evs[1].Action != "blocked" || evs[0].Network.DestPort != 22 {
		t.Fatalf("%d events: %+v", len(evs), evs)
	}
}

func TestCloudWatchLogsSubscription(t *testing.T) {
	payload := `{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"vpc-flow-logs","logStream":"eni-1235b8ca123456789-all","subscriptionFilters":["to-firehose"],"logEvents":[` +
		`{"id":"36487516385426413447896417158128430858227498384553426944","timestamp":1418530070000,"message":"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"},` +
		`{"id":"36487516385426413447896417158128430858227498384553426945","timestamp":1418530070000,"message":"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"},` +
		`{"id":"36487516385426413447896417158128430858227498384553426946","timestamp":1418530070000,"message":"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"}]}`
	evs, st := sourcetest.ReadAll("cwl.json", []byte(payload), components.Formats(), nil)
	if st.ByFormat[awsvpcflow.Name] != 1 || len(evs) != 2 {
		t.Fatalf("%d events, by format %v, skipped %v", len(evs), st.ByFormat, st.Skipped)
	}
	sourcetest.Expect(t, evs[1], map[string]string{"dest_port": "3389", "action": "blocked", "src_ip": "172.31.9.69"})
	if evs[1].Origin.Index != 2 || !bytes.HasPrefix(evs[1].Raw, []byte(`"2 123456789010`)) {
		t.Errorf("origin %+v raw %s", evs[1].Origin, evs[1].Raw)
	}
	control := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1772446500000,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`
	if evs, st := sourcetest.ReadAll("c.json", []byte(control), components.Formats(), awsvpcflow.New()); len(evs) != 0 || st.SkippedTotal() != 0 {
		t.Errorf("control message: %d events, skipped %v", len(evs), st.Skipped)
	}
}

func TestDetect(t *testing.T) {
	f := awsvpcflow.New().(source.TextFormat)
	for _, c := range []struct {
		first string
		want  bool
	}{
		{"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", true},
		{"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status", true},
		{"${version} ${vpc-id} ${srcaddr}", true},
		{"account_id action az_id bytes", true},
		{"instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr", true},
		{"hello there", false},
		{"version", false},
		{"srcaddr dstaddr something else entirely", false},
		{"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 MAYBE OK", false},
		{"Oct 14 08:00:00 host sshd[1]: Accepted publickey for root from 10.0.0.1 port 22 ssh2", false},
	} {
		if got := f.DetectText([]byte(c.first)); got != c.want {
			t.Errorf("DetectText(%q) = %v, want %v", c.first, got, c.want)
		}
	}
	// JSON: flow fields parsed by other tools are not the vendor's format.
	for _, l := range sourcetest.Lines(t, sourcetest.Corpus(t, "aws/vpcflow/panther-tests.jsonl")) {
		if _, st := sourcetest.ReadAll("p.jsonl", l, components.Formats(), nil); st.ByFormat[awsvpcflow.Name] != 0 {
			t.Errorf("Panther JSON detected as %s: %s", awsvpcflow.Name, l)
		}
	}
}

func TestCorpus(t *testing.T) {
	path := sourcetest.Corpus(t, corpusLog)
	lines := sourcetest.Lines(t, path)
	rejects := 0
	for i, l := range lines {
		evs, err := parseLine(string(l))
		if err != nil || len(evs) != 1 {
			t.Fatalf("line %d: %d events, err %v", i+1, len(evs), err)
		}
		e := evs[0]
		if e.Dataset != event.NetworkTraffic || e.SrcIP == "" || e.Network.DestIP == "" || e.Time.IsZero() || e.Account != "493859302102" {
			t.Errorf("line %d: incomplete event %s", i+1, event.AppendJSON(nil, e, false))
		}
		want := "allowed"
		if strings.Contains(string(l), " REJECT ") {
			want = "blocked"
			rejects++
		}
		if e.Action != want {
			t.Errorf("line %d: action %q, want %q", i+1, e.Action, want)
		}
	}
	if rejects != 1 {
		t.Errorf("%d REJECT lines, want 1", rejects)
	}
	data := bytes.Join(lines, []byte("\n"))
	evs, st := sourcetest.ReadAll(path, data, components.Formats(), nil)
	pct := 100 * float64(st.ByFormat[awsvpcflow.Name]) / float64(st.Records)
	t.Logf("%s: %d records, %d events, %.1f%% detected as %s", corpusLog, st.Records, len(evs), pct, awsvpcflow.Name)
	if pct < 95 || len(evs) != len(lines) {
		t.Errorf("detected %.1f%%, %d events", pct, len(evs))
	}
}

// TestNoAllocsPerField: the decoder splits lines in place; a line costs the
// event and its group (values repeat, so strings are interned).
func TestAllocsPerLine(t *testing.T) {
	line := []byte("2 493859302102 eni-0b13344793d4fde67 92.55.146.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 ACCEPT OK")
	dec, _ := awsvpcflow.New().(source.TextFormat).NewTextDecoder(line)
	rec := &source.Record{Text: line}
	emit := func(*event.Event) {}
	dec.ParseLine(rec, emit)
	if n := testing.AllocsPerRun(200, func() { dec.ParseLine(rec, emit) }); n > 2 {
		t.Errorf("%.1f allocations per line, want at most 2", n)
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range sourcetest.Lines(f, sourcetest.Corpus(f, corpusLog)) {
		f.Add(l)
	}
	f.Add([]byte(v5))
	f.Add([]byte("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA\n2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA\n"))
	f.Add([]byte("version interface-id srcaddr dstaddr dstport protocol start end action log-status ecs-cluster-name reject-reason tcp-flags\n8 eni-1 198.51.100.7 10.0.0.5 5432 6 1718530010 1718530070 REJECT OK prod BPA 999\n"))
	f.Add([]byte("2020-11-01T21:35:44.000Z 2 493859302102 eni-0b13344793d4fde67 92.55.146.245 172.31.77.31 48316 22 6 19 7119 1604266544 1604266560 ACCEPT OK\n"))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[{"message":"2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 1 1 2 ACCEPT OK"},{"message":7}]}`))
	for _, l := range []string{lineV5All, lineV3All, lineECS, lineTGW} {
		f.Add([]byte(l + "\n"))
		f.Add([]byte(`{"message":"` + l + `"}`))
	}
	f.Add([]byte(`{"events":[{"message":"` + lineTGW + `"},{"message":"2 1 eni-1 - - - - - - - 1 2 - NODATA"}]}`))
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, awsvpcflow.New(), formats, data)
	})
}

// Headerless lines of every format AWS writes by default, each told by its
// number of fields.
const (
	lineV5All = "5 123456789012 eni-0123456789abcdef0 10.0.1.5 52.94.133.131 49761 443 6 12 4812 1700000000 1700000060 ACCEPT OK vpc-0abc1234def567890 subnet-0abc1234def567890 i-0123456789abcdef0 19 IPv4 10.0.1.5 52.94.133.131 us-east-1 use1-az4 - - - S3 egress 8"
	lineV3All = "3 123456789012 eni-0123456789abcdef0 10.0.1.5 10.0.2.9 49761 22 6 3 180 1700000000 1700000060 REJECT OK vpc-0abc1234def567890 subnet-0abc1234def567890 i-0123456789abcdef0 2 IPv4 10.0.1.5 10.0.2.9"
	lineECS   = "7 123456789012 eni-0123456789abcdef1 10.0.3.7 10.0.1.5 8080 52011 6 20 9000 1700000000 1700000060 ACCEPT OK vpc-0abc1234def567890 subnet-0abc1234def567891 - 3 IPv4 10.0.3.7 10.0.1.5 us-east-1 use1-az4 - - - - ingress 1 arn:aws:ecs:us-east-1:123456789012:cluster/web web arn:aws:ecs:us-east-1:123456789012:container-instance/web/0123abcd 0123abcd 8d2f0e6b7a9c - web-svc arn:aws:ecs:us-east-1:123456789012:task-definition/web:3 arn:aws:ecs:us-east-1:123456789012:task/web/7e1f 7e1f"
	lineTGW   = "6 TransitGateway 123456789012 tgw-0a1b2c3d4e5f67890 tgw-attach-0a1b2c3d4e5f67891 123456789012 210987654321 vpc-0a1b2c3d4e5f67892 vpc-0a1b2c3d4e5f67893 subnet-0a1b2c3d4e5f67894 subnet-0a1b2c3d4e5f67895 eni-0a1b2c3d4e5f67896 eni-0a1b2c3d4e5f67897 use1-az1 use1-az2 tgw-attach-0a1b2c3d4e5f67898 10.0.1.10 10.1.2.20 50001 5432 6 10 840 1700000000 1700000060 OK IPv4 0 0 0 0 2 us-east-1 ingress - -"
)

func TestHeaderlessFormats(t *testing.T) {
	cases := []struct {
		name, line string
		want       map[string]string
	}{
		{"version 5 all fields (29)", lineV5All, map[string]string{"src_ip": "10.0.1.5", "dest_ip": "52.94.133.131", "dest_port": "443", "action": "allowed",
			"vpc": "vpc-0abc1234def567890", "dest": "i-0123456789abcdef0", "tcp_flag": "SYN,ACK,FIN", "region": "us-east-1", "direction": "outbound",
			"tags": "pkt-dst-aws-service:S3", "duration": "60", "account": "123456789012", "dvc": "eni-0123456789abcdef0"}},
		{"version 3 all fields (21)", lineV3All, map[string]string{"action": "blocked", "dest_port": "22", "tcp_flag": "SYN", "vpc": "vpc-0abc1234def567890"}},
		{"ECS-enriched, version 7 all fields (39)", lineECS, map[string]string{"cluster": "web", "src_port": "8080", "direction": "inbound", "dest": "", "tcp_flag": "SYN,FIN"}},
		{"transit gateway default (36)", lineTGW, map[string]string{"src_ip": "10.0.1.10", "dest_ip": "10.1.2.20", "dest_port": "5432", "transport": "tcp",
			"bytes": "840", "packets": "10", "action": "", "status": "success", "dvc": "tgw-attach-0a1b2c3d4e5f67891", "vpc": "vpc-0a1b2c3d4e5f67892",
			"tags": "tgw-id:tgw-0a1b2c3d4e5f67890", "account": "123456789012", "direction": "inbound", "time": "2023-11-14T22:13:20Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := readText(t, c.line+"\n"+c.line+"\n", false)
			if len(evs) != 2 {
				t.Fatalf("%d events", len(evs))
			}
			sourcetest.Expect(t, evs[1], c.want)
			evs, err := parseLine(c.line)
			if err != nil || len(evs) != 1 {
				t.Fatalf("Parse of a bare line: %d events, %v", len(evs), err)
			}
			sourcetest.Expect(t, evs[0], c.want)
			// A CloudWatch Logs export puts a timestamp first.
			evs = readText(t, "2023-11-14T22:13:20.000Z "+c.line+"\n", false)
			if len(evs) != 1 {
				t.Fatalf("export: %d events", len(evs))
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
	// A transit gateway line's field count with another resource type is no format.
	if (awsvpcflow.Format{}).DetectText([]byte(strings.Replace(lineTGW, "TransitGateway", "Other", 1))) {
		t.Error("36 fields without TransitGateway detected")
	}
}

func TestMessageObjects(t *testing.T) {
	data := `{"message":"` + lineV5All + `","timestamp":1700000061000,"logStream":"eni-0123456789abcdef0-all"}
{"message":"2 123456789012 eni-0123456789abcdef0 92.55.146.245 10.0.1.5 48316 22 6 19 7119 1604266544 1604266560 REJECT OK"}
{"message":"` + lineTGW + `"}
{"events":[{"logStreamName":"eni-1-all","timestamp":1700000061000,"message":"` + lineECS + `","ingestionTime":1700000062000,"eventId":"1"}],"searchedLogStreams":[]}
`
	evs, st := sourcetest.ReadAll("firehose.json", []byte(data), components.Formats(), nil)
	if st.SkippedTotal() != 0 || st.ByFormat[awsvpcflow.Name] != 4 || len(evs) != 4 {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	sourcetest.Expect(t, evs[0], map[string]string{"dest_port": "443", "vpc": "vpc-0abc1234def567890", "direction": "outbound"})
	sourcetest.Expect(t, evs[1], map[string]string{"action": "blocked", "src_ip": "92.55.146.245", "dest_port": "22"})
	sourcetest.Expect(t, evs[2], map[string]string{"dvc": "tgw-attach-0a1b2c3d4e5f67891", "dest_port": "5432"})
	sourcetest.Expect(t, evs[3], map[string]string{"cluster": "web", "src_port": "8080"})
	// A message that is no flow record is not this format's.
	_, st = sourcetest.ReadAll("app.json", []byte(`{"message":"GET /index.html 200"}`), components.Formats(), nil)
	if st.ByFormat[awsvpcflow.Name] != 0 {
		t.Errorf("an application log message detected as a flow record")
	}
}

func FuzzHeaderless(f *testing.F) {
	for _, l := range []string{lineV5All, lineV3All, lineECS, lineTGW} {
		f.Add([]byte(l))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, awsvpcflow.New(), components.Formats(), data)
	})
}
