package elasticsearch_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/output"
	"github.com/vigilsec/vigil/internal/output/elasticsearch"
	"github.com/vigilsec/vigil/internal/spool"
)

const apiKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="

// bulkServer is an Elasticsearch _bulk endpoint on loopback: NDJSON action
// and document pairs, create semantics (409 for an existing _id), a 200
// response whose items carry their own status. It refuses items with 429
// at times, and a mapping error for documents whose message is "poison".
type bulkServer struct {
	mu       sync.Mutex
	docs     map[string]map[string]any // _id → document
	requests int
	conflict int
}

func (s *bulkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Header.Get("Authorization") != "ApiKey "+apiKey || r.Header.Get("Content-Type") != "application/x-ndjson" {
		http.Error(w, `{"error":{"type":"security_exception","reason":"missing authentication credentials"},"status":401}`, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.requests == 2 {
		http.Error(w, `{"error":{"type":"es_rejected_execution_exception"},"status":503}`, http.StatusServiceUnavailable)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var items []map[string]any
	errorsSeen := false
	n := 0
	for sc.Scan() {
		var action map[string]struct {
			Index string `json:"_index"`
			ID    string `json:"_id"`
		}
		json.Unmarshal(sc.Bytes(), &action)
		if !sc.Scan() {
			break
		}
		var doc map[string]any
		json.Unmarshal(sc.Bytes(), &doc)
		n++
		a := action["create"]
		res := map[string]any{"_index": a.Index, "_id": a.ID}
		switch {
		case (s.requests+n)%7 == 0:
			res["status"], res["error"] = 429, map[string]any{"type": "es_rejected_execution_exception", "reason": "rejected execution of coordinating operation"}
		case doc["message"] == "poison":
			res["status"], res["error"] = 400, map[string]any{"type": "document_parsing_exception", "reason": "failed to parse field [rule.name]"}
		case s.docs[a.ID] != nil:
			res["status"], res["error"] = 409, map[string]any{"type": "version_conflict_engine_exception", "reason": "document already exists"}
			s.conflict++
		default:
			s.docs[a.ID] = doc
			res["status"] = 201
		}
		if res["status"] != 201 {
			errorsSeen = true
		}
		items = append(items, map[string]any{"create": res})
	}
	b, _ := json.Marshal(map[string]any{"took": 3, "errors": errorsSeen, "items": items})
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

func newAlert(i int, title string) *alert.Alert {
	return &alert.Alert{ID: fmt.Sprintf("%032d", i), Time: time.Date(2026, 10, 14, 10, 0, i%60, 0, time.UTC),
		Rule:   alert.Rule{ID: "r", Title: title, Level: "high", Type: "detection", Tags: []string{"attack.persistence", "attack.t1098.001"}},
		Events: []*event.Event{{Vendor: "aws", EventName: "CreateAccessKey", SrcUser: "arn:aws:iam::111122223333:user/bob", SrcIP: "203.0.113.9"}}}
}

// TestBulkFaults: a 503, items refused with 429 and a document that does
// not map: every other alert is indexed exactly once (retries of indexed
// alerts answer 409), in ECS, and the unmappable one is dead-lettered.
func TestBulkFaults(t *testing.T) {
	es := &bulkServer{docs: map[string]map[string]any{}}
	srv := httptest.NewServer(es)
	defer srv.Close()
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	dest, err := elasticsearch.New(elasticsearch.Config{URL: srv.URL, APIKey: apiKey})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := delivery.New("es", dest, sp, delivery.Options{Batch: 9, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, DeadLetter: filepath.Join(dir, "dl.jsonl")})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go out.Run(ctx)
	for i := range 50 {
		title := "AWS Access Key Created for Another User"
		if i == 31 {
			title = "poison"
		}
		doc, err := output.EncodeAlert("ecs", newAlert(i, title))
		if err != nil {
			t.Fatal(err)
		}
		out.Enqueue(ctx, doc)
	}
	if left := out.Drain(ctx); left != 0 {
		t.Fatalf("%d left: %s", left, out.LastError())
	}
	es.mu.Lock()
	defer es.mu.Unlock()
	if len(es.docs) != 49 {
		t.Errorf("%d documents indexed, want 49", len(es.docs))
	}
	d := es.docs[fmt.Sprintf("%032d", 3)]
	ev, _ := d["event"].(map[string]any)
	threat, _ := d["threat"].(map[string]any)
	if d["@timestamp"] != "2026-10-14T10:00:03Z" || ev["kind"] != "alert" || ev["severity"] != float64(73) || d["vigil"] == nil ||
		fmt.Sprint(threat["technique"]) != "map[id:[T1098.001]]" {
		t.Errorf("ECS document %v", d)
	}
	dl, _ := os.ReadFile(filepath.Join(dir, "dl.jsonl"))
	if strings.Count(string(dl), "\n") != 1 || !strings.Contains(string(dl), "document_parsing_exception") {
		t.Errorf("dead letters:\n%s", dl)
	}
	if st := out.Stats(); st.Retried == 0 || st.DeadLettered != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []elasticsearch.Config{{URL: "https://es:9200"}, {URL: "http://es.example.com:9200", APIKey: "k"}} {
		if _, err := elasticsearch.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
