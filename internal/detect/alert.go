package detect

import (
	"slices"
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
