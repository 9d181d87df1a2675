package kafka_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/output/kafka"
	"github.com/vigilsec/vigil/internal/spool"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestBrokerDownThenUp: alerts spooled while no broker listens are
// produced once the cluster (kfake, the Kafka wire protocol in process)
// comes up; every alert is in the topic, keyed by its group.
func TestBrokerDownThenUp(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dir := t.TempDir()
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(dir, "spool")})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	dest, err := kafka.New(kafka.Config{Brokers: []string{addr}, Topic: "vigil-alerts", DeliveryTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer dest.Close()
	out, _ := delivery.New("kafka", dest, sp, delivery.Options{Batch: 20, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, DeadLetter: filepath.Join(dir, "dl.jsonl")})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	go out.Run(ctx)
	for i := range 40 {
		rec := fmt.Appendf(nil, `{"id":"a%03d","rule":{"id":"r%d"},"group_by":{"src_user":"u%d"},"events":[]}`, i, i%3, i%5)
		if err := out.Enqueue(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	for out.Stats().Failures == 0 {
		time.Sleep(20 * time.Millisecond) // the broker is down: deliveries fail
	}
	c, err := kfake.NewCluster(kfake.Ports(port), kfake.SeedTopics(3, "vigil-alerts"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if left := out.Drain(ctx); left != 0 {
		t.Fatalf("%d alerts left: %s", left, out.LastError())
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("vigil-alerts"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]string{} // alert id → key
	for len(got) < 40 && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			var a struct{ ID string }
			json.Unmarshal(r.Value, &a)
			got[a.ID] = string(r.Key)
		})
	}
	if len(got) != 40 {
		t.Fatalf("%d of 40 alerts in the topic", len(got))
	}
	if k := got["a007"]; k != "r1\x00{\"src_user\":\"u2\"}" {
		t.Errorf("key of a007 %q", k)
	}
}

func TestURL(t *testing.T) {
	b, topic, tls, err := kafka.ParseURL("kafkas://k1:9093,k2:9093/vigil-alerts")
	if err != nil || len(b) != 2 || topic != "vigil-alerts" || !tls {
		t.Errorf("%v %q %v %v", b, topic, tls, err)
	}
	for _, u := range []string{"kafka://k1/alerts", "kafka://k1:9092", "http://k1:9092/t"} {
		if _, _, _, err := kafka.ParseURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := kafka.New(kafka.Config{Brokers: []string{"kafka.example.com:9092"}, Topic: "t"}); err == nil {
		t.Error("plaintext to a remote broker accepted")
	}
}
