package main

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// outputMetrics exposes, per configured output, its delivery counters
// and spool, read at each scrape.
type outputMetrics struct {
	q                                                            *alertQueue
	sent, retried, dead, dropped, failures, bytes, oldest, qlost *prometheus.Desc
}

func newOutputMetrics(q *alertQueue) *outputMetrics {
	l := []string{"output"}
	return &outputMetrics{q: q,
		sent:     prometheus.NewDesc("vigil_output_sent_total", "Alerts the output's destination confirmed.", l, nil),
		retried:  prometheus.NewDesc("vigil_output_retried_total", "Alerts sent again after a failure.", l, nil),
		dead:     prometheus.NewDesc("vigil_output_dead_lettered_total", "Alerts the destination rejected for good, written to the dead-letter file.", l, nil),
		dropped:  prometheus.NewDesc("vigil_output_dropped_total", "Alerts dropped from a full spool (when_full: drop_oldest).", l, nil),
		failures: prometheus.NewDesc("vigil_output_failures_total", "Failed deliveries (whole or partial batches).", l, nil),
		bytes:    prometheus.NewDesc("vigil_output_spool_bytes", "Bytes of alerts in the spool, not yet confirmed.", l, nil),
		oldest:   prometheus.NewDesc("vigil_output_oldest_unsent_seconds", "Age of the oldest unconfirmed alert in the spool (0 when empty).", l, nil),
		qlost:    prometheus.NewDesc("vigil_output_queue_full_total", "Alerts not spooled because the queue to the spools was full.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (m *outputMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.sent, m.retried, m.dead, m.dropped, m.failures, m.bytes, m.oldest, m.qlost} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *outputMetrics) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v int64, name string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), name)
	}
	for _, st := range m.q.outs.Status() {
		counter(m.sent, st.Stats.Sent, st.Name)
		counter(m.retried, st.Stats.Retried, st.Name)
		counter(m.dead, st.Stats.DeadLettered, st.Name)
		counter(m.dropped, st.Stats.Spool.Dropped, st.Name)
		counter(m.failures, st.Stats.Failures, st.Name)
		ch <- prometheus.MustNewConstMetric(m.bytes, prometheus.GaugeValue, float64(st.Stats.Spool.Bytes), st.Name)
		age := 0.0
		if !st.Stats.Spool.Oldest.IsZero() {
			age = time.Since(st.Stats.Spool.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, age, st.Name)
	}
	ch <- prometheus.MustNewConstMetric(m.qlost, prometheus.CounterValue, float64(m.q.dropped.Load()))
}
