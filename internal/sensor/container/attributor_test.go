package container

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/vigilsec/vigil/internal/sensor/runctest"
)

func cgroup2(t testing.TB) string {
	t.Helper()
	root, err := FindCgroup2()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// inode is a directory's inode number, read independently of CgroupID.
func inode(t testing.TB, dir string) uint64 {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func newAttributor(t testing.TB, cfg Config) *Attributor {
	t.Helper()
	if cfg.CRISockets == nil {
		cfg.CRISockets = []string{}
	}
	if cfg.DockerSockets == nil {
		cfg.DockerSockets = []string{}
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestRuncContainer(t *testing.T) {
	before := time.Now()
	c := runctest.Start(t, runctest.Options{
		Args:        []string{"sleep", "60"},
		Annotations: map[string]string{"org.example.team": "blue"},
	})
	after := time.Now()
	root := cgroup2(t)
	want := inode(t, filepath.Join(root, c.ID))
	a := newAttributor(t, Config{})

	// By pid: /proc/<pid>/cgroup gives the cgroup.
	byPID := a.Lookup(0, uint32(c.PID()))
	if byPID.ID != c.ID || byPID.Runtime != RuntimeRunc || byPID.CgroupID != want || byPID.CgroupPath != "/"+c.ID {
		t.Fatalf("Lookup(0, %d) = %+v; want runc container %s in cgroup %d", c.PID(), byPID, c.ID, want)
	}
	// By cgroup id alone: a fresh attributor walks the hierarchy.
	b := newAttributor(t, Config{})
	byID := b.Lookup(want, 0)
	if byID.ID != c.ID || byID.Runtime != RuntimeRunc {
		t.Fatalf("Lookup(%d, 0) = %+v", want, byID)
	}
	if s := b.Stats(); s.Walks != 1 || s.Misses != 1 {
		t.Errorf("stats after one miss: %+v", s)
	}
	again := b.Lookup(want, uint32(c.PID()))
	if again != byID {
		t.Errorf("cached lookup %+v differs from %+v", again, byID)
	}
	if s := b.Stats(); s.Walks != 1 || s.Misses != 1 {
		t.Errorf("a cached lookup missed: %+v", s)
	}

	m := byPID.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err != nil {
		t.Fatalf("metadata %+v", m)
	}
	if m.Source != "runc" || m.Rootfs != c.Rootfs || m.Bundle != c.Bundle || m.InitPID != c.PID() {
		t.Errorf("metadata %+v; want rootfs %s bundle %s pid %d", m, c.Rootfs, c.Bundle, c.PID())
	}
	if m.Annotations["org.example.team"] != "blue" {
		t.Errorf("annotations %v", m.Annotations)
	}
	if m.Created.Before(before.Add(-time.Second)) || m.Created.After(after) {
		t.Errorf("created %v not between %v and %v", m.Created, before, after)
	}
	start, src := byPID.Container.StartTime()
	if src != TimeRuntime || !start.Equal(m.Created) {
		t.Errorf("start time %v from %v", start, src)
	}
	// The first process's start time was recorded too, within a tick.
	first := time.Unix(0, byPID.Container.firstStart.Load())
	if d := first.Sub(m.Created); d < -time.Second || d > 2*time.Second {
		t.Errorf("first process started %v, created %v", first, m.Created)
	}

	// An exec'd process of the same container is the same container.
	p := c.StartExec("sleep", "5")
	info := a.Lookup(0, uint32(p.PID()))
	if info.Container != byPID.Container {
		t.Errorf("exec'd process attributed to %+v", info)
	}
}

func TestHostProcess(t *testing.T) {
	runctest.RequireRoot(t)
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := ParseProcCgroup(data)
	if err != nil {
		t.Fatal(err)
	}
	a := newAttributor(t, Config{})
	info := a.Lookup(0, uint32(os.Getpid()))
	if !info.Host() || info.ID != "" || info.Container != nil || info.CgroupPath != pc.Unified {
		t.Fatalf("own process: %+v; want host in %s", info, pc.Unified)
	}
	if info.CgroupID != inode(t, filepath.Join(cgroup2(t), pc.Unified)) {
		t.Errorf("cgroup id %d", info.CgroupID)
	}
	root := a.Lookup(inode(t, cgroup2(t)), 0)
	if !root.Host() || root.CgroupPath != "/" {
		t.Errorf("root cgroup: %+v", root)
	}
	if a.Lookup(0, 0).Resolved() {
		t.Error("nothing to look up resolved")
	}
}

// testCgroup makes a cgroup directory under a per-test top cgroup and
// removes it (killing what runs in it) at the end.
func testCgroup(t testing.TB, rel string) (string, uint64) {
	t.Helper()
	runctest.RequireRoot(t)
	root := cgroup2(t)
	top := fmt.Sprintf("vigiltest-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "_"))
	dir := filepath.Join(root, top, rel)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Remove the tree, deepest first.
		var dirs []string
		filepath.Walk(filepath.Join(root, top), func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := os.Remove(dirs[i]); err != nil {
				t.Errorf("removing cgroup: %v", err)
			}
		}
	})
	return "/" + top + "/" + rel, inode(t, dir)
}

// runIn starts `sleep` in cgroup path (relative to the v2 root).
func runIn(t testing.TB, path string) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	procs := filepath.Join(cgroup2(t), path, "cgroup.procs")
	if err := os.WriteFile(procs, []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
		t.Fatalf("moving %d into %s: %v", cmd.Process.Pid, path, err)
	}
	return cmd.Process.Pid
}

// fakeCRI is a CRI runtime service that knows one container.
type fakeCRI struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	id      string
	created time.Time
	started time.Time
	release chan struct{} // if set, answers wait for it
	calls   chan string
}

func (f *fakeCRI) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	f.calls <- req.ContainerId
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if req.ContainerId != f.id {
		return nil, status.Errorf(codes.NotFound, "container %q not found", req.ContainerId)
	}
	if !req.Verbose {
		return nil, status.Error(codes.InvalidArgument, "want verbose")
	}
	return &runtimeapi.ContainerStatusResponse{
		Status: &runtimeapi.ContainerStatus{
			Id:        f.id,
			Metadata:  &runtimeapi.ContainerMetadata{Name: "web", Attempt: 1},
			State:     runtimeapi.ContainerState_CONTAINER_RUNNING,
			CreatedAt: f.created.UnixNano(),
			StartedAt: f.started.UnixNano(),
			Image:     &runtimeapi.ImageSpec{Image: "docker.io/library/nginx:1.27"},
			ImageRef:  "docker.io/library/nginx@sha256:" + id2,
			ImageId:   "sha256:" + id1,
			Labels: map[string]string{
				labelPodName:       "web-7d4b9",
				labelPodNamespace:  "shop",
				labelPodUID:        uid,
				labelContainerName: "web",
			},
			Annotations: map[string]string{"io.kubernetes.container.restartCount": "0"},
		},
		Info: map[string]string{"info": `{"pid":4242,"sandboxID":"abc"}`},
	}, nil
}

func serveCRI(t testing.TB, f *fakeCRI) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "cri.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(s, f)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return sock
}

func TestCRIMetadata(t *testing.T) {
	cid := id2
	path, cgid := testCgroup(t, "kubepods/besteffort/pod"+uid+"/"+cid)
	pid := runIn(t, path)
	now := time.Now().Truncate(time.Second)
	f := &fakeCRI{id: cid, created: now.Add(-3 * time.Second), started: now.Add(-2 * time.Second),
		release: make(chan struct{}), calls: make(chan string, 10)}
	sock := serveCRI(t, f)
	a := newAttributor(t, Config{CRISockets: []string{"/nonexistent/cri.sock", sock}, RuncRoots: []string{t.TempDir()}})

	info := a.Lookup(0, uint32(pid))
	if info.Runtime != RuntimeCRI || info.ID != cid || info.PodUID != uid || info.CgroupID != cgid || info.CgroupPath != path {
		t.Fatalf("Lookup = %+v", info)
	}
	// While the runtime has not answered, the event has the id and no
	// metadata, and the lookup did not wait.
	select {
	case got := <-f.calls:
		if got != cid {
			t.Errorf("CRI asked for %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no CRI call")
	}
	if m := info.Container.Metadata(); m != nil {
		t.Fatalf("metadata before the answer: %+v", m)
	}
	if _, src := info.Container.StartTime(); src != TimeFirstProcess {
		t.Errorf("start time before the answer from %v", src)
	}
	close(f.release)
	m := info.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err != nil {
		t.Fatalf("metadata %+v", m)
	}
	want := Metadata{Source: "cri", Name: "web", Image: "docker.io/library/nginx:1.27", ImageID: "sha256:" + id1,
		ImageDigest: "sha256:" + id2, PodName: "web-7d4b9", PodNamespace: "shop", PodUID: uid, InitPID: 4242}
	got := *m
	got.Labels, got.Annotations, got.Created, got.Started, got.sandboxID = nil, nil, time.Time{}, time.Time{}, ""
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metadata\n got %+v\nwant %+v", got, want)
	}
	if !m.Created.Equal(f.created) || !m.Started.Equal(f.started) || m.Labels[labelContainerName] != "web" {
		t.Errorf("times %v %v labels %v", m.Created, m.Started, m.Labels)
	}
	if start, src := info.Container.StartTime(); src != TimeRuntime || !start.Equal(f.started) {
		t.Errorf("start time %v from %v", start, src)
	}
	// The same cgroup by id is cached, with the same container.
	if again := a.Lookup(cgid, uint32(pid)); again.Container != info.Container {
		t.Errorf("again %+v", again)
	}
}

func TestCRITimeout(t *testing.T) {
	cid := id1
	path, cgid := testCgroup(t, "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"+uidU+".slice/cri-containerd-"+cid+".scope")
	f := &fakeCRI{id: cid, release: make(chan struct{}), calls: make(chan string, 10)}
	defer close(f.release)
	sock := serveCRI(t, f)
	clock := &fakeClock{now: time.Now()}
	var mu sync.Mutex
	var errs []error
	a := newAttributor(t, Config{CRISockets: []string{sock}, RuncRoots: []string{t.TempDir()},
		LookupTimeout: 200 * time.Millisecond, RetryInterval: time.Minute, Now: clock.Now,
		OnError: func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }})
	info := a.Lookup(cgid, 0)
	if info.Runtime != RuntimeContainerd || info.ID != cid || info.PodUID != uid || info.CgroupPath != path {
		t.Fatalf("Lookup = %+v", info)
	}
	m := info.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err == nil || !strings.Contains(m.Err.Error(), "DeadlineExceeded") || !strings.Contains(m.Err.Error(), sock) {
		t.Fatalf("metadata after a timeout: %+v", m)
	}
	if s := a.Stats(); s.MetadataErrors != 1 || s.MetadataLookups != 1 {
		t.Errorf("stats %+v", s)
	}
	mu.Lock()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "containerd container "+cid) {
		t.Errorf("reported %v", errs)
	}
	mu.Unlock()
	// No retry before RetryInterval; one after it.
	a.Lookup(cgid, 0)
	if s := a.Stats(); s.MetadataLookups != 1 {
		t.Errorf("retried early: %+v", s)
	}
	clock.Add(2 * time.Minute)
	a.Lookup(cgid, 0)
	deadline := time.Now().Add(10 * time.Second)
	for a.Stats().MetadataLookups != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s := a.Stats(); s.MetadataLookups != 2 {
		t.Errorf("no retry: %+v", s)
	}
}

// fakeDocker answers the Docker Engine API for one container.
func serveDocker(t testing.TB, id string, inspect string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != id {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message":"No such container: %s"}`, r.PathValue("id"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io := strings.NewReader(inspect)
		io.WriteTo(w)
	})
	mux.HandleFunc("GET /images/{id}/json", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "sha256:"+id2 {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"Id": "sha256:" + id2, "RepoTags": []string{"alpine:3.20"},
			"RepoDigests": []string{"alpine@sha256:" + id1}})
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })
	return sock
}

const dockerInspectSample = `{
  "Id": "%s",
  "Created": "2026-11-24T20:29:31.123456789Z",
  "Path": "sh",
  "Args": ["-c", "sleep 1000"],
  "State": {"Status": "running", "Running": true, "Pid": 5151, "ExitCode": 0,
    "StartedAt": "2026-11-24T20:29:32.5Z", "FinishedAt": "0001-01-01T00:00:00Z"},
  "Image": "sha256:` + id2 + `",
  "Name": "/shop-web-1",
  "GraphDriver": {"Data": {"MergedDir": "/var/lib/docker/overlay2/abc/merged"}, "Name": "overlay2"},
  "Config": {"Hostname": "8f2b5c3e4d6a", "Image": "alpine:3.20",
    "Labels": {"com.docker.compose.project": "shop", "com.docker.compose.service": "web"}}
}`

