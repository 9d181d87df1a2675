package geoip

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/vigilsec/vigil/internal/event"
)

// writeDB builds a small database with country and ASN data, as GeoLite2
// City and ASN databases lay them out.
func writeDB(t *testing.T, dbType string, nets map[string]mmdbtype.Map) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, IPVersion: 6, RecordSize: 28, IncludeReservedNetworks: true})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, data := range nets {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Insert(n, data); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := w.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return p
}

func country(iso string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(iso)}}
}

func TestEnrich(t *testing.T) {
	city := writeDB(t, "GeoLite2-City", map[string]mmdbtype.Map{
		"185.220.101.0/24": country("DE"),
		"2001:db8::/32":    country("NL"),
		"203.0.113.0/24":   {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("AU")}},
	})
	asn := writeDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"185.220.101.0/24": {"autonomous_system_number": mmdbtype.Uint32(208294), "autonomous_system_organization": mmdbtype.String("Example")},
	})
	db, err := Open(city, asn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, c := range []struct{ ip, country, asn string }{
		{"185.220.101.47", "DE", "208294"},
		{"2001:db8::7", "NL", ""},
		{"203.0.113.9", "AU", ""},
		{"198.51.100.1", "", ""},
		{"10.1.2.3", "", ""}, // private: not looked up
		{"not-an-ip", "", ""},
	} {
		for range 2 { // the second time from the cache
			e := &event.Event{SrcIP: c.ip}
			db.Enrich(e)
			if e.SrcCountry != c.country || e.SrcASN != c.asn {
				t.Errorf("%s: country %q asn %q, want %q %q", c.ip, e.SrcCountry, e.SrcASN, c.country, c.asn)
			}
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("no error for a missing database")
	}
}
