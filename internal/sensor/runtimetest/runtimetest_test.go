package runtimetest

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func TestImages(t *testing.T) {
	a, b := BuildImages(t), BuildImages(t)
	for _, pair := range [][2]Image{{a.Busybox, b.Busybox}, {a.Pause, b.Pause}} {
		x, y := pair[0], pair[1]
		if x.Digest != y.Digest || x.ConfigDigest != y.ConfigDigest {
			t.Errorf("%s: digests differ between builds: %s/%s, %s/%s", x.Ref, x.Digest, x.ConfigDigest, y.Digest, y.ConfigDigest)
		}
		for _, d := range []string{x.Digest, x.ConfigDigest, x.LayerDigest, x.DiffID} {
			if !digestRE.MatchString(d) {
				t.Errorf("%s: digest %q", x.Ref, d)
			}
		}
		files := readArchive(t, x.Archive)
		var index struct {
			Manifests []descriptor `json:"manifests"`
		}
		if err := json.Unmarshal(files["index.json"], &index); err != nil {
			t.Fatal(err)
		}
		if len(index.Manifests) != 1 || index.Manifests[0].Digest != x.Digest ||
			index.Manifests[0].Annotations[annotationRefName] != x.Ref || index.Manifests[0].Annotations[annotationImageName] != x.Ref {
			t.Errorf("%s: index.json %s", x.Ref, files["index.json"])
		}
		for _, d := range []string{x.Digest, x.ConfigDigest, x.LayerDigest} {
			blob, ok := files["blobs/sha256/"+strings.TrimPrefix(d, "sha256:")]
			if !ok || digestOf(blob) != d {
				t.Errorf("%s: blob %s missing or wrong", x.Ref, d)
			}
		}
		if string(files["oci-layout"]) != `{"imageLayoutVersion":"1.0.0"}` {
			t.Errorf("oci-layout %q", files["oci-layout"])
		}
	}
	if a.Busybox.LayerDigest != a.Pause.LayerDigest || a.Busybox.Digest == a.Pause.Digest {
		t.Errorf("busybox and pause should share their layer only")
	}
	if a.Busybox.DigestRef() != "docker.io/vigiltest/busybox@"+a.Busybox.Digest {
		t.Errorf("DigestRef %q", a.Busybox.DigestRef())
	}
}

func readArchive(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = data
	}
}

// checkLongLived checks that pid runs busybox's sleep and is in cgroup want
// in the v2 hierarchy.
func checkLongLived(t *testing.T, pid int, want string) {
	t.Helper()
	if pid <= 1 || !alive(pid) {
		t.Fatalf("container pid %d is not alive", pid)
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if string(cmdline) != "sleep\x003600\x00" {
		t.Errorf("pid %d runs %q, not sleep 3600", pid, cmdline)
	}
	cg, err := CgroupV2(pid)
	if err != nil {
		t.Fatal(err)
	}
	if cg != want {
		t.Errorf("pid %d is in cgroup %q, want %q", pid, cg, want)
	}
}

// checkCgroupOutput checks what `cat /proc/self/cgroup` printed.
func checkCgroupOutput(t *testing.T, out, want string) {
	t.Helper()
	cg, err := cgroupV2Line(out)
	if err != nil {
		t.Fatal(err)
	}
	if cg != want {
		t.Errorf("container's cgroup %q, want %q; /proc/self/cgroup:\n%s", cg, want, out)
	}
	// The v1 hierarchies have the same path.
	if !strings.Contains(out, ":memory:"+want+"\n") {
		t.Errorf("memory cgroup is not %s:\n%s", want, out)
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestContainerd(t *testing.T) {
	c := StartContainerd(t)
	imgs := c.Images

	t.Run("ctr/short", func(t *testing.T) {
		k := c.Run(t, Options{Args: []string{"sh", "-c", "cat /proc/self/cgroup"}})
		if code := k.Wait(20 * time.Second); code != 0 {
			t.Fatalf("exit code %d; stderr %s", code, k.Stderr())
		}
		if k.PID <= 1 {
			t.Errorf("pid %d", k.PID)
		}
		checkCgroupOutput(t, k.Stdout(), "/default/"+k.ID)
	})
	t.Run("ctr/exit", func(t *testing.T) {
		k := c.Run(t, Options{Args: []string{"true"}})
		if code := k.Wait(20 * time.Second); code != 0 || k.PID <= 1 {
			t.Errorf("exit code %d, pid %d", code, k.PID)
		}
		k = c.Run(t, Options{Args: []string{"sh", "-c", "exit 3"}})
		if code := k.Wait(20 * time.Second); code != 3 {
			t.Errorf("exit code %d, want 3", code)
		}
		k = c.Run(t, Options{Detach: true, Args: []string{"sh", "-c", "cat /proc/self/cgroup; exit 7"}})
		if code := k.Wait(20 * time.Second); code != 7 {
			t.Errorf("detached: exit code %d, want 7", code)
		}
		checkCgroupOutput(t, k.Stdout(), "/default/"+k.ID)
	})
	t.Run("ctr/long", func(t *testing.T) {
		k := c.Run(t, Options{Detach: true})
		checkLongLived(t, k.PID, "/default/"+k.ID)
		out, err := c.Ctr(CtrNamespace, "containers", "info", k.ID)
		if err != nil {
			t.Fatal(err)
		}
		var info struct{ Image, SnapshotKey, Snapshotter string }
		if err := json.Unmarshal([]byte(out), &info); err != nil {
			t.Fatalf("ctr containers info: %v: %s", err, out)
		}
		if info.Image != BusyboxRef || info.Snapshotter != "overlayfs" {
			t.Errorf("ctr containers info: image %q snapshotter %q", info.Image, info.Snapshotter)
		}
		out, err = c.Ctr(CtrNamespace, "images", "list", "name=="+BusyboxRef)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, imgs.Busybox.Digest) {
			t.Errorf("ctr images list does not give digest %s:\n%s", imgs.Busybox.Digest, out)
		}
		k.Kill()
		if code := k.Wait(20 * time.Second); code != 137 {
			t.Errorf("killed: exit code %d, want 137", code)
		}
	})
	t.Run("cri/short", func(t *testing.T) {
		p := c.RunPod(t, PodOptions{Container: ContainerOptions{Args: []string{"sh", "-c", "cat /proc/self/cgroup"}}})
		ct := p.Container
		if code := ct.Wait(t, 20*time.Second); code != 0 {
			t.Fatalf("exit code %d; log %s", code, ct.Logs())
		}
		if !hexID.MatchString(ct.ID) || !hexID.MatchString(p.SandboxID) || ct.PID <= 1 {
			t.Errorf("container %q, sandbox %q, pid %d", ct.ID, p.SandboxID, ct.PID)
		}
		checkCgroupOutput(t, ct.Logs(), "/kubepods/besteffort/pod"+p.UID+"/"+ct.ID)
	})
	t.Run("cri/long", func(t *testing.T) {
		p := c.RunPod(t, PodOptions{
			Name: "web", Namespace: "shop", UID: "0f1e2d3c-4b5a-4697-8877-665544332211",
			Labels:    map[string]string{"app": "web"},
			Container: ContainerOptions{Name: "server"},
		})
		ct := p.Container
		parent := "/kubepods/besteffort/pod" + p.UID
		if p.CgroupParent != parent {
			t.Errorf("CgroupParent %q", p.CgroupParent)
		}
		checkLongLived(t, ct.PID, parent+"/"+ct.ID)
		cg, err := CgroupV2(p.SandboxPID)
		if err != nil || cg != parent+"/"+p.SandboxID {
			t.Errorf("sandbox pid %d cgroup %q (%v), want %s", p.SandboxPID, cg, err, parent+"/"+p.SandboxID)
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.SandboxPID))
		if string(cmdline) != "sleep\x002147483647\x00" {
			t.Errorf("sandbox pid %d runs %q", p.SandboxPID, cmdline)
		}
		st := ct.Status(t).GetStatus()
		if st.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING || st.GetMetadata().GetName() != "server" {
			t.Errorf("status %v", st)
		}
		if st.GetImage().GetImage() != BusyboxRef || st.GetImageRef() != imgs.Busybox.DigestRef() {
			t.Errorf("status image %q, image ref %q; want %s, %s", st.GetImage().GetImage(), st.GetImageRef(), BusyboxRef, imgs.Busybox.DigestRef())
		}
		ctx, cancel := criCtx()
		defer cancel()
		ps, err := c.CRI(t).Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.SandboxID})
		if err != nil {
			t.Fatal(err)
		}
		md := ps.GetStatus().GetMetadata()
		if md.GetName() != "web" || md.GetNamespace() != "shop" || md.GetUid() != p.UID || ps.GetStatus().GetLabels()["app"] != "web" {
			t.Errorf("pod sandbox status %v", ps.GetStatus())
		}
		is, err := c.CRI(t).Image.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{Image: &runtimeapi.ImageSpec{Image: BusyboxRef}})
		if err != nil {
			t.Fatal(err)
		}
		if is.GetImage().GetId() != imgs.Busybox.ConfigDigest {
			t.Errorf("CRI image id %q, want %s", is.GetImage().GetId(), imgs.Busybox.ConfigDigest)
		}
	})
}

