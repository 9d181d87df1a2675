// Package splunkhec sends alerts to Splunk's HTTP Event Collector: a
// batch of alerts is one POST to /services/collector/event (each alert an
// event object: time, host, source, sourcetype, index, event) with
// "Authorization: Splunk <token>" and a request channel. When the token
// has indexer acknowledgement enabled, HEC answers with an ackId and the
// batch counts as delivered only once /services/collector/ack says it was
// indexed; otherwise HEC's 200 confirms it.
//
// Status mapping: 200 (and an acknowledged ackId) confirms; 429, 5xx,
// 401, 403 and network errors are retried (a wrong token keeps alerts
// spooled, it does not discard them); 400 "Invalid data format" with an
// invalid-event-number rejects that event for good (those before it were
// accepted, those after it are sent again).
package splunkhec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
)

// Config configures a HEC destination.
type Config struct {
	URL        string // https://splunk:8088 (the collector paths are added)
	Token      string // from a file or the environment, never a flag
	Index      string
	Source     string // default "vigil"
	Sourcetype string // default "vigil:alert"
	Host       string
	// AckTimeout bounds the wait for indexer acknowledgement of a batch
	// (default 2 minutes); past it the batch is sent again.
	AckTimeout time.Duration
	Insecure   bool // plain http to a host that is not loopback
	Client     *http.Client
}

// HEC is a delivery.Destination.
type HEC struct {
	c       Config
	base    string
	channel string
	// noAck: HEC confirmed a batch without an ackId (the token has no
	// indexer acknowledgement), so a 200 means accepted.
	noAck atomic.Bool
}

// New checks the configuration and returns the destination.
func New(c Config) (*HEC, error) {
	u, err := delivery.HTTPEndpoint(c.URL, c.Insecure)
	if err != nil {
		return nil, err
	}
	if c.Token == "" {
		return nil, errors.New("no HEC token")
	}
	if c.Source == "" {
		c.Source = "vigil"
	}
	if c.Sourcetype == "" {
		c.Sourcetype = "vigil:alert"
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 2 * time.Minute
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &HEC{c: c, base: strings.TrimSuffix(u.String(), "/"), channel: newChannel()}, nil
}

// newChannel returns a random UUID (version 4), the channel HEC wants.
func newChannel() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// reply is HEC's JSON answer.
type reply struct {
	Text               string `json:"text"`
	Code               int    `json:"code"`
	AckID              *int64 `json:"ackId"`
	InvalidEventNumber *int   `json:"invalid-event-number"`
}

// Send implements delivery.Destination.
func (h *HEC) Send(ctx context.Context, batch [][]byte) ([]error, error) {
	var body bytes.Buffer
	var p fastjson.Parser
	for _, rec := range batch {
		body.WriteString(`{"source":`)
		writeString(&body, h.c.Source)
		body.WriteString(`,"sourcetype":`)
		writeString(&body, h.c.Sourcetype)
		if h.c.Index != "" {
			body.WriteString(`,"index":`)
			writeString(&body, h.c.Index)
		}
		if h.c.Host != "" {
			body.WriteString(`,"host":`)
			writeString(&body, h.c.Host)
		}
		if v, err := p.ParseBytes(rec); err == nil {
			if t, err := time.Parse(time.RFC3339Nano, string(v.GetStringBytes("time"))); err == nil {
				fmt.Fprintf(&body, `,"time":%.3f`, float64(t.UnixMilli())/1000)
			}
			body.WriteString(`,"event":`)
			body.Write(rec)
		} else {
			body.WriteString(`,"event":`)
			writeString(&body, string(rec))
		}
		body.WriteString("}\n")
	}
	code, r, err := h.post(ctx, "/services/collector/event", body.Bytes())
	if err != nil {
		return nil, err
	}
	out := make([]error, len(batch))
	switch {
	case code == http.StatusOK:
		if r.AckID == nil {
			h.noAck.Store(true)
		}
		if r.AckID != nil {
			if err := h.waitAck(ctx, *r.AckID); err != nil {
				return nil, err
			}
		}
		return out, nil
	case code == http.StatusBadRequest && r.InvalidEventNumber != nil && *r.InvalidEventNumber >= 0 && *r.InvalidEventNumber < len(batch):
		n := *r.InvalidEventNumber
		if n > 0 && !h.noAck.Load() {
			// HEC kept the events before the invalid one, but with
			// acknowledgement on an error carries no ackId to confirm
			// them by: they are sent again on their own (a receiver
			// de-duplicates by alert id).
			res, err := h.Send(ctx, batch[:n])
			if err != nil {
				return nil, err
			}
			copy(out, res)
		}
		out[n] = &delivery.Rejected{Reason: fmt.Sprintf("HEC code %d: %s", r.Code, r.Text)}
		for i := n + 1; i < len(batch); i++ {
			out[i] = errors.New("not indexed: an earlier event was invalid")
		}
		return out, nil
	case code == http.StatusBadRequest && (r.Code == 5 || r.Code == 6 || r.Code == 12 || r.Code == 13) && len(batch) == 1:
		out[0] = &delivery.Rejected{Reason: fmt.Sprintf("HEC code %d: %s", r.Code, r.Text)}
		return out, nil
	}
	return nil, fmt.Errorf("HEC %d (code %d): %s", code, r.Code, r.Text)
}

// waitAck polls the ack endpoint until HEC says the batch was indexed.
func (h *HEC) waitAck(ctx context.Context, id int64) error {
	deadline := time.Now().Add(h.c.AckTimeout)
	wait := 50 * time.Millisecond
	body := fmt.Appendf(nil, `{"acks":[%d]}`, id)
	for {
		code, raw, err := h.postRaw(ctx, "/services/collector/ack", body)
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("HEC ack %d: %s", code, bytes.TrimSpace(raw))
		}
		var r struct {
			Acks map[string]bool `json:"acks"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("HEC ack: %v", err)
		}
		if r.Acks[strconv.FormatInt(id, 10)] {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("HEC ack %d not indexed after %v", id, h.c.AckTimeout)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(wait*2, 2*time.Second)
	}
}

func (h *HEC) post(ctx context.Context, path string, body []byte) (int, reply, error) {
	code, raw, err := h.postRaw(ctx, path, body)
	var r reply
	if err == nil {
		json.Unmarshal(raw, &r)
		if r.Text == "" {
			r.Text = string(bytes.TrimSpace(raw))
		}
	}
	return code, r, err
}

func (h *HEC) postRaw(ctx context.Context, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Splunk "+h.c.Token)
	req.Header.Set("X-Splunk-Request-Channel", h.channel)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.c.Client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, raw, err
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s)
	b.Write(q)
}

// FromConfig returns the HEC destination of a configuration file's output.
func FromConfig(o config.Output) (delivery.Destination, error) {
	return New(Config{URL: o.URL, Token: o.Secret, Index: o.Index, Source: o.Source, Sourcetype: o.Sourcetype, Insecure: o.InsecureHTTP})
}
