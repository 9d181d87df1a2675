// Package geoip enriches events with the country and autonomous system of
// their source address, from MaxMind-format databases (.mmdb: GeoLite2 or
// GeoIP2 Country, City and ASN, or any database with the same fields).
package geoip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/vigilsec/vigil/internal/event"
)

// cacheMax bounds the per-address cache: cloud logs repeat a small set of
// source addresses, and a lookup decodes a record.
const cacheMax = 1 << 16

// DB looks addresses up in one or more databases; the first that knows a
// field wins. Not safe for concurrent use.
type DB struct {
	readers []*maxminddb.Reader
	cache   map[netip.Addr]result
}

type result struct{ country, asn string }

// record holds the fields vigil reads; a database may have any subset.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
	ASN uint32 `maxminddb:"autonomous_system_number"`
}

// Open opens the databases at paths.
func Open(paths ...string) (*DB, error) {
	if len(paths) == 0 {
		return nil, errors.New("geoip: no database given")
	}
	d := &DB{cache: map[netip.Addr]result{}}
	for _, p := range paths {
		r, err := maxminddb.Open(p)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("geoip: %s: %w", p, err)
		}
		d.readers = append(d.readers, r)
	}
	return d, nil
}

// Close closes the databases.
func (d *DB) Close() error {
	var errs []error
	for _, r := range d.readers {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// Lookup returns the ISO country code and the autonomous system number
// ("" when unknown) of addr.
func (d *DB) Lookup(addr netip.Addr) (country, asn string) {
	addr = addr.Unmap()
	if r, ok := d.cache[addr]; ok {
		return r.country, r.asn
	}
	var res result
	for _, rd := range d.readers {
		var rec record
		if err := rd.Lookup(addr).Decode(&rec); err != nil {
			continue
		}
		if res.country == "" {
			res.country = rec.Country.ISOCode
			if res.country == "" {
				res.country = rec.RegisteredCountry.ISOCode
			}
		}
		if res.asn == "" && rec.ASN != 0 {
			res.asn = strconv.FormatUint(uint64(rec.ASN), 10)
		}
	}
	if len(d.cache) >= cacheMax {
		clear(d.cache)
	}
	d.cache[addr] = res
	return res.country, res.asn
}

// Enrich sets src_country and src_asn from the event's src_ip.
func (d *DB) Enrich(e *event.Event) {
	if e.SrcIP == "" {
		return
	}
	addr, err := netip.ParseAddr(e.SrcIP)
	if err != nil || !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return
	}
	e.SrcCountry, e.SrcASN = d.Lookup(addr)
}
