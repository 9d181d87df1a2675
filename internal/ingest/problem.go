package ingest

import (
	"fmt"

	"github.com/vigilsec/vigil/internal/event"
)

// Problem is one piece of bad input: where it is, the reason it was
// counted under, and the detail.
type Problem struct {
	Origin event.Origin
	Reason string
	Err    error
}

func (p Problem) Error() string {
	where := p.Origin.File
	if p.Origin.Line > 0 {
		where = fmt.Sprintf("%s:%d", where, p.Origin.Line)
	}
	if p.Origin.Index >= 0 {
		where = fmt.Sprintf("%s: record %d", where, p.Origin.Index)
	}
	return fmt.Sprintf("%s: %s: %v", where, p.Reason, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }
