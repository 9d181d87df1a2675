package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// errNotFound is a source's answer that it does not know the container.
var errNotFound = errors.New("no such container")

// Kubernetes labels the kubelet puts on every CRI container.
const (
	labelPodName       = "io.kubernetes.pod.name"
	labelPodNamespace  = "io.kubernetes.pod.namespace"
	labelPodUID        = "io.kubernetes.pod.uid"
	labelContainerName = "io.kubernetes.container.name"
)

// criClient asks the first CRI runtime socket found for container status.
type criClient struct {
	sockets []string

	mu     sync.Mutex
	path   string
	conn   *grpc.ClientConn
	client runtimeapi.RuntimeServiceClient
}

func firstSocket(paths []string) (string, error) {
	if len(paths) == 0 {
		return "", fmt.Errorf("no sockets configured")
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode()&os.ModeSocket != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("no socket among %s", strings.Join(paths, ", "))
}

func (c *criClient) connect() (runtimeapi.RuntimeServiceClient, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, c.path, nil
	}
	path, err := firstSocket(c.sockets)
	if err != nil {
		return nil, "", fmt.Errorf("CRI: %w", err)
	}
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, "", fmt.Errorf("CRI %s: %w", path, err)
	}
	c.path, c.conn, c.client = path, conn, runtimeapi.NewRuntimeServiceClient(conn)
	return c.client, path, nil
}

// drop forgets a connection that failed, so the next call looks for a
// socket again.
func (c *criClient) drop(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && c.path == path {
		c.conn.Close()
		c.conn, c.client, c.path = nil, nil, ""
	}
}

func (c *criClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.client = nil, nil
	}
}

// status asks for a container's verbose status.
func (c *criClient) status(ctx context.Context, id string) (*Metadata, error) {
	client, path, err := c.connect()
	if err != nil {
		return nil, err
	}
	resp, err := client.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		switch status.Code(err) {
		case codes.NotFound:
			return nil, fmt.Errorf("CRI %s: container %s: %w", path, id, errNotFound)
		case codes.Unavailable:
			c.drop(path)
		}
		return nil, fmt.Errorf("CRI %s: ContainerStatus %s: %w", path, id, err)
	}
	m, err := criMetadata(resp)
	if err != nil {
		return nil, fmt.Errorf("CRI %s: ContainerStatus %s: %w", path, id, err)
	}
	if m.PodName == "" && m.sandboxID != "" {
		// A container made by a CRI client that does not label it as the
		// kubelet does: its sandbox names the pod.
		if sb, err := client.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: m.sandboxID}); err == nil {
			md := sb.GetStatus().GetMetadata()
			m.PodName, m.PodNamespace = md.GetName(), md.GetNamespace()
			if m.PodUID == "" {
				m.PodUID = md.GetUid()
			}
		}
	}
	if resp.Status.Id != "" && resp.Status.Id != id && !strings.HasPrefix(resp.Status.Id, id) {
		return nil, fmt.Errorf("CRI %s: ContainerStatus %s answered for container %q", path, id, truncate(resp.Status.Id))
	}
	return m, nil
}

// criMetadata maps a CRI ContainerStatus answer to Metadata.
func criMetadata(resp *runtimeapi.ContainerStatusResponse) (*Metadata, error) {
	st := resp.GetStatus()
	if st == nil {
		return nil, fmt.Errorf("answer has no status")
	}
	m := &Metadata{
		Source:       "cri",
		Name:         st.GetMetadata().GetName(),
		Image:        st.GetImage().GetImage(),
		ImageID:      st.GetImageId(),
		ImageDigest:  digestOf(st.GetImageRef()),
		Labels:       st.GetLabels(),
		Annotations:  st.GetAnnotations(),
		PodName:      st.GetLabels()[labelPodName],
		PodNamespace: st.GetLabels()[labelPodNamespace],
		PodUID:       st.GetLabels()[labelPodUID],
		Created:      unixNano(st.GetCreatedAt()),
		Started:      unixNano(st.GetStartedAt()),
	}
	if m.Name == "" {
		m.Name = st.GetLabels()[labelContainerName]
	}
	if m.ImageID == "" && strings.HasPrefix(st.GetImageRef(), "sha256:") {
		m.ImageID = st.GetImageRef()
	}
	// containerd and CRI-O put the pid and the sandbox in the verbose
	// info's JSON.
	if info, ok := resp.GetInfo()["info"]; ok {
		var v struct {
			Pid       int    `json:"pid"`
			SandboxID string `json:"sandboxID"`
		}
		if err := json.Unmarshal([]byte(info), &v); err == nil {
			m.InitPID, m.sandboxID = v.Pid, v.SandboxID
		}
	}
	return m, nil
}

// digestOf takes the manifest digest from an image reference
// ("repo@sha256:…"). A bare "sha256:…" is not one: containerd gives the
// image id (its config's digest) there when it knows the image by no
// repository digest.
func digestOf(ref string) string {
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		return ref[i+1:]
	}
	return ""
}

func unixNano(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
