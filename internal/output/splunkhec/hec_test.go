package splunkhec_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/vigilsec/vigil/internal/output/splunkhec"
	"github.com/vigilsec/vigil/internal/spool"
)

const token = "11111111-2222-3333-4444-555555555555"

// hec is an HTTP Event Collector on loopback, as Splunk documents it:
// token authentication, a request channel when acknowledgement is on,
// batches of event objects, "Invalid data format" with the invalid event's
// number, ackIds whose events count as indexed once /ack says so. It can
// be busy (503), reset connections, and lose a batch (its ackId never
// becomes true).
type hec struct {
	ack     bool
	mu      sync.Mutex
	indexed map[string]int // alert id → times indexed
	posts   int
	nextAck int64
	pending map[int64][]string // ackId → alert ids, indexed when acknowledged
	polls   map[int64]int
	lost    map[int64]bool
	busy    int // first posts answered 503
	resetAt int // post answered by closing the connection
	loseAck int // post whose batch the indexer loses
	sources map[string]bool
}

func newHEC(ack bool) *hec {
	return &hec{ack: ack, indexed: map[string]int{}, pending: map[int64][]string{}, polls: map[int64]int{}, lost: map[int64]bool{}, sources: map[string]bool{}}
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (h *hec) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		reply(w, 401, `{"text":"Token is required","code":2}`)
		return
	case auth != "Splunk "+token:
		reply(w, 403, `{"text":"Invalid token","code":4}`)
		return
	}
	channel := r.Header.Get("X-Splunk-Request-Channel")
	if h.ack && channel == "" {
		reply(w, 400, `{"text":"Data channel is missing","code":10}`)
		return
	}
	switch r.URL.Path {
	case "/services/collector/ack":
		if !h.ack {
			reply(w, 400, `{"text":"ACK is disabled","code":14}`)
			return
		}
		var q struct{ Acks []int64 }
		json.NewDecoder(r.Body).Decode(&q)
		out := map[string]bool{}
		for _, id := range q.Acks {
			h.polls[id]++
			done := h.polls[id] >= 2 && !h.lost[id]
			if done {
				for _, a := range h.pending[id] {
					h.indexed[a]++
				}
				delete(h.pending, id)
			}
			out[strconv.FormatInt(id, 10)] = done || (h.pending[id] == nil && !h.lost[id])
		}
		b, _ := json.Marshal(map[string]any{"acks": out})
		reply(w, 200, string(b))
		return
	case "/services/collector/event":
	default:
		reply(w, 404, `{"text":"The requested URL was not found on this server.","code":404}`)
		return
	}
	h.posts++
	switch {
	case h.posts <= h.busy:
		reply(w, 503, `{"text":"Server is busy","code":9}`)
		return
	case h.posts == h.resetAt:
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
		return
	}
	dec := json.NewDecoder(r.Body)
	var ids []string
	for i := 0; ; i++ {
		var ev struct {
			Event      json.RawMessage `json:"event"`
			Source     string          `json:"source"`
			Sourcetype string          `json:"sourcetype"`
			Time       float64         `json:"time"`
		}
		err := dec.Decode(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || len(ev.Event) == 0 || bytes.Contains(ev.Event, []byte("poison")) {
			h.index(ids, h.posts) // the events before the invalid one are kept
			reply(w, 400, fmt.Sprintf(`{"text":"Invalid data format","code":6,"invalid-event-number":%d}`, i))
			return
		}
		var a struct{ ID string }
		json.Unmarshal(ev.Event, &a)
		ids = append(ids, a.ID)
		h.sources[ev.Source+"/"+ev.Sourcetype] = true
	}
	if len(ids) == 0 {
		reply(w, 400, `{"text":"No data","code":5}`)
		return
	}
	id := h.index(ids, h.posts)
	if h.ack {
		reply(w, 200, fmt.Sprintf(`{"text":"Success","code":0,"ackId":%d}`, id))
		return
	}
	reply(w, 200, `{"text":"Success","code":0}`)
}

