// Package kafka publishes alerts to a Kafka topic with franz-go: an
// idempotent producer whose records are acknowledged by every in-sync
// replica (acks=all), each alert a record keyed by its alert group (the
// rule and its group-by values), so that one group's alerts land in one
// partition in order. A record counts as delivered when the broker has
// acknowledged it; a record the broker refuses for good (too large,
// invalid) is rejected, any other failure retried.
//
// The output's url is kafka://BROKER[,BROKER]/TOPIC (plaintext, allowed
// to brokers on this machine, or elsewhere with insecure_http) or
// kafkas://BROKER[,BROKER]/TOPIC (TLS).
package kafka

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
)

// Config configures the producer.
type Config struct {
	Brokers  []string
	Topic    string
	TLS      bool
	Insecure bool // plaintext to a broker that is not on this machine
	// DeliveryTimeout bounds how long a record is tried before Send
	// reports it failed (and delivery retries it later); default 30 s.
	DeliveryTimeout time.Duration
}

// Kafka is a delivery.Destination.
type Kafka struct {
	cl    *kgo.Client
	topic string
}

// ParseURL reads kafka://BROKER[,BROKER]/TOPIC or kafkas://... .
func ParseURL(u string) (brokers []string, topic string, useTLS bool, err error) {
	rest, ok := strings.CutPrefix(u, "kafka://")
	if !ok {
		if rest, ok = strings.CutPrefix(u, "kafkas://"); !ok {
			return nil, "", false, fmt.Errorf("url %q: want kafka://BROKER[,BROKER]/TOPIC or kafkas://...", u)
		}
		useTLS = true
	}
	hosts, topic, _ := strings.Cut(rest, "/")
	for _, h := range strings.Split(hosts, ",") {
		if _, _, err := net.SplitHostPort(h); err != nil {
			return nil, "", false, fmt.Errorf("url %q: broker %q: want host:port", u, h)
		}
		brokers = append(brokers, h)
	}
	if topic == "" || strings.ContainsAny(topic, "/ ") {
		return nil, "", false, fmt.Errorf("url %q: want a topic after the brokers", u)
	}
	return brokers, topic, useTLS, nil
}

// New checks the configuration and starts the producer (it connects
// lazily: a broker that is down delays delivery, it does not fail New).
func New(c Config) (*Kafka, error) {
	if len(c.Brokers) == 0 || c.Topic == "" {
		return nil, errors.New("no brokers or topic")
	}
	if !c.TLS && !c.Insecure {
		for _, b := range c.Brokers {
			if host, _, _ := net.SplitHostPort(b); !delivery.Loopback(host) {
				return nil, fmt.Errorf("broker %s: plaintext Kafka to a host that is not this machine; use kafkas://", b)
			}
		}
	}
	if c.DeliveryTimeout <= 0 {
		c.DeliveryTimeout = 30 * time.Second
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()), // idempotence is on by default with acks=all
		kgo.RecordDeliveryTimeout(c.DeliveryTimeout),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.ClientID("vigil"),
	}
	if c.TLS {
		opts = append(opts, kgo.DialTLSConfig(&tls.Config{MinVersion: tls.VersionTLS12}))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &Kafka{cl: cl, topic: c.Topic}, nil
}

// FromConfig returns the producer of a configuration file's output.
func FromConfig(o config.Output) (delivery.Destination, error) {
	brokers, topic, useTLS, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	return New(Config{Brokers: brokers, Topic: topic, TLS: useTLS, Insecure: o.InsecureHTTP})
}

// key is an alert's group: its rule id and group-by values (vigil's JSON),
// or the rule id alone.
func key(p *fastjson.Parser, rec []byte) []byte {
	v, err := p.ParseBytes(rec)
	if err != nil {
		return nil
	}
	k := append([]byte(nil), v.GetStringBytes("rule", "id")...)
	if g := v.Get("group_by"); g != nil {
		k = append(k, 0)
		k = g.MarshalTo(k)
	}
	return k
}

// Send implements delivery.Destination: the batch is produced at once and
// each record's acknowledgement awaited.
func (k *Kafka) Send(ctx context.Context, batch [][]byte) ([]error, error) {
	out := make([]error, len(batch))
	var wg sync.WaitGroup
	var p fastjson.Parser
	for i, rec := range batch {
		wg.Add(1)
		r := &kgo.Record{Key: key(&p, rec), Value: rec}
		k.cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			defer wg.Done()
			if err == nil {
				return
			}
			if errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.InvalidRecord) || errors.Is(err, kerr.CorruptMessage) {
				out[i] = &delivery.Rejected{Reason: err.Error()}
				return
			}
			out[i] = err
		})
	}
	wg.Wait()
	return out, nil
}

// Close flushes and closes the producer.
func (k *Kafka) Close() { k.cl.Close() }
