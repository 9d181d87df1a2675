package runtimetest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// CRI are clients of a Containerd's CRI plugin, on its Socket.
type CRI struct {
	Runtime runtimeapi.RuntimeServiceClient
	Image   runtimeapi.ImageServiceClient
}

// CRI connects to the daemon's CRI plugin (once; the connection is closed
// when the daemon stops) and waits until it reports the runtime ready.
func (c *Containerd) CRI(t testing.TB) *CRI {
	t.Helper()
	if c.cri != nil {
		return c.cri
	}
	conn, err := grpc.NewClient("unix://"+c.Socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("runtimetest: CRI client for %s: %v", c.Socket, err)
	}
	c.conn = conn
	cri := &CRI{Runtime: runtimeapi.NewRuntimeServiceClient(conn), Image: runtimeapi.NewImageServiceClient(conn)}
	var lastErr error
	ok := waitFor(20*time.Second, 20*time.Millisecond, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := cri.Runtime.Status(ctx, &runtimeapi.StatusRequest{})
		if err != nil {
			lastErr = fmt.Errorf("CRI Status: %w", err)
			return false
		}
		for _, cond := range st.GetStatus().GetConditions() {
			if cond.Type == runtimeapi.RuntimeReady && cond.Status {
				return true
			}
		}
		lastErr = fmt.Errorf("CRI Status: runtime not ready: %v", st.GetStatus())
		return false
	})
	if !ok {
		t.Fatalf("runtimetest: containerd CRI on %s: %v; log:\n%s", c.Socket, lastErr, tail(c.Log, 4000))
	}
	c.cri = cri
	return cri
}

// PodOptions describe a pod sandbox, and its first container, to run
// through the CRI.
type PodOptions struct {
	// Name, Namespace and UID are the pod's metadata; empty Name is a
	// unique name derived from the test's, empty Namespace "default",
	// empty UID a random UUID-shaped id.
	Name, Namespace, UID string
	// Labels and Annotations are the sandbox's.
	Labels, Annotations map[string]string
	// Container is the pod's first container; its Name defaults to
	// "main". RunPod starts it unless NoContainer is set.
	Container   ContainerOptions
	NoContainer bool
}

// ContainerOptions describe a container in a pod.
type ContainerOptions struct {
	// Name is the container's name in the pod (metadata name).
	Name string
	// Args is the container's command line (the CRI Command); empty runs
	// `sleep 3600`.
	Args []string
	// Env are NAME=value pairs.
	Env []string
	// Labels and Annotations are the container's.
	Labels, Annotations map[string]string
	// Image is the image reference; empty is BusyboxRef.
	Image string
}

// Pod is a pod sandbox run through the CRI, with host networking and the
// kubelet's cgroupfs-driver cgroup parent.
type Pod struct {
	// SandboxID is the CRI pod sandbox id (64 hex digits).
	SandboxID string
	// Name, Namespace and UID are the pod's metadata.
	Name, Namespace, UID string
	// CgroupParent is the LinuxPodSandboxConfig.CgroupParent:
	// /kubepods/besteffort/pod<UID>.
	CgroupParent string
	// LogDir is the sandbox's log directory.
	LogDir string
	// SandboxPID is the host pid of the sandbox's (pause) process.
	SandboxPID int
	// Container is the first container, unless PodOptions.NoContainer.
	Container *CRIContainer

	c *Containerd
}

// CRIContainer is a container created and started in a Pod.
type CRIContainer struct {
	// ID is the CRI container id (64 hex digits).
	ID string
	// Name is the container's metadata name.
	Name string
	// PID is the host pid of the container's first process, from the
	// verbose ContainerStatus; known even when the process has exited.
	PID int
	// LogPath is the CRI log file (CRI log format) on the host.
	LogPath string
	// Pod is the container's pod.
	Pod *Pod
}

func criCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 20*time.Second)
}

