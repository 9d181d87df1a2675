// Package webhook posts alerts to an HTTP endpoint: one JSON alert per
// POST, signed so that the receiver can tell it came from vigil and was
// not replayed. The headers are
//
//	X-Vigil-Timestamp: <Unix seconds>
//	X-Vigil-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the shared secret>
//
// A 2xx response confirms the alert; 408, 429 and 5xx responses and
// network errors are retried; any other status rejects it for good.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
)

// Config configures a webhook.
type Config struct {
	URL    string
	Secret []byte // HMAC key; from a file or the environment, never a flag
	// Insecure allows plain http to a host other than loopback.
	Insecure bool
	Client   *http.Client // default: 10 s timeout
	Headers  map[string]string
}

// Webhook is a delivery.Destination.
type Webhook struct {
	c   Config
	url string
}

// New checks the configuration and returns the webhook.
func New(c Config) (*Webhook, error) {
	u, err := delivery.HTTPEndpoint(c.URL, c.Insecure)
	if err != nil {
		return nil, err
	}
	if len(c.Secret) == 0 {
		return nil, errors.New("no signing secret")
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Webhook{c: c, url: u.String()}, nil
}

// Sign returns the X-Vigil-Signature value of body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Send implements delivery.Destination: one POST per alert, stopping at
// the first that fails (the rest are sent on the retry).
func (w *Webhook) Send(ctx context.Context, batch [][]byte) ([]error, error) {
	out := make([]error, len(batch))
	for i, body := range batch {
		out[i] = w.post(ctx, body)
		var rej *delivery.Rejected
		if out[i] != nil && !errors.As(out[i], &rej) {
			for j := i + 1; j < len(batch); j++ {
				out[j] = errors.New("not sent: an earlier alert failed")
			}
			break
		}
	}
	return out, nil
}

func (w *Webhook) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "vigil")
	req.Header.Set("X-Vigil-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Vigil-Signature", Sign(w.c.Secret, ts, body))
	for k, v := range w.c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := w.c.Client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return &delivery.Rejected{Reason: fmt.Sprintf("%s: %s", resp.Status, bytes.TrimSpace(msg))}
}

// FromConfig returns the webhook of a configuration file's output.
func FromConfig(o config.Output) (delivery.Destination, error) {
	return New(Config{URL: o.URL, Secret: []byte(o.Secret), Insecure: o.InsecureHTTP, Headers: o.Headers})
}