// index takes a batch: at once without acknowledgement, else when its
// ackId is acknowledged (never, for the batch the indexer loses).
func (h *hec) index(ids []string, post int) int64 {
	if !h.ack {
		for _, a := range ids {
			h.indexed[a]++
		}
		return 0
	}
	id := h.nextAck
	h.nextAck++
	h.pending[id] = ids
	if post == h.loseAck {
		h.lost[id] = true
	}
	return id
}

func alertJSON(i int) []byte {
	return fmt.Appendf(nil, `{"id":"a%03d","time":"2026-10-14T10:00:%02d.5Z","rule":{"title":"t","level":"high"},"events":[]}`, i, i%60)
}

func run(t *testing.T, h *hec, n int, poison int) (*delivery.Output, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	dest, err := splunkhec.New(splunkhec.Config{URL: srv.URL, Token: token, AckTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out, err := delivery.New("splunk", dest, sp, delivery.Options{Batch: 10, MinBackoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		DeadLetter: filepath.Join(dir, "dead-letter.jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go out.Run(ctx)
	for i := range n {
		rec := alertJSON(i)
		if i == poison {
			rec = bytes.Replace(rec, []byte(`"t"`), []byte(`"poison"`), 1)
		}
		if err := out.Enqueue(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
	defer dcancel()
	if left := out.Drain(dctx); left != 0 {
		t.Fatalf("%d alerts not confirmed; last error %s", left, out.LastError())
	}
	return out, filepath.Join(dir, "dead-letter.jsonl")
}

func check(t *testing.T, h *hec, n, poison int, dl string) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range n {
		id := fmt.Sprintf("a%03d", i)
		if i != poison && h.indexed[id] == 0 {
			t.Errorf("alert %s never indexed", id)
		}
	}
	if h.indexed[fmt.Sprintf("a%03d", poison)] != 0 || !h.sources["vigil/vigil:alert"] {
		t.Errorf("poison indexed, or sources %v", h.sources)
	}
	b, _ := os.ReadFile(dl)
	if strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), "HEC code 6: Invalid data format") {
		t.Errorf("dead letters:\n%s", b)
	}
}

// TestAcknowledged: with indexer acknowledgement, a batch counts only once
// HEC says it was indexed; a busy server, a reset connection and a batch
// the indexer lost (its ack never comes) lose no alert, and the invalid
// event is dead-lettered while the events around it are indexed.
func TestAcknowledged(t *testing.T) {
	h := newHEC(true)
	h.busy, h.resetAt, h.loseAck = 3, 5, 6
	out, dl := run(t, h, 80, 23)
	check(t, h, 80, 23, dl)
	if st := out.Stats(); st.Retried == 0 || st.DeadLettered != 1 || st.Sent < 79 {
		t.Errorf("stats %+v", st)
	}
}

// TestWithoutAck: a token without acknowledgement confirms on 200.
func TestWithoutAck(t *testing.T) {
	h := newHEC(false)
	h.busy = 2
	_, dl := run(t, h, 35, 7)
	check(t, h, 35, 7, dl)
}

func TestConfig(t *testing.T) {
	for _, c := range []splunkhec.Config{
		{URL: "https://splunk.example.com:8088"},
		{URL: "http://splunk.example.com:8088", Token: token},
		{URL: "splunk:8088", Token: token},
	} {
		if _, err := splunkhec.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestWrongToken: a refused token keeps the alerts spooled (retried), it
// does not discard them.
func TestWrongToken(t *testing.T) {
	srv := httptest.NewServer(newHEC(true))
	defer srv.Close()
	dest, _ := splunkhec.New(splunkhec.Config{URL: srv.URL, Token: "wrong"})
	res, err := dest.Send(context.Background(), [][]byte{alertJSON(1)})
	if err == nil || res != nil || !strings.Contains(err.Error(), "Invalid token") {
		t.Errorf("wrong token: %v, %v", res, err)
	}
}