// RunPod runs a pod sandbox through the CRI (RunPodSandbox with the
// host's network namespace, so no CNI is needed, and CgroupParent
// /kubepods/besteffort/pod<UID>), then creates and starts its first
// container. The sandbox runs PauseRef, which the daemon's config names
// as sandbox_image. The pod is stopped and removed when the test ends.
func (c *Containerd) RunPod(t testing.TB, o PodOptions) *Pod {
	t.Helper()
	cri := c.CRI(t)
	if o.Name == "" {
		o.Name = strings.ToLower(uniqueID(t))
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.UID == "" {
		o.UID = randomUID()
	}
	p := &Pod{
		Name:         o.Name,
		Namespace:    o.Namespace,
		UID:          o.UID,
		CgroupParent: "/kubepods/besteffort/pod" + o.UID,
		LogDir:       filepath.Join(c.Dir, "pods", o.Namespace+"_"+o.Name+"_"+o.UID),
		c:            c,
	}
	if err := os.MkdirAll(p.LogDir, 0o755); err != nil {
		t.Fatalf("runtimetest: %v", err)
	}
	ctx, cancel := criCtx()
	defer cancel()
	resp, err := cri.Runtime.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: p.config(o)})
	if err != nil {
		t.Fatalf("runtimetest: CRI RunPodSandbox %s/%s: %v; containerd log:\n%s", o.Namespace, o.Name, err, tail(c.Log, 4000))
	}
	p.SandboxID = resp.PodSandboxId
	t.Cleanup(func() { p.remove(t) })
	st, err := cri.Runtime.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.SandboxID, Verbose: true})
	if err != nil {
		t.Fatalf("runtimetest: CRI PodSandboxStatus %s: %v", p.SandboxID, err)
	}
	if p.SandboxPID, err = infoPID(st.Info); err != nil {
		t.Fatalf("runtimetest: CRI PodSandboxStatus %s: %v", p.SandboxID, err)
	}
	if !o.NoContainer {
		if o.Container.Name == "" {
			o.Container.Name = "main"
		}
		p.Container = p.StartContainer(t, o.Container)
	}
	return p
}

func (p *Pod) config(o PodOptions) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: o.Name, Namespace: o.Namespace, Uid: o.UID},
		LogDirectory: p.LogDir,
		Labels:       o.Labels,
		Annotations:  o.Annotations,
		Linux: &runtimeapi.LinuxPodSandboxConfig{
			CgroupParent: p.CgroupParent,
			SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{
				NamespaceOptions: &runtimeapi.NamespaceOption{
					Network: runtimeapi.NamespaceMode_NODE,
					Pid:     runtimeapi.NamespaceMode_CONTAINER,
					Ipc:     runtimeapi.NamespaceMode_POD,
				},
			},
		},
	}
}