func TestDockerMetadata(t *testing.T) {
	cid := id1
	path, cgid := testCgroup(t, "system.slice/docker-"+cid+".scope")
	sock := serveDocker(t, cid, fmt.Sprintf(dockerInspectSample, cid))
	a := newAttributor(t, Config{DockerSockets: []string{sock}, RuncRoots: []string{t.TempDir()}})
	info := a.Lookup(cgid, 0)
	if info.Runtime != RuntimeDocker || info.ID != cid || info.CgroupPath != path {
		t.Fatalf("Lookup = %+v", info)
	}
	m := info.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err != nil {
		t.Fatalf("metadata %+v", m)
	}
	started, _ := time.Parse(time.RFC3339Nano, "2026-11-24T20:29:32.5Z")
	if m.Source != "docker" || m.Name != "shop-web-1" || m.Image != "alpine:3.20" || m.ImageID != "sha256:"+id2 ||
		m.ImageDigest != "sha256:"+id1 || m.Labels["com.docker.compose.service"] != "web" || !m.Started.Equal(started) ||
		m.Rootfs != "/var/lib/docker/overlay2/abc/merged" || m.InitPID != 5151 {
		t.Errorf("metadata %+v", m)
	}
	if st, src := info.Container.StartTime(); !st.Equal(started) || src != TimeRuntime {
		t.Errorf("start %v %v", st, src)
	}
}

