package detect

import (
	"slices"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// Alert is one detection: a rule matched an event, or a correlation rule's
// condition held over a window of events.
//
// The engine passes an Alert to its out function valid only during that
// call: it reuses the Alert of single-event matches for the next one, as a
// rule matching most events would otherwise allocate one per event. Keep
// an alert beyond the call with Clone.
type Alert struct {
	Rule *Rule
	// Time is the event time of the last event that contributed.
	Time time.Time
	// Events are the normalized events that caused the alert; for a
	// correlation, the contributing events (the latest, up to
	// Config.MaxAlertEvents; EventsDropped says how many more there were).
	Events        []*event.Event
	EventsDropped int
	// GroupBy holds a correlation's group-by values, in rule order.
	GroupBy []KV
	// Count is the number of events in a correlation's window; Aggregate
	// the value its condition tested (count, distinct values, sum...).
	Count     int
	Aggregate float64

	one [1]*event.Event // Events of a single-event alert
}

// Clone returns a copy of the alert that stays valid after the out call
// it was passed to returns.
func (a *Alert) Clone() *Alert {
	c := *a
	if len(a.Events) == 1 {
		c.one[0] = a.Events[0]
		c.Events = c.one[:]
	} else {
		c.Events = slices.Clone(a.Events)
	}
	c.GroupBy = slices.Clone(a.GroupBy)
	return &c
}

// KV is one group-by field and its value.
type KV struct{ Key, Value string }

// AppendJSON appends the alert as one JSON object: rule{id, title, level,
// tags, type, description, file}, time, group_by, count, aggregate,
// events (normalized, raw records included when the events kept them).
func (a *Alert) AppendJSON(b []byte) []byte {
	r := a.Rule
	b = append(b, `{"time":`...)
	b = event.AppendString(b, a.Time.UTC().Format(time.RFC3339Nano))
	b = append(b, `,"rule":{"id":`...)
	b = event.AppendString(b, r.ID)
	b = append(b, `,"title":`...)
	b = event.AppendString(b, r.Title)
	b = append(b, `,"level":`...)
	b = event.AppendString(b, r.Level)
	b = append(b, `,"type":`...)
	b = event.AppendString(b, r.Kind())
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
	if r.Correlation != nil {
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
