// Package alert is vigil's alert as it leaves the engine for the outputs:
// an owned value that borrows nothing from the engine or the reader (its
// events are copies), encodable as JSON, with a stable id that receivers
// de-duplicate on: the same alert on the same input has the same id in
// every run, so an alert delivered twice (a retry, a restart) is known
// as one.
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
)

// Alert is one alert.
type Alert struct {
	// ID is stable across runs: a hash of the rule, the alert's time, its
	// group-by values and its events' identities.
	ID   string
	Time time.Time // event time of the last contributing event
	Rule Rule
	// GroupBy, Count, Aggregate and EventsDropped are a correlation's:
	// its group-by values in rule order, the events in its window, the
	// value its condition tested, the events beyond those kept.
	GroupBy       []KV
	Count         int
	Aggregate     float64
	EventsDropped int
	// Events are copies of the normalized events that caused the alert.
	Events []*event.Event
}

// Rule is what an alert says of the rule that raised it.
type Rule struct {
	ID, Title, Level, Description, File string
	Type                                string // "detection" or a correlation type
	Tags                                []string
	Correlation                         bool
}

// KV is one group-by field and its value.
type KV struct{ Key, Value string }

// From copies an engine alert, valid only during the engine's out call,
// into an Alert that stays valid.
func From(a *detect.Alert) *Alert {
	r := a.Rule
	out := &Alert{
		Time: a.Time,
		Rule: Rule{ID: r.ID, Title: r.Title, Level: r.Level, Description: r.Description, File: r.File,
			Type: r.Kind(), Tags: slices.Clone(r.Tags), Correlation: r.Correlation != nil},
		Count: a.Count, Aggregate: a.Aggregate, EventsDropped: a.EventsDropped,
		Events: make([]*event.Event, len(a.Events)),
	}
	for _, kv := range a.GroupBy {
		out.GroupBy = append(out.GroupBy, KV{kv.Key, kv.Value})
	}
	for i, e := range a.Events {
		c := *e
		c.Record = nil // the reader's, valid only while the event was emitted
		c.Raw = slices.Clone(e.Raw)
		c.Tags = slices.Clone(e.Tags)
		out.Events[i] = &c
	}
	out.ID = idOf(out)
	return out
}

// idOf hashes what makes an alert itself: its rule (by id, else title),
// time, group-by values and the identities of its events (their event id
// where the log gives one, else their time, name and actors).
func idOf(a *Alert) string {
	h := sha256.New()
	var b []byte
	add := func(s string) {
		b = strconv.AppendInt(b[:0], int64(len(s)), 10)
		b = append(b, ':')
		b = append(b, s...)
		h.Write(b)
	}
	key := a.Rule.ID
	if key == "" {
		key = a.Rule.Title
	}
	add(key)
	add(strconv.FormatInt(a.Time.UnixNano(), 10))
	for _, kv := range a.GroupBy {
		add(kv.Key)
		add(kv.Value)
	}
	for _, e := range a.Events {
		add(eventIdentity(e))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func eventIdentity(e *event.Event) string {
	if e.EventID != "" {
		return e.VendorProduct + "\x00" + e.EventID
	}
	id := []string{e.VendorProduct, strconv.FormatInt(e.Time.UnixNano(), 10), e.EventName, e.SrcUser, e.Src, e.Dest}
	if p := e.Proc; p != nil {
		id = append(id, strconv.Itoa(int(p.PID)), p.Exe)
	}
	return strings.Join(id, "\x00")
}

// AppendJSON appends the alert as one JSON object: id, time,
// rule{id, title, level, type, tags, description, file}, for a
// correlation group_by, count, aggregate (and events_dropped), then the
// events (normalized, raw records included when the events kept them).
func (a *Alert) AppendJSON(b []byte) []byte {
	r := &a.Rule
	b = append(b, `{"id":`...)
	b = event.AppendString(b, a.ID)
	b = append(b, `,"time":`...)
	b = event.AppendString(b, a.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"rule":{"id":`...)
	b = event.AppendString(b, r.ID)
	b = append(b, `,"title":`...)
	b = event.AppendString(b, r.Title)
	b = append(b, `,"level":`...)
	b = event.AppendString(b, r.Level)
	b = append(b, `,"type":`...)
	b = event.AppendString(b, r.Type)
	b = append(b, `,"tags":[`...)
	for i, t := range r.Tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = event.AppendString(b, t)
	}
	b = append(b, ']')
	if r.Description != "" {
		b = append(b, `,"description":`...)
		b = event.AppendString(b, r.Description)
	}
	b = append(b, `,"file":`...)
	b = event.AppendString(b, r.File)
	b = append(b, '}')
	if r.Correlation {
		b = append(b, `,"group_by":{`...)
		for i, kv := range a.GroupBy {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendString(b, kv.Key)
			b = append(b, ':')
			b = event.AppendString(b, kv.Value)
		}
		b = append(b, `},"count":`...)
		b = strconv.AppendInt(b, int64(a.Count), 10)
		b = append(b, `,"aggregate":`...)
		b = strconv.AppendFloat(b, a.Aggregate, 'f', -1, 64)
		if a.EventsDropped > 0 {
			b = append(b, `,"events_dropped":`...)
			b = strconv.AppendInt(b, int64(a.EventsDropped), 10)
		}
	}
	b = append(b, `,"events":[`...)
	for i, e := range a.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = event.AppendJSON(b, e, true)
	}
	return append(b, "]}"...)
}

// Subject summarizes who and what the alert is about: its group-by
// values (else the acting principal), the event name, the event count.
func (a *Alert) Subject() string {
	var parts []string
	for _, kv := range a.GroupBy {
		parts = append(parts, kv.Key+"="+kv.Value)
	}
	if len(a.Events) > 0 {
		e := a.Events[len(a.Events)-1]
		if len(parts) == 0 && e.SrcUser != "" {
			parts = append(parts, e.SrcUser)
		}
		parts = append(parts, e.EventName)
		if a.Count > 1 {
			parts = append(parts, fmt.Sprintf("(%d events)", a.Count))
		}
	}
	return strings.Join(parts, " ")
}
