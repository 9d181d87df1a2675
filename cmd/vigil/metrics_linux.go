//go:build linux

package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/sensor"
)

// sensorMetrics exposes the sensor's counters, read at each scrape, and
// the rules' matches.
type sensorMetrics struct {
	s       *sensor.Sensor
	reg     *prometheus.Registry
	matches *prometheus.CounterVec

	events, records, lost, suppressed, decode, unresolved, procs, writeDirs, held, heldTimeouts *prometheus.Desc
}

func newSensorMetrics(s *sensor.Sensor) *sensorMetrics {
	m := &sensorMetrics{
		s:   s,
		reg: prometheus.NewRegistry(),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigil_rule_matches_total",
			Help: "Alerts raised, by rule title and level.",
		}, []string{"rule", "level"}),
		events:       prometheus.NewDesc("vigil_sensor_events_total", "Events the sensor emitted, by event type (event_name).", []string{"type"}, nil),
		records:      prometheus.NewDesc("vigil_sensor_records_total", "Records read from the sensor's sources, by record kind.", []string{"kind"}, nil),
		lost:         prometheus.NewDesc("vigil_sensor_lost_events_total", "Records a source dropped because its buffer was full, by source and record kind.", []string{"source", "kind"}, nil),
		suppressed:   prometheus.NewDesc("vigil_sensor_suppressed_events_total", "Repeats a source did not report (the same connection or write again within a second, writes to hot files), by source and kind.", []string{"source", "kind"}, nil),
		decode:       prometheus.NewDesc("vigil_sensor_decode_errors_total", "Malformed records skipped, by source.", []string{"source"}, nil),
		unresolved:   prometheus.NewDesc("vigil_sensor_unattributed_records_total", "Records not (yet) attributed to the host or a container.", nil, nil),
		procs:        prometheus.NewDesc("vigil_sensor_processes", "Processes in the sensor's process tree, live and recently exited.", nil, nil),
		writeDirs:    prometheus.NewDesc("vigil_sensor_write_dirs", "Directories, on the host and in containers, whose files' writes are watched (absent when all writes are).", nil, nil),
		held:         prometheus.NewDesc("vigil_sensor_metadata_held_events_total", "Events that waited for what their container's runtime says of it (image, pod).", nil, nil),
		heldTimeouts: prometheus.NewDesc("vigil_sensor_metadata_wait_timeouts_total", "Containers whose events went out without their runtime's metadata, the wait having run out.", nil, nil),
	}
	m.reg.MustRegister(m, m.matches, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Describe implements prometheus.Collector.
func (m *sensorMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.events, m.records, m.lost, m.suppressed, m.decode, m.unresolved, m.procs, m.writeDirs, m.held, m.heldTimeouts} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (m *sensorMetrics) Collect(ch chan<- prometheus.Metric) {
	st := m.s.Stats()
	for name, n := range st.Events {
		ch <- prometheus.MustNewConstMetric(m.events, prometheus.CounterValue, float64(n), name)
	}
	for kind, n := range st.Records {
		ch <- prometheus.MustNewConstMetric(m.records, prometheus.CounterValue, float64(n), kind)
	}
	for src, kinds := range st.Lost {
		for kind, n := range kinds {
			ch <- prometheus.MustNewConstMetric(m.lost, prometheus.CounterValue, float64(n), src, kind)
		}
	}
	for src, kinds := range st.Suppressed {
		for kind, n := range kinds {
			ch <- prometheus.MustNewConstMetric(m.suppressed, prometheus.CounterValue, float64(n), src, kind)
		}
	}
	for src, n := range st.DecodeErrors {
		ch <- prometheus.MustNewConstMetric(m.decode, prometheus.CounterValue, float64(n), src)
	}
	ch <- prometheus.MustNewConstMetric(m.unresolved, prometheus.CounterValue, float64(st.Unresolved))
	ch <- prometheus.MustNewConstMetric(m.procs, prometheus.GaugeValue, float64(st.Tree.Processes))
	ch <- prometheus.MustNewConstMetric(m.held, prometheus.CounterValue, float64(st.MetadataHeld))
	ch <- prometheus.MustNewConstMetric(m.heldTimeouts, prometheus.CounterValue, float64(st.MetadataTimeouts))
	if dirs, all := m.s.WriteDirs(); !all {
		ch <- prometheus.MustNewConstMetric(m.writeDirs, prometheus.GaugeValue, float64(dirs))
	}
}

// match counts an alert.
func (m *sensorMetrics) match(a *detect.Alert) {
	m.matches.WithLabelValues(a.Rule.Title, a.Rule.Level).Inc()
}

// serve serves /metrics on addr until stop is called.
func (m *sensorMetrics) serve(addr string, log *slog.Logger) (stop func(), err error) {
	l, err := listen(addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	log.Info("serving metrics", "url", "http://"+l.Addr().String()+"/metrics")
	return serveHTTP(l, mux), nil
}
