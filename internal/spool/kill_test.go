package spool

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// TestMain runs the writer of TestKilledWhileAppending when asked to.
func TestMain(m *testing.M) {
	if dir := os.Getenv("VIGIL_SPOOL_WRITER"); dir != "" {
		s, err := Open(Options{Dir: dir, SegmentBytes: 4096, Sync: SyncAlways})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		w := bufio.NewWriter(os.Stdout)
		for i := 0; ; i++ {
			if err := s.Append(context.Background(), fmt.Appendf(nil, "alert-%d", i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			fmt.Fprintln(w, i) // durable: reported only after Append (synced) returned
			w.Flush()
		}
	}
	os.Exit(m.Run())
}

// TestKilledWhileAppending kills (SIGKILL) a process appending to a
// spool with fsync per record: after reopening, every record it had
// reported appended is there, in order, and the spool takes more.
func TestKilledWhileAppending(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VIGIL_SPOOL_WRITER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	last := -1
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil || n != last+1 {
			t.Fatalf("writer said %q after %d", sc.Text(), last)
		}
		last = n
		if last == 300 {
			cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	cmd.Wait()
	if last < 300 {
		t.Fatalf("the writer stopped at %d", last)
	}
	s := mustOpen(t, Options{Dir: dir, SegmentBytes: 4096})
	recs, err := s.Peek(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < last+1 {
		t.Fatalf("%d records after the kill, %d were reported appended (stats %+v)", len(recs), last+1, s.Stats())
	}
	wantData(t, recs[:last+1], 0, last+1)
	appendN(t, s, len(recs), len(recs)+3)
	recs, _ = s.Peek(1 << 20)
	wantData(t, recs, 0, len(recs))
	t.Logf("%d records reported, %d in the spool after the kill, stats %+v", last+1, len(recs)-3, s.Stats())
}
