package ingest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ingest"
	"github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/cloudtrail"
)

func ctAt(minute int, name string) string {
	return fmt.Sprintf(`{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":%q,"eventTime":"2026-10-14T08:%02d:00Z"}`, name, minute)
}

// TestReadMergedOrdersByTime reads three files whose events interleave in
// time and gets them in time order, each with its record while emitted.
func TestReadMergedOrdersByTime(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, minutes ...int) {
		var lines []string
		for _, m := range minutes {
			lines = append(lines, ctAt(m, name))
		}
		os.WriteFile(filepath.Join(dir, name+".jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	write("a", 0, 10, 20, 30)
	write("b", 5, 6, 25)
	write("c", 1, 40)
	os.WriteFile(filepath.Join(dir, "d.jsonl"), []byte("not json\n"), 0o644)
	r := ingest.NewReader(ingest.Settings{Formats: []source.Format{cloudtrail.New()}, OnProblem: func(ingest.Problem) {}})
	var got []string
	var last time.Time
	ingest.ReadMerged(r, []string{dir}, func(e *event.Event) {
		if e.Record == nil {
			t.Error("record not available during emit")
		}
		if e.Time.Before(last) {
			t.Errorf("%s at %s after %s", e.EventName, e.Time, last)
		}
		last = e.Time
		got = append(got, fmt.Sprintf("%s%d", e.EventName, e.Time.Minute()))
	})
	if s := strings.Join(got, " "); s != "a0 c1 b5 b6 a10 a20 b25 a30 c40" {
		t.Fatalf("order %s", s)
	}
	st := r.Stats()
	if st.Files != 4 || st.Events != 9 || st.Skipped[ingest.ReasonUnknownFormat] != 1 {
		t.Errorf("stats %+v", st)
	}
}