func TestPodman(t *testing.T) {
	p := StartPodman(t)
	if p.StorageDriver != "overlay" {
		t.Errorf("storage driver %s, want overlay", p.StorageDriver)
	}
	imgs := p.Images

	t.Run("short", func(t *testing.T) {
		k := p.Run(t, Options{Args: []string{"sh", "-c", "cat /proc/self/cgroup"}})
		if code := k.Wait(20 * time.Second); code != 0 {
			t.Fatalf("exit code %d; stderr %s", code, k.Stderr())
		}
		if !hexID.MatchString(k.ID) || k.PID <= 1 {
			t.Errorf("id %q, pid %d", k.ID, k.PID)
		}
		checkCgroupOutput(t, k.Stdout(), "/libpod_parent/libpod-"+k.ID)
	})
	t.Run("exit", func(t *testing.T) {
		k := p.Run(t, Options{Args: []string{"sh", "-c", "exit 3"}})
		if code := k.Wait(20 * time.Second); code != 3 {
			t.Errorf("exit code %d, want 3", code)
		}
		k = p.Run(t, Options{Detach: true, Args: []string{"sh", "-c", "cat /proc/self/cgroup; exit 7"}})
		if code := k.Wait(20 * time.Second); code != 7 {
			t.Errorf("detached: exit code %d, want 7", code)
		}
		checkCgroupOutput(t, k.Stdout(), "/libpod_parent/libpod-"+k.ID)
	})
	t.Run("long", func(t *testing.T) {
		k := p.Run(t, Options{})
		checkLongLived(t, k.PID, "/libpod_parent/libpod-"+k.ID)
		out, err := p.Podman("inspect", "--type", "container", "--format", "{{.ImageName}} {{.ImageDigest}} {{.Image}} {{.State.Pid}} {{.State.ConmonPid}}", k.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("%s %s %s %d ", BusyboxRef, imgs.Busybox.Digest, strings.TrimPrefix(imgs.Busybox.ConfigDigest, "sha256:"), k.PID)
		if !strings.HasPrefix(out, want) {
			t.Errorf("podman inspect: %q, want %q and conmon's pid", out, want)
		}
		var conmon int
		fmt.Sscan(strings.TrimPrefix(out, want), &conmon)
		// podman moves conmon into /libpod_parent/conmon in the v1
		// hierarchies only; in v2 it stays where podman ran.
		data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", conmon))
		if !strings.Contains(string(data), ":memory:/libpod_parent/conmon\n") {
			t.Errorf("conmon %d is not in memory cgroup /libpod_parent/conmon:\n%s", conmon, data)
		}
		out, err = p.Podman("image", "inspect", "--format", "{{.Id}} {{.Digest}}", BusyboxRef)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimPrefix(imgs.Busybox.ConfigDigest, "sha256:") + " " + imgs.Busybox.Digest; strings.TrimSpace(out) != want {
			t.Errorf("podman image inspect: %q, want %q", out, want)
		}
		k.Kill()
		if code := k.Wait(20 * time.Second); code != 137 {
			t.Errorf("killed: exit code %d, want 137", code)
		}
	})
}

// TestCleanup checks that a daemon's directory, mounts and processes are
// gone when its test ends.
func TestCleanup(t *testing.T) {
	runctest.RequireRoot(t)
	var dirs []string
	var pids []int
	t.Run("containerd", func(t *testing.T) {
		c := StartContainerd(t)
		dirs = append(dirs, c.Dir)
		pids = append(pids, c.Run(t, Options{Detach: true}).PID, c.Run(t, Options{}).PID)
		pod := c.RunPod(t, PodOptions{})
		pids = append(pids, pod.SandboxPID, pod.Container.PID)
		if mps, _ := mountsUnder(c.Dir); len(mps) == 0 {
			t.Errorf("no mounts under %s while containers run", c.Dir)
		}
	})
	t.Run("podman", func(t *testing.T) {
		p := StartPodman(t)
		dirs = append(dirs, p.Dir)
		pids = append(pids, p.Run(t, Options{Detach: true}).PID, p.Run(t, Options{}).PID)
	})
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("container pid %d still runs", pid)
		}
	}
	for _, dir := range dirs {
		if _, err := os.Lstat(dir); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", dir, err)
		}
		if mps, err := mountsUnder(dir); err != nil || len(mps) > 0 {
			t.Errorf("mounts left under %s: %q %v", dir, mps, err)
		}
		var running []int
		waitFor(5*time.Second, 20*time.Millisecond, func() bool {
			running = running[:0]
			for _, pid := range pidsNaming(dir) {
				if alive(pid) {
					running = append(running, pid)
				}
			}
			return len(running) == 0
		})
		if len(running) > 0 {
			t.Errorf("processes naming %s left: %v", dir, running)
		}
	}
}
