package output_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/output"
)

func TestAlertWriters(t *testing.T) {
	a := &alert.Alert{ID: "0123456789abcdef0123456789abcdef", Time: time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC),
		Rule:    alert.Rule{ID: "r1", Title: "Password Spraying Against Cloud Sign-In", Level: "high", Type: "value_count", Correlation: true, Tags: []string{"attack.credential_access", "attack.t1110.003"}},
		GroupBy: []alert.KV{{Key: "src_ip", Value: "203.0.113.7"}}, Count: 6,
		Events: []*event.Event{{Time: time.Date(2026, 10, 14, 10, 0, 0, 0, time.UTC), Vendor: "azure", VendorProduct: "Microsoft Entra ID sign-in logs", EventName: "Sign-in activity", SrcUser: "alice@acme.example"}}}
	for _, c := range []struct{ format, want string }{
		{"json", `"id":"0123456789abcdef0123456789abcdef"`},
		{"table", "src_ip=203.0.113.7 Sign-in activity (6 events)"},
		{"ocsf", `"uid":"0123456789abcdef0123456789abcdef"`},
	} {
		var buf bytes.Buffer
		w, err := output.NewAlertWriter(c.format, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(a); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), c.want) {
			t.Errorf("%s: %q not in\n%s", c.format, c.want, buf.String())
		}
		if c.format != "table" && !json.Valid(bytes.TrimSpace(buf.Bytes())) {
			t.Errorf("%s: not JSON: %s", c.format, buf.String())
		}
	}
	if _, err := output.NewAlertWriter("xml", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("xml: %v", err)
	}
}
