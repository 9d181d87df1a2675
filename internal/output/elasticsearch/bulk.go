// Package elasticsearch indexes alerts into Elasticsearch or OpenSearch
// with the _bulk API: each alert a "create" action whose _id is the alert
// id, so that an alert sent twice (a retry, a restart) is indexed once
// (the second create answers 409, which counts as delivered). Each item's
// status is checked: a 200 response can carry failed items; 429 and 5xx
// items are sent again, other failures (a mapping conflict) reject the
// alert for good. Documents are in the Elastic Common Schema by default
// (output format ecs).
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
)

// Config configures the destination.
type Config struct {
	URL      string // https://es:9200
	Index    string // default "vigil-alerts"
	APIKey   string // sent as "Authorization: ApiKey <key>"; from a file or the environment
	Insecure bool   // plain http to a host that is not loopback
	Client   *http.Client
}

// Bulk is a delivery.Destination.
type Bulk struct {
	c   Config
	url string
}

// New checks the configuration and returns the destination.
func New(c Config) (*Bulk, error) {
	u, err := delivery.HTTPEndpoint(c.URL, c.Insecure)
	if err != nil {
		return nil, err
	}
	if c.APIKey == "" {
		return nil, errors.New("no API key")
	}
	if c.Index == "" {
		c.Index = "vigil-alerts"
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Bulk{c: c, url: strings.TrimSuffix(u.String(), "/") + "/_bulk"}, nil
}

// FromConfig returns the destination of a configuration file's output.
func FromConfig(o config.Output) (delivery.Destination, error) {
	return New(Config{URL: o.URL, Index: o.Index, APIKey: o.Secret, Insecure: o.InsecureHTTP})
}

// alertID is the id a document is indexed under: the alert's id (at the
// top of vigil's JSON, or event.id in an ECS document).
func alertID(p *fastjson.Parser, doc []byte) string {
	v, err := p.ParseBytes(doc)
	if err != nil {
		return ""
	}
	if id := v.GetStringBytes("id"); len(id) > 0 {
		return string(id)
	}
	return string(v.GetStringBytes("event", "id"))
}

// Send implements delivery.Destination.
func (b *Bulk) Send(ctx context.Context, batch [][]byte) ([]error, error) {
	var body bytes.Buffer
	var p fastjson.Parser
	index, _ := json.Marshal(b.c.Index)
	for _, doc := range batch {
		body.WriteString(`{"create":{"_index":`)
		body.Write(index)
		if id := alertID(&p, doc); id != "" {
			q, _ := json.Marshal(id)
			body.WriteString(`,"_id":`)
			body.Write(q)
		}
		body.WriteString("}}\n")
		body.Write(doc)
		body.WriteByte('\n')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.url, &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "ApiKey "+b.c.APIKey)
	resp, err := b.c.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("_bulk: %s: %.300s", resp.Status, bytes.TrimSpace(raw))
	}
	var r struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int `json:"status"`
			Error  struct {
				Type   string `json:"type"`
				Reason string `json:"reason"`
			} `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("_bulk response: %v", err)
	}
	if len(r.Items) != len(batch) {
		return nil, fmt.Errorf("_bulk response: %d items for %d documents", len(r.Items), len(batch))
	}
	out := make([]error, len(batch))
	for i, item := range r.Items {
		for _, res := range item { // one action per item
			switch {
			case res.Status >= 200 && res.Status < 300, res.Status == http.StatusConflict:
				// indexed now, or already (a document with this alert id exists)
			case res.Status == http.StatusTooManyRequests || res.Status >= 500:
				out[i] = fmt.Errorf("%d %s: %s", res.Status, res.Error.Type, res.Error.Reason)
			default:
				out[i] = &delivery.Rejected{Reason: fmt.Sprintf("%d %s: %s", res.Status, res.Error.Type, res.Error.Reason)}
			}
		}
	}
	return out, nil
}
