package gcpvpcflow_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source/gcpvpcflow"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// No corpus holds GCP flow or firewall logs, so these synthetic entries
// follow Google's documented record formats ("About VPC Flow Logs records",
// "Firewall Rules Logging"): int64 counters are JSON strings, ports and
// protocol numbers.
const (
	flowSrc = `{"insertId":"1l4dz5jf1h0qsw","jsonPayload":{"bytes_sent":"30560","connection":{"dest_ip":"142.250.72.110","dest_port":443,"protocol":6,"src_ip":"10.128.0.5","src_port":51234},"dest_location":{"asn":15169,"city":"Mountain View","continent":"America","country":"usa","region":"California"},"end_time":"2026-10-14T08:00:05.312Z","packets_sent":"140","reporter":"SRC","rtt_msec":"12","src_instance":{"project_id":"acme-prod","region":"us-central1","vm_name":"web-1","zone":"us-central1-a"},"src_vpc":{"project_id":"acme-prod","subnetwork_name":"default","vpc_name":"default"},"start_time":"2026-10-14T08:00:00.102Z"},"logName":"projects/acme-prod/logs/compute.googleapis.com%2Fvpc_flows","receiveTimestamp":"2026-10-14T08:00:12.1Z","resource":{"labels":{"location":"us-central1-a","project_id":"acme-prod","subnetwork_id":"7711223344556677889","subnetwork_name":"default"},"type":"gce_subnetwork"},"timestamp":"2026-10-14T08:00:10.5Z"}`

	flowDest = `{"insertId":"9x8y7z","jsonPayload":{"bytes_sent":"1200","connection":{"dest_ip":"10.20.0.9","dest_port":5432,"protocol":6,"src_ip":"10.10.0.4","src_port":40001},"dest_instance":{"project_id":"acme-data","region":"europe-west1","vm_name":"pg-primary","zone":"europe-west1-b"},"dest_vpc":{"project_id":"acme-data","subnetwork_name":"db","vpc_name":"data-vpc"},"end_time":"2026-10-14T09:00:30Z","packets_sent":"10","reporter":"DEST","src_instance":{"project_id":"acme-prod","region":"europe-west1","vm_name":"app-3","zone":"europe-west1-c"},"src_vpc":{"project_id":"acme-prod","subnetwork_name":"apps","vpc_name":"app-vpc"},"start_time":"2026-10-14T09:00:00Z"},"logName":"projects/acme-data/logs/compute.googleapis.com%2Fvpc_flows","resource":{"labels":{"location":"europe-west1-b","project_id":"acme-data","subnetwork_id":"55","subnetwork_name":"db"},"type":"gce_subnetwork"},"timestamp":"2026-10-14T09:00:31Z"}`

	firewallDenied = `{"insertId":"ab12cd","jsonPayload":{"connection":{"dest_ip":"10.128.0.7","dest_port":22,"protocol":6,"src_ip":"203.0.113.50","src_port":40112},"disposition":"DENIED","instance":{"project_id":"acme-prod","region":"us-central1","vm_name":"bastion","zone":"us-central1-b"},"remote_location":{"continent":"Asia","country":"sgp"},"rule_details":{"action":"DENY","direction":"INGRESS","ip_port_info":[{"ip_protocol":"ALL"}],"priority":65000,"reference":"network:default/firewall:deny-all-ingress","source_range":["0.0.0.0/0"],"target_tag":["bastion"]},"vpc":{"project_id":"acme-prod","subnetwork_name":"default","vpc_name":"default"}},"logName":"projects/acme-prod/logs/compute.googleapis.com%2Ffirewall","receiveTimestamp":"2026-10-14T10:00:03Z","resource":{"labels":{"location":"us-central1-b","project_id":"acme-prod","subnetwork_id":"77","subnetwork_name":"default"},"type":"gce_subnetwork"},"timestamp":"2026-10-14T10:00:01.25Z"}`

	firewallEgress = `{"insertId":"fw2","jsonPayload":{"connection":{"dest_ip":"198.51.100.200","dest_port":53,"protocol":17,"src_ip":"10.128.0.9","src_port":33000},"disposition":"ALLOWED","instance":{"project_id":"acme-prod","region":"us-central1","vm_name":"worker-2","zone":"us-central1-f"},"remote_location":{"continent":"America","country":"usa"},"rule_details":{"action":"ALLOW","destination_range":["0.0.0.0/0"],"direction":"EGRESS","ip_port_info":[{"ip_protocol":"UDP","port_range":["53"]}],"priority":1000,"reference":"network:default/firewall:allow-dns-egress"},"vpc":{"project_id":"acme-prod","subnetwork_name":"default","vpc_name":"default"}},"logName":"projects/acme-prod/logs/compute.googleapis.com%2Ffirewall","resource":{"labels":{"location":"us-central1-f","project_id":"acme-prod","subnetwork_id":"77","subnetwork_name":"default"},"type":"gce_subnetwork"},"timestamp":"2026-10-14T11:00:00Z"}`

	// bigQueryFlow is a row of the compute_googleapis_com_vpc_flows
	// export table: INTEGER columns as numbers, TIMESTAMP as text.
	bigQueryFlow = `{"logName":"projects/acme-prod/logs/compute.googleapis.com%2Fvpc_flows","resource":{"type":"gce_subnetwork","labels":{"project_id":"acme-prod","subnetwork_name":"default","location":"us-east1-b"}},"jsonPayload":{"connection":{"src_ip":"10.142.0.3","src_port":123,"dest_ip":"169.254.169.254","dest_port":123,"protocol":17},"reporter":"SRC","bytes_sent":76,"packets_sent":1,"start_time":"2026-10-14 12:00:00.000 UTC","end_time":"2026-10-14 12:00:00.400 UTC","src_instance":{"project_id":"acme-prod","vm_name":"ntp-client","region":"us-east1","zone":"us-east1-b"}},"timestamp":"2026-10-14 12:00:02.000 UTC","insertId":"bqf1"}`
)