// StartContainer creates and starts a container in the pod and returns
// once it has started (its process may already have exited).
func (p *Pod) StartContainer(t testing.TB, o ContainerOptions) *CRIContainer {
	t.Helper()
	cri := p.c.CRI(t)
	if o.Name == "" {
		o.Name = strings.ToLower(uniqueID(t))
	}
	if len(o.Args) == 0 {
		o.Args = []string{"sleep", "3600"}
	}
	if o.Image == "" {
		o.Image = BusyboxRef
	}
	var env []*runtimeapi.KeyValue
	for _, e := range o.Env {
		k, v, _ := strings.Cut(e, "=")
		env = append(env, &runtimeapi.KeyValue{Key: k, Value: v})
	}
	logPath := o.Name + "_0.log"
	ctx, cancel := criCtx()
	defer cancel()
	cfg := &runtimeapi.ContainerConfig{
		Metadata:    &runtimeapi.ContainerMetadata{Name: o.Name},
		Image:       &runtimeapi.ImageSpec{Image: o.Image},
		Command:     o.Args,
		Envs:        env,
		Labels:      o.Labels,
		Annotations: o.Annotations,
		LogPath:     logPath,
		Linux: &runtimeapi.LinuxContainerConfig{
			SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
				NamespaceOptions: &runtimeapi.NamespaceOption{
					Network: runtimeapi.NamespaceMode_NODE,
					Pid:     runtimeapi.NamespaceMode_CONTAINER,
					Ipc:     runtimeapi.NamespaceMode_POD,
				},
			},
		},
	}
	created, err := cri.Runtime.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
		PodSandboxId:  p.SandboxID,
		Config:        cfg,
		SandboxConfig: p.config(PodOptions{Name: p.Name, Namespace: p.Namespace, UID: p.UID}),
	})
	if err != nil {
		t.Fatalf("runtimetest: CRI CreateContainer %s in pod %s: %v", o.Name, p.SandboxID, err)
	}
	ct := &CRIContainer{ID: created.ContainerId, Name: o.Name, LogPath: filepath.Join(p.LogDir, logPath), Pod: p}
	if _, err := cri.Runtime.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: ct.ID}); err != nil {
		t.Fatalf("runtimetest: CRI StartContainer %s (%s): %v", ct.ID, o.Name, err)
	}
	st := ct.Status(t)
	if ct.PID, err = infoPID(st.Info); err != nil {
		t.Fatalf("runtimetest: CRI ContainerStatus %s: %v", ct.ID, err)
	}
	return ct
}

// Status is the container's verbose CRI ContainerStatus.
func (ct *CRIContainer) Status(t testing.TB) *runtimeapi.ContainerStatusResponse {
	t.Helper()
	ctx, cancel := criCtx()
	defer cancel()
	st, err := ct.Pod.c.CRI(t).Runtime.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ct.ID, Verbose: true})
	if err != nil {
		t.Fatalf("runtimetest: CRI ContainerStatus %s: %v", ct.ID, err)
	}
	return st
}

// Wait waits up to timeout for the container to exit and returns its exit
// code; it fails the test on a timeout.
func (ct *CRIContainer) Wait(t testing.TB, timeout time.Duration) int {
	t.Helper()
	var st *runtimeapi.ContainerStatus
	if !waitFor(timeout, 10*time.Millisecond, func() bool {
		st = ct.Status(t).GetStatus()
		return st.GetState() == runtimeapi.ContainerState_CONTAINER_EXITED
	}) {
		t.Fatalf("runtimetest: CRI container %s (%s) still %v after %v", ct.ID, ct.Name, st.GetState(), timeout)
	}
	return int(st.ExitCode)
}

// Logs is what the container wrote to its standard output and error, from
// its CRI log file (each line's "TIME STREAM TAG " prefix removed).
func (ct *CRIContainer) Logs() string {
	f, err := os.Open(ct.LogPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 4)
		if len(fields) < 4 {
			continue
		}
		b.WriteString(fields[3])
		if fields[2] == "F" {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// infoPID reads the "pid" of the verbose status's "info" JSON.
func infoPID(info map[string]string) (int, error) {
	var v struct {
		Pid int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(info["info"]), &v); err != nil {
		return 0, fmt.Errorf("verbose info %q: %w", info["info"], err)
	}
	if v.Pid <= 0 {
		return 0, fmt.Errorf("no pid in verbose info %q", info["info"])
	}
	return v.Pid, nil
}

// remove stops and removes the pod sandbox and its containers.
func (p *Pod) remove(t testing.TB) {
	ctx, cancel := criCtx()
	defer cancel()
	rt := p.c.CRI(t).Runtime
	if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.SandboxID}); err != nil {
		t.Errorf("runtimetest: CRI StopPodSandbox %s: %v", p.SandboxID, err)
	}
	if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.SandboxID}); err != nil {
		t.Errorf("runtimetest: CRI RemovePodSandbox %s: %v", p.SandboxID, err)
	}
}

func randomUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
