package azurensgflow_test

import (
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/azurensgflow"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

// The corpus has no flow logs: these synthetic files follow the layout of
// Microsoft's documented examples (an insights-logs-networksecuritygroupflowevent
// PT1H.json blob, and a VNet flow log blob).
const (
	nsgV2 = `{"records":[{"time":"2024-06-11T12:00:35.3899262Z","systemId":"5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d","macAddress":"002248A1B2C3","category":"NetworkSecurityGroupFlowEvent","resourceId":"/SUBSCRIPTIONS/3F2504E0-4F89-41D3-9A0C-0305E82C3301/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG","operationName":"NetworkSecurityGroupFlowEvents","properties":{"Version":2,"flows":[` +
		`{"rule":"DefaultRule_DenyAllInBound","flows":[{"mac":"002248A1B2C3","flowTuples":["1718107202,185.220.101.45,10.20.1.4,52814,3389,T,I,D,B,,,,","1718107213,45.155.205.99,10.20.1.4,40122,22,T,I,D,B,,,,","1718107220,198.51.100.61,10.20.1.4,5060,5060,U,I,D,B,,,,"]}]},` +
		`{"rule":"UserRule_allow-https","flows":[{"mac":"002248A1B2C3","flowTuples":["1718107180,203.0.113.77,10.20.1.4,61544,443,T,I,A,B,,,,","1718107181,203.0.113.77,10.20.1.4,61544,443,T,I,A,C,30,16978,24,14008","1718107232,203.0.113.77,10.20.1.4,61544,443,T,I,A,E,12,4230,9,20580"]}]},` +
		`{"rule":"DefaultRule_AllowInternetOutBound","flows":[{"mac":"002248A1B2C3","flowTuples":["1718107190,10.20.1.4,20.60.153.1,49822,443,T,O,A,E,8,1820,7,6215"]}]}]}}]}`

	nsgV1 = `{"records":[{"time":"2017-02-16T22:00:32.8950000Z","systemId":"a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d","category":"NetworkSecurityGroupFlowEvent","resourceId":"/SUBSCRIPTIONS/3F2504E0-4F89-41D3-9A0C-0305E82C3301/RESOURCEGROUPS/LEGACY-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/JUMPBOX-NSG","operationName":"NetworkSecurityGroupFlowEvents","properties":{"Version":1,"flows":[{"rule":"UserRule_default-allow-rdp","flows":[{"mac":"000D3AF8801A","flowTuples":["1487282370,192.0.2.17,10.1.0.4,61771,3389,T,I,A","1487282393,203.0.113.34,10.1.0.4,58596,3389,T,I,A"]}]}]}}]}`

	vnet = `{"records":[{"time":"2024-06-11T09:00:52.5625085Z","flowLogVersion":4,"flowLogGUID":"6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d","macAddress":"00224871C205","category":"FlowLogFlowEvent","flowLogResourceID":"/SUBSCRIPTIONS/3F2504E0-4F89-41D3-9A0C-0305E82C3301/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_WESTEUROPE/FLOWLOGS/VNETFLOWLOG","targetResourceID":"/subscriptions/3f2504e0-4f89-41d3-9a0c-0305e82c3301/resourceGroups/prod-rg/providers/Microsoft.Network/virtualNetworks/prod-vnet","operationName":"FlowLogFlowEvent","flowRecords":{"flows":[` +
		`{"aclID":"7c1d2e3f-aaaa-4b5c-8d9e-0f1a2b3c4d5e","flowGroups":[{"rule":"DefaultRule_AllowInternetOutBound","flowTuples":["1718096403599,10.0.0.6,52.239.184.180,23956,443,6,O,B,NX,0,0,0,0","1718096403606,10.0.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580","1718096404251,10.0.0.6,10.0.1.9,22732,1433,6,O,C,X,12,3300,10,9120"]}]},` +
		`{"aclID":"8d2e3f4a-bbbb-4c5d-9e0f-1a2b3c4d5e6f","flowGroups":[{"rule":"BlockHighRiskTCPPortsFromInternet","flowTuples":["1718096398065,101.33.218.153,10.0.0.6,55188,22,6,I,D,NX,0,0,0,0"]},{"rule":"Internet","flowTuples":["1718096399563,2001:db8:85a3::8a2e:370:7334,10.0.0.6,50557,44357,17,I,D,NX_HW_NOT_SUPPORTED,0,0,0,0"]}]}]}}]}`
)

func readAll(t *testing.T, data string, force source.Format) []*event.Event {
	t.Helper()
	evs, st := sourcetest.ReadAll("flows.json", []byte(data), components.Formats(), force)
	if n := st.ByFormat[azurensgflow.Name]; n == 0 {
		t.Fatalf("no record read as %s: %v", azurensgflow.Name, st.ByFormat)
	}
	for _, e := range evs {
		if e.Vendor != event.VendorAzure {
			t.Fatalf("event from another format: %s", event.AppendJSON(nil, e, false))
		}
	}
	return evs
}

func TestNSGVersion2(t *testing.T) {
	evs := readAll(t, nsgV2, nil)
	if len(evs) != 7 {
		t.Fatalf("got %d events, want 7", len(evs))
	}
	sourcetest.Expect(t, evs[0], map[string]string{
		"dataset": "Network_Traffic", "vendor_product": "Azure NSG flow logs", "event_name": "NetworkSecurityGroupFlowEvents",
		"time": "2024-06-11T12:00:02Z", "src_ip": "185.220.101.45", "dest_ip": "10.20.1.4", "src_port": "52814", "dest_port": "3389",
		"transport": "tcp", "direction": "inbound", "action": "blocked", "rule": "DefaultRule_DenyAllInBound", "dvc": "002248A1B2C3",
		"vpc": "WEB-NSG", "account": "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "tags": "begin", "bytes": "", "packets": "",
		"dest": "/SUBSCRIPTIONS/3F2504E0-4F89-41D3-9A0C-0305E82C3301/RESOURCEGROUPS/PROD-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/WEB-NSG",
	})
	sourcetest.Expect(t, evs[2], map[string]string{"transport": "udp", "dest_port": "5060", "action": "blocked"})
	sourcetest.Expect(t, evs[4], map[string]string{
		"action": "allowed", "rule": "UserRule_allow-https", "tags": "continuing", "packets": "54", "bytes": "30986",
	})
	sourcetest.Expect(t, evs[5], map[string]string{"tags": "end", "packets": "21", "bytes": "24810"})
	sourcetest.Expect(t, evs[6], map[string]string{
		"direction": "outbound", "src_ip": "10.20.1.4", "dest_ip": "20.60.153.1", "action": "allowed", "rule": "DefaultRule_AllowInternetOutBound",
	})
}

func TestNSGVersion1(t *testing.T) {
	evs := readAll(t, nsgV1, nil)
	if len(evs) != 2 {
		t.Fatalf("got %d events, want 2", len(evs))
	}
	sourcetest.Expect(t, evs[1], map[string]string{
		"time": "2017-02-16T21:59:53Z", "src_ip": "203.0.113.34", "dest_port": "3389", "action": "allowed", "direction": "inbound",
		"tags": "", "packets": "", "dvc": "000D3AF8801A", "vpc": "JUMPBOX-NSG", "rule": "UserRule_default-allow-rdp",
	})
}

func TestVNet(t *testing.T) {
	evs := readAll(t, vnet, nil)
	if len(evs) != 5 {
		t.Fatalf("got %d events, want 5", len(evs))
	}
	sourcetest.Expect(t, evs[1], map[string]string{
		"vendor_product": "Azure VNet flow logs", "event_name": "FlowLogFlowEvent", "time": "2024-06-11T09:00:03.606Z",
		"src_ip": "10.0.0.6", "dest_ip": "52.239.184.180", "transport": "tcp", "direction": "outbound", "action": "allowed",
		"tags": "end", "packets": "5", "bytes": "2347", "dvc": "00224871C205", "vpc": "prod-vnet",
		"account": "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "rule": "DefaultRule_AllowInternetOutBound",
	})
	sourcetest.Expect(t, evs[2], map[string]string{"tags": "continuing,encrypted", "dest_port": "1433"})
	sourcetest.Expect(t, evs[3], map[string]string{"action": "blocked", "tags": "denied", "rule": "BlockHighRiskTCPPortsFromInternet", "dest_port": "22"})
	sourcetest.Expect(t, evs[4], map[string]string{
		"src_ip": "2001:db8:85a3::8a2e:370:7334", "transport": "udp", "action": "blocked", "tags": "denied,NX_HW_NOT_SUPPORTED",
	})
}

// TestSharedTags: events share their state's tag slice; adding a tag to
// one must not change another.
func TestSharedTags(t *testing.T) {
	evs := readAll(t, nsgV2, nil)
	evs[0].AddTag("x")
	if got := sourcetest.Field(evs[1], "tags"); got != "begin" {
		t.Fatalf("tags of another event changed: %q", got)
	}
}

func TestFragments(t *testing.T) {
	f := azurensgflow.New()
	// no category, one good and one bad tuple
	evs := sourcetest.MustParse(t, f, `{"properties":{"flows":[{"rule":"r","flows":[{"mac":"m","flowTuples":["1542110377,94.102.49.190,10.5.16.4,28746,443,U,I,D,B,,,,","garbage",7]}]}]}}`)
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
	sourcetest.Expect(t, evs[0], map[string]string{"src_ip": "94.102.49.190", "action": "blocked", "transport": "udp", "rule": "r", "dvc": "m"})
	// odd values are left out, not guessed
	evs = sourcetest.MustParse(t, f, `{"category":"NetworkSecurityGroupFlowEvent","properties":{"flows":[{"flows":[{"flowTuples":["x,not-an-ip,10.0.0.1,-1,99999999999999999999,Q,Z,?"]}]}]}}`)
	sourcetest.Expect(t, evs[0], map[string]string{"src_ip": "", "dest_ip": "10.0.0.1", "src_port": "", "dest_port": "", "transport": "", "direction": "", "action": ""})

	for _, rec := range []string{
		`{"category":"NetworkSecurityGroupFlowEvent"}`,
		`{"category":"NetworkSecurityGroupFlowEvent","properties":{"flows":[{"flows":[{"flowTuples":["1,2,3"]}]}]}}`,
		`{"category":"Administrative"}`,
		`[]`,
	} {
		if evs, err := sourcetest.Parse(f, []byte(rec)); err == nil || len(evs) != 0 {
			t.Errorf("%s: want an error and no event, got %v, %d events", rec, err, len(evs))
		}
	}
}

func TestDetect(t *testing.T) {
	f := azurensgflow.New()
	for _, s := range []string{
		`{"category":"NetworkSecurityGroupFlowEvent"}`, `{"operationName":"NetworkSecurityGroupFlowEvents"}`, `{"category":"FlowLogFlowEvent"}`,
	} {
		if !f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect rejects %s", s)
		}
	}
	for _, s := range []string{
		`{"category":"Administrative","operationName":"Microsoft.Network/networkSecurityGroups/write"}`,
		`{"category":"NetworkSecurityGroupEvent","operationName":"NetworkSecurityGroupEvents"}`,
		`{"category":"SignInLogs"}`, `{"flowTuples":[]}`,
	} {
		if f.Detect(fastjson.MustParse(s)) {
			t.Errorf("Detect accepts %s", s)
		}
	}
}