var samples = []string{flowSrc, flowDest, firewallDenied, firewallEgress, bigQueryFlow}

func TestRepresentativeEvents(t *testing.T) {
	f := gcpvpcflow.New()
	cases := []struct {
		name   string
		record string
		want   map[string]string
	}{
		{
			name:   "flow reported by the source VM",
			record: flowSrc,
			want: map[string]string{"dataset": "Network_Traffic", "vendor_product": "GCP VPC Flow Logs", "event_name": "vpc-flow", "action": "allowed", "status": "success",
				"src_ip": "10.128.0.5", "src_port": "51234", "dest_ip": "142.250.72.110", "dest_port": "443", "transport": "tcp", "bytes": "30560", "packets": "140",
				"duration": "5", "direction": "outbound", "vpc": "default", "dvc": "web-1", "account": "acme-prod", "region": "us-central1",
				"time": "2026-10-14T08:00:10.5Z", "event_id": "1l4dz5jf1h0qsw", "tags": "vpc_flows,SRC", "rule": ""},
		},
		{
			name:   "flow reported by the destination VM",
			record: flowDest,
			want: map[string]string{"direction": "inbound", "dvc": "pg-primary", "vpc": "data-vpc", "account": "acme-data", "region": "europe-west1",
				"duration": "30", "dest_port": "5432", "bytes": "1200"},
		},
		{
			name:   "firewall deny of inbound SSH",
			record: firewallDenied,
			want: map[string]string{"dataset": "Network_Traffic", "vendor_product": "GCP Firewall Rules Logging", "event_name": "firewall", "action": "blocked",
				"rule": "network:default/firewall:deny-all-ingress", "direction": "inbound", "dvc": "bastion", "vpc": "default", "src_ip": "203.0.113.50",
				"dest_port": "22", "transport": "tcp", "account": "acme-prod", "region": "us-central1", "tags": "firewall,DENIED", "time": "2026-10-14T10:00:01.25Z",
				"bytes": "", "duration": ""},
		},
		{
			name:   "firewall allow of outbound DNS",
			record: firewallEgress,
			want:   map[string]string{"action": "allowed", "direction": "outbound", "transport": "udp", "dest_port": "53", "rule": "network:default/firewall:allow-dns-egress"},
		},
		{
			name:   "BigQuery export row",
			record: bigQueryFlow,
			want: map[string]string{"event_name": "vpc-flow", "transport": "udp", "bytes": "76", "packets": "1", "dvc": "ntp-client", "time": "2026-10-14T12:00:02Z",
				"duration": "", "region": "us-east1", "event_id": "bqf1"},
		},
		{
			name:   "intercepted by a firewall policy",
			record: strings.Replace(firewallDenied, `"DENIED"`, `"INTERCEPTED"`, 1),
			want:   map[string]string{"action": "allowed", "tags": "firewall,INTERCEPTED"},
		},
		{
			name:   "bare payload",
			record: `{"connection":{"src_ip":"10.0.0.1","src_port":1,"dest_ip":"10.0.0.2","dest_port":2,"protocol":1},"reporter":"DEST","start_time":"2026-10-14T13:00:00Z","end_time":"2026-10-14T13:00:05Z"}`,
			want:   map[string]string{"transport": "icmp", "direction": "inbound", "time": "2026-10-14T13:00:05Z", "duration": "5"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := sourcetest.MustParse(t, f, c.record)
			if len(evs) != 1 {
				t.Fatalf("got %d events", len(evs))
			}
			if evs[0].Vendor != event.VendorGCP {
				t.Errorf("vendor %q", evs[0].Vendor)
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestDetect(t *testing.T) {
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{flowSrc, true},
		{firewallDenied, true},
		{bigQueryFlow, true},
		{`{"logName":"projects/p/logs/compute.googleapis.com%2Fvpc_flows","jsonPayload":{"connection":{"src_ip":"10.0.0.1"}}}`, true},
		// Audit log entries are protoPayload.
		{`{"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"serviceName":"compute.googleapis.com","methodName":"v1.compute.firewalls.insert"}}`, false},
		// Other jsonPayload logs.
		{`{"logName":"projects/p/logs/stdout","jsonPayload":{"message":"hello","connection":"keep-alive"}}`, false},
		{`{"jsonPayload":{"connection":{"src_ip":"10.0.0.1"}}}`, false},
	} {
		evs, st := sourcetest.ReadAll("t", []byte(c.rec), components.Formats(), nil)
		got := st.ByFormat[gcpvpcflow.Name] == 1
		if got != c.want {
			t.Errorf("%.120s: detected as gcp-vpcflow %v, want %v (%d events, %v)", c.rec, got, c.want, len(evs), st.ByFormat)
		}
	}
}

// TestSamples stands in for a corpus test: every sample parses with the
// format forced and is detected automatically, alone, as JSON lines, and
// inside a Pub/Sub push envelope.
func TestSamples(t *testing.T) {
	detected := 0
	for i, s := range samples {
		if evs, err := sourcetest.Parse(gcpvpcflow.New(), []byte(s)); err != nil || len(evs) != 1 {
			t.Errorf("sample %d: %d events, %v", i, len(evs), err)
		}
		if _, st := sourcetest.ReadAll("s.json", []byte(s), components.Formats(), nil); st.ByFormat[gcpvpcflow.Name] == 1 {
			detected++
		}
	}
	t.Logf("%d samples, %.1f%% detected as gcp-vpcflow", len(samples), 100*float64(detected)/float64(len(samples)))
	if detected != len(samples) {
		t.Errorf("only %d of %d detected", detected, len(samples))
	}
	evs, st := sourcetest.ReadAll("all.jsonl", []byte(strings.Join(samples, "\n")), components.Formats(), nil)
	if len(evs) != len(samples) || st.ByFormat[gcpvpcflow.Name] != len(samples) {
		t.Errorf("JSON lines: %d events, %v", len(evs), st.ByFormat)
	}
	push := `{"message":{"data":"` + base64.StdEncoding.EncodeToString([]byte(firewallDenied)) + `","messageId":"42"},"subscription":"projects/acme-prod/subscriptions/fw"}`
	evs, _ = sourcetest.ReadAll("push.json", []byte(push), components.Formats(), nil)
	if len(evs) != 1 || evs[0].Action != "blocked" {
		t.Errorf("Pub/Sub push: %d events", len(evs))
	}
}

func TestNotAFlow(t *testing.T) {
	if _, err := sourcetest.Parse(gcpvpcflow.New(), []byte(`{"jsonPayload":{"message":"x"}}`)); err == nil {
		t.Error("no error for an entry without connection")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"jsonPayload":{"connection":{"protocol":"x","src_port":"-1"},"reporter":"SRC","start_time":"2026-10-14T13:00:05Z","end_time":"2026-10-14T13:00:00Z"}}`))
	f.Add([]byte(`{"jsonPayload":{"connection":{},"disposition":7,"rule_details":[]}}`))
	f.Add([]byte(`[` + flowSrc + `,` + firewallDenied + `]`))
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, gcpvpcflow.New(), formats, data)
	})
}
