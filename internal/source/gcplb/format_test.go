package gcplb_test

import (
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/source/gcplb"
	"github.com/vigilsec/vigil/internal/source/sourcetest"
)

const (
	// allowed is a request to a global external application load
	// balancer, answered by its backend.
	allowed = `{"insertId":"1x2y3z4a5b6c","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"response_sent_by_backend","backendTargetProjectNumber":"projects/123456789012","cacheDecision":["RESPONSE_HAS_CONTENT_TYPE","CACHE_MODE_USE_ORIGIN_HEADERS"],"enforcedSecurityPolicy":{"name":"edge-policy","priority":2147483647,"configuredAction":"ALLOW","outcome":"ACCEPT"}},"httpRequest":{"requestMethod":"GET","requestUrl":"https://shop.example.com/api/cart?session=abc123","requestSize":"312","status":200,"responseSize":"1841","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","remoteIp":"198.51.100.23","serverIp":"10.128.0.7","latency":"0.041236s","protocol":"HTTP/1.1"},"resource":{"type":"http_load_balancer","labels":{"backend_service_name":"shop-backend","forwarding_rule_name":"shop-https-fr","project_id":"acme-prod","target_proxy_name":"shop-https-proxy","url_map_name":"shop-urlmap","zone":"global"}},"timestamp":"2026-10-14T08:00:01.123456Z","severity":"INFO","logName":"projects/acme-prod/logs/requests","trace":"projects/acme-prod/traces/0123","receiveTimestamp":"2026-10-14T08:00:02.001Z","spanId":"0a1b"}`
	// denied is a request Cloud Armor refused.
	denied = `{"insertId":"9q8w7e","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry","statusDetails":"denied_by_security_policy","enforcedSecurityPolicy":{"name":"edge-policy","priority":1000,"configuredAction":"DENY","outcome":"DENY","preconfiguredExprIds":["owasp-crs-v030001-id942100-sqli"]},"securityPolicyRequestData":{"remoteIpInfo":{"regionCode":"ZZ"}}},"httpRequest":{"requestMethod":"POST","requestUrl":"http://shop.example.com/login","requestSize":"845","status":403,"responseSize":"134","userAgent":"sqlmap/1.7.2#stable (https://sqlmap.org)","remoteIp":"203.0.113.77:51234","latency":"1.5s","protocol":"HTTP/1.1"},"resource":{"type":"http_load_balancer","labels":{"forwarding_rule_name":"shop-http-fr","project_id":"acme-prod","zone":"global"}},"timestamp":"2026-10-14T08:01:00Z","severity":"WARNING","logName":"projects/acme-prod/logs/requests"}`
	// regional is a regional internal application load balancer's log,
	// without the payload @type, told by its resource type.
	regional = `{"insertId":"r1","jsonPayload":{"statusDetails":"response_sent_by_backend"},"httpRequest":{"requestMethod":"GET","requestUrl":"https://api.internal.example/v1/items","status":503,"responseSize":"19","remoteIp":"[2001:db8::7]:40123","serverIp":"10.10.0.5:443","protocol":"HTTP/2.0"},"resource":{"type":"internal_http_lb_rule","labels":{"project_id":"acme-prod","region":"europe-west1","network_name":"core-vpc","forwarding_rule_name":"api-ilb"}},"timestamp":"2026-10-14T08:02:00Z","logName":"projects/acme-prod/logs/loadbalancing.googleapis.com%2Frequests"}`
)

func TestRequests(t *testing.T) {
	cases := []struct {
		name, record string
		want         map[string]string
	}{
		{"allowed", allowed, map[string]string{"dataset": "Network_Traffic", "vendor": "gcp", "vendor_product": "GCP Cloud Load Balancing",
			"time": "2026-10-14T08:00:01.123456Z", "event_id": "1x2y3z4a5b6c", "event_name": "GET", "action": "allowed", "status": "success",
			"src_ip": "198.51.100.23", "src": "198.51.100.23", "src_port": "", "dest_ip": "10.128.0.7", "dest_port": "443", "transport": "tcp", "direction": "inbound",
			"dest": "https://shop.example.com/api/cart", "bytes": "2153", "http_user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "account": "acme-prod",
			"region": "global", "dvc": "shop-https-fr", "rule": "edge-policy", "msg": "HTTP 200: response_sent_by_backend", "tags": "http_load_balancer,response_sent_by_backend"}},
		{"denied by Cloud Armor", denied, map[string]string{"action": "blocked", "status": "failure", "src_ip": "203.0.113.77", "src_port": "51234",
			"dest_port": "80", "dest": "http://shop.example.com/login", "duration": "1", "rule": "edge-policy", "http_user_agent": "sqlmap/1.7.2#stable (https://sqlmap.org)",
			"msg": "HTTP 403: denied_by_security_policy", "event_name": "POST"}},
		{"regional internal", regional, map[string]string{"action": "allowed", "status": "failure", "src_ip": "2001:db8::7", "src_port": "40123",
			"dest_ip": "10.10.0.5", "dest_port": "443", "region": "europe-west1", "vpc": "core-vpc", "bytes": "19", "msg": "HTTP 503: response_sent_by_backend"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, st := sourcetest.ReadAll("lb.json", []byte(c.record), components.Formats(), nil)
			if st.ByFormat[gcplb.Name] != 1 || len(evs) != 1 {
				t.Fatalf("detected as %v, %d events", st.ByFormat, len(evs))
			}
			sourcetest.Expect(t, evs[0], c.want)
		})
	}
}

func TestDetect(t *testing.T) {
	f := gcplb.New()
	for _, c := range []struct {
		rec  string
		want bool
	}{
		{allowed, true},
		{`{"httpRequest":{"status":200},"resource":{"type":"cloud_run_revision"},"logName":"projects/p/logs/run.googleapis.com%2Frequests"}`, false},
		{`{"httpRequest":"x","jsonPayload":{"@type":"type.googleapis.com/google.cloud.loadbalancing.type.LoadBalancerLogEntry"}}`, false},
		{`{"jsonPayload":{"connection":{}}}`, false},
	} {
		v := sourcetest.MustJSON(t, c.rec)
		if got := f.Detect(v); got != c.want {
			t.Errorf("%.80s: Detect %v, want %v", c.rec, got, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{allowed, denied, regional,
		`{"httpRequest":{"remoteIp":"[::1]:99999","serverIp":"1.2.3.4:0","requestSize":"-5","status":"x","latency":"NaNs"},"resource":{"type":"l7_lb_rule"}}`,
		`{"entries":[` + allowed + `,` + denied + `],"nextPageToken":"t"}`} {
		f.Add([]byte(s))
	}
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		sourcetest.Fuzz(t, gcplb.New(), formats, data)
	})
}