// TestAzureCorpusNotTaken: no activity, sign-in or AKS record is taken.
func TestAzureCorpusNotTaken(t *testing.T) {
	f := azurensgflow.New()
	for _, rel := range []string{"azure/activity/panther-tests.jsonl", "azure/signin/panther-tests.jsonl", "azure/aks/panther-tests.jsonl"} {
		for i, l := range sourcetest.Lines(t, sourcetest.Corpus(t, rel)) {
			if f.Detect(fastjson.MustParseBytes(l)) {
				t.Errorf("%s line %d: taken by %s", rel, i+1, azurensgflow.Name)
			}
		}
	}
}

func BenchmarkParse(b *testing.B) {
	f := azurensgflow.New()
	// one record, 7 tuples
	rec := []byte(strings.TrimSuffix(strings.TrimPrefix(nsgV2, `{"records":[`), `]}`))
	var p fastjson.Parser
	v, err := p.ParseBytes(rec)
	if err != nil {
		b.Fatal(err)
	}
	r := &source.Record{JSON: v, Text: rec}
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Parse(r, func(*event.Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{nsgV2, nsgV1, vnet,
		`{"category":"NetworkSecurityGroupFlowEvent","properties":{"flows":[{"rule":"r","flows":[{"mac":"m","flowTuples":["1,::1,10.0.0.1,1,2,T,I,A,C,1,2,3,4,5,6,7"]}]}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, azurensgflow.New(), components.Formats(), data)
	})
}
