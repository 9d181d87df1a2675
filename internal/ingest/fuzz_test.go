package ingest_test

import (
	"bytes"
	"testing"

	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
)

// FuzzReader feeds arbitrary bytes through framing, envelope unwrapping and
// detection with every format: nothing may panic, and every record is
// accounted for.
func FuzzReader(f *testing.F) {
	f.Add([]byte(ct1 + "\n{bad\n" + ct2))
	f.Add([]byte("{\n \"Records\": [\n" + ct1 + ",\n" + ct2 + "\n]}\n"))
	f.Add([]byte(`[` + ct1 + `,` + ct2 + `]`))
	f.Add([]byte(`{"message":{"data":"eyJhIjoxfQ=="}}`))
	f.Add([]byte(`{"entries":[{"logName":"projects/p/logs/x","insertId":"1","protoPayload":{"serviceName":"s.googleapis.com","methodName":"m"}},{"entries":[7]}],"nextPageToken":"t"}`))
	f.Add([]byte(`{"logEntries":[{"logName":"l","insertId":"i"}],"a":1,"b":2}`))
	f.Add([]byte("2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 5555 6 10 840 1600000000 1600000060 ACCEPT OK\n"))
	f.Add([]byte("\xef\xbb\xbf" + ct1))
	f.Add([]byte{0x1f, 0x8b, 0x08, 0x00})
	formats := components.Formats()
	f.Fuzz(func(t *testing.T, data []byte) {
		r := ingest.NewReader(ingest.Settings{Formats: formats, KeepRaw: true, OnProblem: func(p ingest.Problem) { _ = p.Error() }})
		n := 0
		r.ReadStream("fuzz", bytes.NewReader(data), func(e *event.Event) {
			n++
			event.AppendJSON(nil, e, true)
		})
		st := r.Stats()
		if st.Events != n {
			t.Fatalf("stats say %d events, %d emitted", st.Events, n)
		}
	})
}
