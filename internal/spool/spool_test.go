package spool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func mustOpen(t *testing.T, o Options) *Spool {
	t.Helper()
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendN(t *testing.T, s *Spool, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if err := s.Append(context.Background(), fmt.Appendf(nil, "alert-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// wantData checks that recs are alert-from, alert-from+1, ...
func wantData(t *testing.T, recs []Record, from, n int) {
	t.Helper()
	if len(recs) != n {
		t.Fatalf("%d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if want := fmt.Sprintf("alert-%d", from+i); string(r.Data) != want {
			t.Fatalf("record %d (seq %d) is %q, want %q", i, r.Seq, r.Data, want)
		}
	}
}

// TestRestart: what was not acknowledged before Close is read again after
// Open, in order, across segments; acknowledged segments are removed.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, SegmentBytes: 200})
	appendN(t, s, 0, 50)
	recs, err := s.Peek(20)
	if err != nil {
		t.Fatal(err)
	}
	wantData(t, recs, 0, 20)
	if err := s.Ack(recs[len(recs)-1].Seq); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Records != 30 || st.Acked != 20 || st.Appended != 50 || st.Oldest.IsZero() {
		t.Errorf("stats %+v", st)
	}
	s.Close()
	s = mustOpen(t, Options{Dir: dir, SegmentBytes: 200})
	recs, err = s.Peek(100)
	if err != nil {
		t.Fatal(err)
	}
	wantData(t, recs, 20, 30)
	appendN(t, s, 50, 60)
	recs, _ = s.Peek(100)
	wantData(t, recs, 20, 40)
	if err := s.Ack(recs[len(recs)-1].Seq); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if st := s.Stats(); st.Records != 0 || st.Bytes != 0 || len(segs) != 1 {
		t.Errorf("all acknowledged: stats %+v, %d segment files", st, len(segs))
	}
	if err := s.Ack(1 << 40); err == nil {
		t.Error("ack beyond the last record accepted")
	}
}

// TestTornTail: a record cut short by a crash is dropped at Open, the
// records before it kept, and appending goes on after them.
func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir})
	appendN(t, s, 0, 10)
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	fi, _ := os.Stat(segs[0])
	if err := os.Truncate(segs[0], fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, Options{Dir: dir})
	if st := s.Stats(); st.Truncated == 0 || st.Records != 9 {
		t.Errorf("stats %+v", st)
	}
	appendN(t, s, 9, 12)
	recs, _ := s.Peek(100)
	wantData(t, recs, 0, 12)
}

// TestCorruptRecord: a damaged record is found by its checksum and
// counted; Open does not fail and the records before it are kept.
func TestCorruptRecord(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, SegmentBytes: 150})
	appendN(t, s, 0, 20)
	s.Close()
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) < 3 {
		t.Fatalf("%d segments", len(segs))
	}
	data, _ := os.ReadFile(segs[0])
	data[len(data)-2] ^= 0xff // the last record of the first segment
	os.WriteFile(segs[0], data, 0o600)
	s = mustOpen(t, Options{Dir: dir, SegmentBytes: 150})
	st := s.Stats()
	if st.Corrupt != 1 {
		t.Errorf("stats %+v", st)
	}
	recs, err := s.Peek(100)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 19 || string(recs[0].Data) != "alert-0" || string(recs[len(recs)-1].Data) != "alert-19" {
		t.Errorf("%d records after the damaged one was dropped", len(recs))
	}
}

// TestFullBlocks: a full spool with when_full block makes Append wait
// until the consumer acknowledges, or its context ends.
func TestFullBlocks(t *testing.T) {
	s := mustOpen(t, Options{Dir: t.TempDir(), MaxBytes: int64(5 * (headerLen + len("alert-0")))})
	appendN(t, s, 0, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Append(ctx, []byte("alert-5")); !errors.Is(err, context.Canceled) {
		t.Fatalf("append to a full spool with its context ended: %v", err)
	}
	done := make(chan error)
	go func() { done <- s.Append(context.Background(), []byte("alert-5")) }()
	recs, _ := s.Peek(1)
	if err := s.Ack(recs[0].Seq); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	recs, _ = s.Peek(100)
	wantData(t, recs, 1, 5)
	if st := s.Stats(); st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestFullDropsOldest: with when_full drop_oldest the oldest records make
// room, counted.
func TestFullDropsOldest(t *testing.T) {
	s := mustOpen(t, Options{Dir: t.TempDir(), MaxBytes: int64(5 * (headerLen + len("alert-0"))), WhenFull: DropOldest})
	appendN(t, s, 0, 8)
	recs, _ := s.Peek(100)
	wantData(t, recs, 3, 5)
	if st := s.Stats(); st.Dropped != 3 || st.Records != 5 {
		t.Errorf("stats %+v", st)
	}
}

func TestOptions(t *testing.T) {
	if _, err := Open(Options{}); err == nil {
		t.Error("no directory accepted")
	}
	if _, err := Open(Options{Dir: t.TempDir(), WhenFull: "spill"}); err == nil {
		t.Error("when_full spill accepted")
	}
	s := mustOpen(t, Options{Dir: t.TempDir(), MaxBytes: 10})
	if err := s.Append(context.Background(), []byte("longer than the cap")); err == nil {
		t.Error("a record beyond the cap accepted")
	}
	s.Close()
	if err := s.Append(context.Background(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close: %v", err)
	}
}

// FuzzScan: any segment bytes are read without panic, and the records
// scan returns frame back to the valid prefix it reports.
func FuzzScan(f *testing.F) {
	var seg []byte
	for i := range 5 {
		seg = frame(seg, uint64(i+1), int64(i)*1000, fmt.Appendf(nil, `{"id":"%d","rule":{"title":"x"}}`, i))
	}
	f.Add(seg)
	f.Add(seg[:len(seg)-3])
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, valid, _ := scan(data)
		if valid < 0 || valid > int64(len(data)) {
			t.Fatalf("valid %d of %d", valid, len(data))
		}
		var again []byte
		for _, r := range recs {
			again = frame(again, r.seq, r.time, r.data)
		}
		if string(again) != string(data[:valid]) {
			t.Fatalf("records do not frame back to the valid prefix")
		}
	})
}
