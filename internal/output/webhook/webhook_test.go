package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/output/webhook"
	"github.com/vigilsec/vigil/internal/spool"
)

var secret = []byte("s3cret-from-a-file")

// receiver is a webhook endpoint on loopback that checks signatures,
// counts alerts by id, and fails as told.
type receiver struct {
	mu       sync.Mutex
	got      map[string]int
	requests int
	badSig   int
	fail     func(n int, id string, w http.ResponseWriter) bool // true: it answered
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ts, _ := strconv.ParseInt(r.Header.Get("X-Vigil-Timestamp"), 10, 64)
	var a struct{ ID string }
	json.Unmarshal(body, &a)
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	if r.Header.Get("X-Vigil-Signature") != webhook.Sign(secret, ts, body) {
		rc.badSig++
	}
	rc.mu.Unlock()
	if rc.fail != nil && rc.fail(n, a.ID, w) {
		return
	}
	rc.mu.Lock()
	rc.got[a.ID]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func newOutput(t *testing.T, dir, url string) (*delivery.Output, *spool.Spool) {
	t.Helper()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhook.New(webhook.Config{URL: url, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	out, err := delivery.New("hook", wh, sp, delivery.Options{Batch: 7, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		DeadLetter: filepath.Join(dir, "dead-letter.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	return out, sp
}

func alertJSON(i int) []byte {
	return fmt.Appendf(nil, `{"id":"a%03d","time":"2026-10-14T10:00:00Z","rule":{"title":"t","level":"high"},"events":[]}`, i)
}

// TestFaults: the endpoint fails with 503s, resets connections and
// rejects one alert; every other alert arrives (at least once, each copy
// with its id), the rejected one is in the dead-letter file with the
// reason, and every request is signed.
func TestFaults(t *testing.T) {
	rc := &receiver{got: map[string]int{}, fail: func(n int, id string, w http.ResponseWriter) bool {
		switch {
		case n <= 4:
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return true
		case n%9 == 0:
			hj, _ := w.(http.Hijacker)
			c, _, _ := hj.Hijack()
			c.Close() // connection reset mid-request
			return true
		case n%13 == 0:
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		case id == "a017":
			http.Error(w, "bad alert", http.StatusBadRequest)
			return true
		}
		return false
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	dir := t.TempDir()
	out, sp := newOutput(t, dir, srv.URL)
	defer sp.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go out.Run(ctx)
	for i := range 60 {
		if err := out.Enqueue(ctx, alertJSON(i)); err != nil {
			t.Fatal(err)
		}
	}
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	if left := out.Drain(dctx); left != 0 {
		t.Fatalf("%d alerts undelivered; %s", left, out.LastError())
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := range 60 {
		id := fmt.Sprintf("a%03d", i)
		if id != "a017" && rc.got[id] == 0 {
			t.Errorf("alert %s lost", id)
		}
	}
	if rc.got["a017"] != 0 || rc.badSig != 0 {
		t.Errorf("rejected alert delivered %d times; %d requests with a bad signature", rc.got["a017"], rc.badSig)
	}
	dl, _ := os.ReadFile(filepath.Join(dir, "dead-letter.jsonl"))
	if !strings.Contains(string(dl), `"id":"a017"`) || !strings.Contains(string(dl), "400 Bad Request: bad alert") || strings.Count(string(dl), "\n") != 1 {
		t.Errorf("dead letters:\n%s", dl)
	}
	st := out.Stats()
	if st.Sent < 59 || st.DeadLettered != 1 || st.Retried == 0 || st.Failures == 0 || st.Spool.Records != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestDownThenRestarted: the endpoint is down while alerts are spooled
// and the process stops; a new process on the same spool delivers them
// all when the endpoint is back.
func TestDownThenRestarted(t *testing.T) {
	dir := t.TempDir()
	down := httptest.NewServer(http.NotFoundHandler())
	url := down.URL
	down.Close() // nothing listens there now
	out, sp := newOutput(t, dir, url)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { out.Run(ctx); close(done) }()
	for i := range 25 {
		if err := out.Enqueue(ctx, alertJSON(i)); err != nil {
			t.Fatal(err)
		}
	}
	out.Sync()
	for out.Stats().Failures < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	sp.Close()

	rc := &receiver{got: map[string]int{}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	out, sp = newOutput(t, dir, srv.URL)
	defer sp.Close()
	if n := sp.Stats().Records; n != 25 {
		t.Fatalf("%d alerts in the spool after the restart", n)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go out.Run(ctx)
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	if left := out.Drain(dctx); left != 0 {
		t.Fatalf("%d alerts undelivered; %s", left, out.LastError())
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 25 {
		t.Errorf("%d of 25 alerts arrived", len(rc.got))
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []webhook.Config{
		{URL: "ftp://x", Secret: secret},
		{URL: "http://alerts.example.com/hook", Secret: secret},
		{URL: "https://alerts.example.com/hook"},
	} {
		if _, err := webhook.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := webhook.New(webhook.Config{URL: "http://alerts.example.com/hook", Secret: secret, Insecure: true}); err != nil {
		t.Error(err)
	}
}