func TestDockerBadAnswers(t *testing.T) {
	cid := id2
	_, cgid := testCgroup(t, "docker/"+cid)
	_, cgid2 := testCgroup(t, "docker/"+id1)
	sock := serveDocker(t, cid, `{"Id": "x", "Created": "yesterday"}`)
	a := newAttributor(t, Config{DockerSockets: []string{sock}, RuncRoots: []string{t.TempDir()}})
	info := a.Lookup(cgid, 0)
	if info.Runtime != RuntimeDocker || info.ID != cid {
		t.Fatalf("Lookup = %+v", info)
	}
	m := info.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err == nil || !strings.Contains(m.Err.Error(), sock) || !strings.Contains(m.Err.Error(), `Created: time "yesterday"`) {
		t.Fatalf("metadata %+v", m)
	}
	// Not known to the API: a clear not-found.
	m2 := a.Lookup(cgid2, 0).Container.WaitMetadata(10 * time.Second)
	if m2 == nil || m2.Err == nil || !strings.Contains(m2.Err.Error(), "no such container") {
		t.Fatalf("metadata %+v", m2)
	}
	if s := a.Stats(); s.MetadataErrors != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestMalformedCgroupNameCounted(t *testing.T) {
	path, cgid := testCgroup(t, "system.slice/docker-1234.scope")
	var got []error
	a := newAttributor(t, Config{OnError: func(err error) { got = append(got, err) }})
	info := a.Lookup(cgid, 0)
	if info.Resolved() || info.CgroupPath != path {
		t.Errorf("Lookup = %+v", info)
	}
	if s := a.Stats(); s.PathErrors != 1 || len(got) != 1 || !strings.Contains(got[0].Error(), "docker-1234.scope") {
		t.Errorf("stats %+v errors %v", s, got)
	}
	a.Lookup(cgid, 0)
	if s := a.Stats(); s.PathErrors != 1 || s.Misses != 1 {
		t.Errorf("the malformed path was parsed again: %+v", s)
	}
}

func TestRewalkRateLimited(t *testing.T) {
	runctest.RequireRoot(t)
	clock := &fakeClock{now: time.Now()}
	a := newAttributor(t, Config{Now: clock.Now, RewalkInterval: time.Second})
	const missing = 1<<62 + 12345
	for i := 0; i < 100; i++ {
		if info := a.Lookup(missing, 0); info.Resolved() {
			t.Fatalf("missing cgroup resolved: %+v", info)
		}
	}
	if s := a.Stats(); s.Walks != 1 || s.Unresolved != 1 {
		t.Fatalf("100 lookups of a missing cgroup: %+v", s)
	}
	// A cgroup made after the walk is found once the interval passed.
	path, cgid := testCgroup(t, "late")
	clock.Add(100 * time.Millisecond)
	if info := a.Lookup(cgid, 0); info.Resolved() {
		t.Fatalf("resolved without a walk: %+v", info)
	}
	if info := a.Lookup(cgid, 0); info.Resolved() {
		t.Fatalf("resolved without a walk: %+v", info)
	}
	clock.Add(time.Second)
	if info := a.Lookup(cgid, 0); !info.Host() || info.CgroupPath != path {
		t.Fatalf("after the interval: %+v", info)
	}
	if s := a.Stats(); s.Walks != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestRuncStateWrittenLate(t *testing.T) {
	name := fmt.Sprintf("vt-late-%d", os.Getpid())
	runcRoot := t.TempDir()
	_, cgid := testCgroup(t, name)
	clock := &fakeClock{now: time.Now()}
	a := newAttributor(t, Config{Now: clock.Now, RuncRoots: []string{runcRoot}})
	if info := a.Lookup(cgid, 0); !info.Host() {
		t.Fatalf("before runc state: %+v", info)
	}
	if err := os.MkdirAll(filepath.Join(runcRoot, name), 0o700); err != nil {
		t.Fatal(err)
	}
	state := fmt.Sprintf(`{"id":%q,"init_process_pid":1,"created":"2026-11-24T20:29:32.598331515Z","config":{"rootfs":"/b/rootfs","labels":["bundle=/b"]}}`, name)
	if err := os.WriteFile(filepath.Join(runcRoot, name, "state.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	if info := a.Lookup(cgid, 0); !info.Host() {
		t.Fatalf("looked again too early: %+v", info)
	}
	clock.Add(5 * time.Second)
	info := a.Lookup(cgid, 0)
	if info.Runtime != RuntimeRunc || info.ID != name {
		t.Fatalf("after runc wrote its state: %+v", info)
	}
	if m := info.Container.WaitMetadata(10 * time.Second); m == nil || m.Rootfs != "/b/rootfs" || m.Bundle != "/b" {
		t.Errorf("metadata %+v", m)
	}
}

func TestCacheBounded(t *testing.T) {
	runctest.RequireRoot(t)
	var ids []uint64
	for _, n := range []string{"a", "b", "c"} {
		_, id := testCgroup(t, n)
		ids = append(ids, id)
	}
	a := newAttributor(t, Config{MaxCgroups: 2}) // its first walk finds them
	for _, id := range ids {
		if !a.Lookup(id, 0).Host() {
			t.Fatalf("cgroup %d not resolved", id)
		}
	}
	a.mu.RLock()
	n := len(a.cache)
	a.mu.RUnlock()
	if n > 2 || a.Stats().Evictions < 1 {
		t.Errorf("cache holds %d, stats %+v", n, a.Stats())
	}
}

func TestRuncStateMalformed(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{
		"bad-json": `{"id":`,
		"no-cfg":   `{"id":"no-cfg"}`,
		"bad-time": `{"id":"bad-time","created":"noon","config":{}}`,
		"other-id": `{"id":"someone","config":{}}`,
	} {
		os.MkdirAll(filepath.Join(root, name), 0o700)
		os.WriteFile(filepath.Join(root, name, "state.json"), []byte(content), 0o600)
	}
	for name, want := range map[string]string{
		"bad-json": "not a runc state",
		"no-cfg":   `container "no-cfg": no config`,
		"bad-time": `created time "noon"`,
		"other-id": `names container "someone"`,
		"missing":  "no such file",
		"../etc":   "is not a runc container id",
	} {
		_, err := ReadRuncState(root, name)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", name, err, want)
		}
		if name != "../etc" && name != "missing" && !strings.Contains(err.Error(), filepath.Join(root, name, "state.json")) {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
}

func FuzzParseRuncState(f *testing.F) {
	f.Add([]byte(`{"id":"t1","init_process_pid":23940,"init_process_start":2590448,"created":"2026-11-24T20:29:32.598331515Z","config":{"rootfs":"/tmp/rtest/rootfs","labels":["bundle=/tmp/rtest","org.example=1"]},"cgroup_paths":{"":"/sys/fs/cgroup/unified/t1"}}`))
	f.Add([]byte(`{"id":"x","config":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseRuncState(data)
		if err == nil && st.ID == "" {
			t.Fatal("state without an id accepted")
		}
	})
}

func FuzzParseDockerInspect(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(dockerInspectSample, id1)))
	f.Add([]byte(`{"Id":"x","State":{"StartedAt":"0001-01-01T00:00:00Z"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := ParseDockerInspect(data)
		if err == nil && m == nil {
			t.Fatal("nil metadata without an error")
		}
	})
}

func TestLookupCachedNoAlloc(t *testing.T) {
	runctest.RequireRoot(t)
	a := newAttributor(t, Config{})
	pid := uint32(os.Getpid())
	info := a.Lookup(0, pid)
	if !info.Resolved() {
		t.Fatal("own process not resolved")
	}
	allocs := testing.AllocsPerRun(1000, func() { a.Lookup(info.CgroupID, pid) })
	if allocs != 0 {
		t.Errorf("cached lookup allocates %v times", allocs)
	}
}

func BenchmarkLookupCached(b *testing.B) {
	runctest.RequireRoot(b)
	c := runctest.Start(b, runctest.Options{})
	a := newAttributor(b, Config{})
	info := a.Lookup(0, uint32(c.PID()))
	if info.ID != c.ID {
		b.Fatalf("Lookup = %+v", info)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if a.Lookup(info.CgroupID, uint32(c.PID())).Container == nil {
			b.Fatal("lost the container")
		}
	}
}

func BenchmarkLookupCachedParallel(b *testing.B) {
	runctest.RequireRoot(b)
	a := newAttributor(b, Config{})
	info := a.Lookup(0, uint32(os.Getpid()))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Lookup(info.CgroupID, 1)
		}
	})
}

func BenchmarkParsePath(b *testing.B) {
	p := "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParsePath(p)
	}
}

func TestPodmanMetadataFromCompatibleSocket(t *testing.T) {
	cid := id2
	path, cgid := testCgroup(t, "machine.slice/libpod-"+cid+".scope/container")
	pid := runIn(t, path)
	sock := serveDocker(t, cid, fmt.Sprintf(dockerInspectSample, cid))
	podman := filepath.Join(filepath.Dir(sock), "podman.sock")
	if err := os.Rename(sock, podman); err != nil {
		t.Fatal(err)
	}
	a := newAttributor(t, Config{DockerSockets: []string{"/nonexistent/docker.sock", podman}, RuncRoots: []string{t.TempDir()}})
	info := a.Lookup(cgid, uint32(pid))
	if info.Runtime != RuntimePodman || info.ID != cid || info.CgroupPath != path {
		t.Fatalf("Lookup = %+v", info)
	}
	m := info.Container.WaitMetadata(10 * time.Second)
	if m == nil || m.Err != nil || m.Name != "shop-web-1" || m.Image != "alpine:3.20" {
		t.Fatalf("metadata %+v", m)
	}
}

// TestOwnMountNSBeforeRuncState: before runc writes its state, a process
// of a cgroup named like a container id is that container when it runs
// in a mount namespace of its own; a host process in such a cgroup stays
// a host process, looked at again until the grace period ends.
func TestOwnMountNSBeforeRuncState(t *testing.T) {
	name := fmt.Sprintf("vt-mntns-%d", os.Getpid())
	path, cgid := testCgroup(t, name)
	// Both cgroups first: each one's clean-up removes the test's tree,
	// after the processes started later are stopped.
	path2, cgid2 := testCgroup(t, name+"-host")
	clock := &fakeClock{now: time.Now()}
	runcRoot := t.TempDir()
	a := newAttributor(t, Config{Now: clock.Now, RuncRoots: []string{runcRoot}})

	host := runIn(t, path)
	if info := a.Lookup(cgid, uint32(host)); !info.Host() {
		t.Fatalf("host process: %+v", info)
	}
	// A process of the cgroup in its own mount namespace, seen within
	// the grace period, turns the cgroup into the container.
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if err := os.WriteFile(filepath.Join(cgroup2(t), path, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	pid := uint32(cmd.Process.Pid)
	deadline := time.Now().Add(5 * time.Second)
	for !a.ownMountNS(pid) { // unshare has not yet made the namespace
		if time.Now().After(deadline) {
			t.Fatal("unshare made no mount namespace")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if info := a.Lookup(cgid, pid); !info.Host() {
		t.Fatalf("cached answer not kept until the recheck: %+v", info)
	}
	clock.Add(runcRecheck)
	info := a.Lookup(cgid, pid)
	if info.Runtime != RuntimeRunc || info.ID != name {
		t.Fatalf("own mount namespace: %+v", info)
	}
	// The metadata lookup found no state yet; once runc writes it, the
	// next event's lookup soon finds it, without a reported error.
	<-info.Container.Done()
	if err := os.MkdirAll(filepath.Join(runcRoot, name), 0o700); err != nil {
		t.Fatal(err)
	}
	state := fmt.Sprintf(`{"id":%q,"init_process_pid":%d,"created":"2026-11-24T20:29:32.598331515Z","config":{"rootfs":"/b/rootfs","labels":["bundle=/b"]}}`, name, pid)
	if err := os.WriteFile(filepath.Join(runcRoot, name, "state.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	clock.Add(runcRecheck)
	a.Lookup(cgid, pid)
	deadline = time.Now().Add(10 * time.Second)
	for m := info.Container.Metadata(); m == nil || m.Rootfs != "/b/rootfs"; m = info.Container.Metadata() {
		if time.Now().After(deadline) {
			t.Fatalf("metadata after runc wrote its state: %+v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := a.Stats().MetadataErrors; n != 0 {
		t.Errorf("%d metadata errors reported for a state not yet written", n)
	}
	// That answer stays, for the cgroup's other processes too.
	clock.Add(time.Minute)
	if info := a.Lookup(cgid, uint32(host)); info.Runtime != RuntimeRunc || info.ID != name {
		t.Fatalf("answer changed: %+v", info)
	}

	// A host process alone: looked at again during the grace period,
	// then a host cgroup for good.
	host2 := uint32(runIn(t, path2))
	if info := a.Lookup(cgid2, host2); !info.Host() {
		t.Fatalf("host process: %+v", info)
	}
	misses := a.Stats().Misses
	for i := 0; i < 3; i++ {
		clock.Add(runcRecheck)
		a.Lookup(cgid2, host2)
	}
	if got := a.Stats().Misses - misses; got != 3 {
		t.Errorf("%d rechecks in the grace period, want 3", got)
	}
	clock.Add(runcGrace)
	a.Lookup(cgid2, host2)
	misses = a.Stats().Misses
	clock.Add(time.Minute)
	if info := a.Lookup(cgid2, host2); !info.Host() || a.Stats().Misses != misses {
		t.Errorf("after the grace period: %+v, misses %d → %d", info, misses, a.Stats().Misses)
	}
}

// TestKernelReports attributes cgroups from what the kernel reported
// alone: no such cgroup exists, no process of them runs, no runtime has
// state; the answers are final at once and the same whenever asked.
func TestKernelReports(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	a := newAttributor(t, Config{CgroupRoot: t.TempDir(), ProcRoot: t.TempDir(), RuncRoots: []string{t.TempDir()}, Now: clock.Now})
	const uid = "0c7a1f0e-5b8e-4a43-9d2e-1c6f3e8a9b10"
	hex := func(c string) string { return strings.Repeat(c, 64) }
	cases := []struct {
		path    string
		joined  Runtime // RuntimeUnknown: made, no runtime joined it
		runtime Runtime
		id, pod string
	}{
		{"/testc1", RuntimeRunc, RuntimeRunc, "testc1", ""},
		{"/default/ctr-short", RuntimeContainerd, RuntimeContainerd, "ctr-short", ""},
		{"/kubepods/besteffort/pod" + uid + "/" + hex("a"), RuntimeContainerd, RuntimeContainerd, hex("a"), uid},
		{"/libpod_parent/libpod-" + hex("b"), RuntimePodman, RuntimePodman, hex("b"), ""},
		{"/docker/" + hex("c"), RuntimeUnknown, RuntimeDocker, hex("c"), ""},
		{"/system.slice/docker-" + hex("d") + ".scope", RuntimeUnknown, RuntimeDocker, hex("d"), ""},
		// Made by a runtime, joined by none: a parent of containers.
		{"/default", RuntimeUnknown, RuntimeHost, "", ""},
		{"/vigil-jobs", RuntimeUnknown, RuntimeHost, "", ""},
	}
	for i, c := range cases {
		id := uint64(1000 + i)
		a.CgroupMade(id, c.path, clock.Now())
		if c.joined != RuntimeUnknown {
			a.CgroupJoined(id, c.path, c.joined)
		}
		for range 2 {
			info := a.Lookup(id, 424242)
			if info.Runtime != c.runtime || info.ID != c.id || info.PodUID != c.pod || info.CgroupPath != c.path {
				t.Errorf("%s: %+v, want %s %q pod %q", c.path, info, c.runtime, c.id, c.pod)
			}
			if c.id != "" && (info.Container == nil || info.Container.Runtime != c.runtime) {
				t.Errorf("%s: container %+v", c.path, info.Container)
			}
			clock.Add(time.Minute) // no answer is looked at again
		}
	}
	if s := a.Stats(); s.Misses != uint64(len(cases)) || s.Unresolved != 0 || s.ProcErrors != 0 {
		t.Errorf("stats %+v: want one miss per cgroup, nothing unresolved", s)
	}
	// A process named at an exec in a cgroup already reported changes
	// nothing; a runtime joining a cgroup made earlier makes it a
	// container's from then on.
	a.CgroupNamed(1000, "/testc1")
	if info := a.Lookup(1000, 0); info.ID != "testc1" {
		t.Errorf("after an exec named it: %+v", info)
	}
	a.CgroupJoined(1007, "/vigil-jobs", RuntimeRunc)
	if info := a.Lookup(1007, 0); info.Runtime != RuntimeRunc || info.ID != "vigil-jobs" {
		t.Errorf("joined later: %+v", info)
	}

	// Removed: answered for the grace period, then forgotten with the
	// container.
	containers := a.Stats().Containers
	a.CgroupRemoved(1000, clock.Now())
	clock.Add(time.Second)
	a.Expire(clock.Now())
	if info := a.Lookup(1000, 0); info.ID != "testc1" {
		t.Errorf("within the grace period: %+v", info)
	}
	clock.Add(10 * time.Second)
	a.Expire(clock.Now())
	if info := a.Lookup(1000, 0); info.Resolved() {
		t.Errorf("after the grace period: %+v", info)
	}
	if got := a.Stats().Containers; got != containers-1 {
		t.Errorf("%d containers remembered, want %d", got, containers-1)
	}
}

// TestKernelReportsBounded checks that reported cgroups are bounded.
func TestKernelReportsBounded(t *testing.T) {
	a := newAttributor(t, Config{CgroupRoot: t.TempDir(), MaxWalk: 8})
	now := time.Now()
	for i := range 100 {
		a.CgroupMade(uint64(i+1), fmt.Sprintf("/c%d", i), now)
	}
	a.resolveMu.Lock()
	n := len(a.known)
	a.resolveMu.Unlock()
	if n > 8 || a.Stats().Evictions == 0 {
		t.Errorf("%d cgroups known, stats %+v", n, a.Stats())
	}
}

// TestLookupV1 attributes processes by their cgroup v1 path, for runtimes
// that use only the v1 hierarchies.
func TestLookupV1(t *testing.T) {
	a := newAttributor(t, Config{CgroupRoot: t.TempDir(), ProcRoot: t.TempDir(), RuncRoots: []string{t.TempDir()}})
	hex := strings.Repeat("e1", 32)
	a.V1Joined("/testc1", RuntimeRunc)
	a.V1Joined("/", RuntimeRunc) // never a container
	for _, c := range []struct {
		path    string
		runtime Runtime
		id      string
	}{
		{"/", RuntimeHost, ""},
		{"/user.slice/user-0.slice/session-1.scope", RuntimeHost, ""},
		{"/docker/" + hex, RuntimeDocker, hex},
		{"/system.slice/docker-" + hex + ".scope", RuntimeDocker, hex},
		{"/testc1", RuntimeRunc, "testc1"},
		{"/testc2", RuntimeHost, ""}, // no runtime moved a process there
	} {
		info := a.LookupV1(c.path)
		if info.Runtime != c.runtime || info.ID != c.id || (c.id != "") != (info.Container != nil) {
			t.Errorf("LookupV1(%q) = %+v, want %s %q", c.path, info, c.runtime, c.id)
		}
	}
}
