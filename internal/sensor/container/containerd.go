package container

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	containersapi "github.com/containerd/containerd/api/services/containers/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	namespacesapi "github.com/containerd/containerd/api/services/namespaces/v1"
	tasksapi "github.com/containerd/containerd/api/services/tasks/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// containerdClient asks containerd's own API (not the CRI, which knows
// only Kubernetes' namespace) for a container: containers made with ctr,
// nerdctl, BuildKit or any client of the library, in whatever namespace.
type containerdClient struct {
	sockets []string

	mu   sync.Mutex
	path string
	conn *grpc.ClientConn
}

// namespaceKey is the gRPC metadata key containerd reads a request's
// namespace from.
const namespaceKey = "containerd-namespace"

func (c *containerdClient) connect() (*grpc.ClientConn, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		return c.conn, c.path, nil
	}
	path, err := firstSocket(c.sockets)
	if err != nil {
		return nil, "", fmt.Errorf("containerd: %w", err)
	}
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, "", fmt.Errorf("containerd %s: %w", path, err)
	}
	c.path, c.conn = path, conn
	return conn, path, nil
}

func (c *containerdClient) drop(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && c.path == path {
		c.conn.Close()
		c.conn, c.path = nil, ""
	}
}

func (c *containerdClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// container looks a container up in namespace ns, or in every namespace
// when ns is empty (or does not know it).
func (c *containerdClient) container(ctx context.Context, id, ns string) (*Metadata, error) {
	conn, path, err := c.connect()
	if err != nil {
		return nil, err
	}
	nss := []string{}
	if ns != "" {
		nss = append(nss, ns)
	}
	list, err := namespacesapi.NewNamespacesClient(conn).List(ctx, &namespacesapi.ListNamespacesRequest{})
	if err != nil {
		if status.Code(err) == codes.Unavailable {
			c.drop(path)
		}
		return nil, fmt.Errorf("containerd %s: listing namespaces: %w", path, err)
	}
	for _, n := range list.GetNamespaces() {
		if n.GetName() != ns {
			nss = append(nss, n.GetName())
		}
	}
	for _, n := range nss {
		m, err := c.inNamespace(ctx, conn, id, n)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("containerd %s: %w", path, err)
		}
		return m, nil
	}
	return nil, fmt.Errorf("containerd %s: container %s: %w", path, id, errNotFound)
}

func (c *containerdClient) inNamespace(ctx context.Context, conn *grpc.ClientConn, id, ns string) (*Metadata, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, namespaceKey, ns)
	resp, err := containersapi.NewContainersClient(conn).Get(ctx, &containersapi.GetContainerRequest{ID: id})
	if status.Code(err) == codes.NotFound {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("namespace %s: container %s: %w", ns, id, err)
	}
	ct := resp.GetContainer()
	m := &Metadata{
		Source:       "containerd",
		Name:         id,
		Namespace:    ns,
		Image:        ct.GetImage(),
		Labels:       ct.GetLabels(),
		Created:      ct.GetCreatedAt().AsTime(),
		PodName:      ct.GetLabels()[labelPodName],
		PodUID:       ct.GetLabels()[labelPodUID],
		PodNamespace: ct.GetLabels()[labelPodNamespace],
	}
	if ct.GetCreatedAt() == nil {
		m.Created = time.Time{}
	}
	if name := ct.GetLabels()[labelContainerName]; name != "" {
		m.Name = name
	}
	if m.Image != "" {
		img, err := imagesapi.NewImagesClient(conn).Get(ctx, &imagesapi.GetImageRequest{Name: m.Image})
		if err == nil && strings.HasPrefix(img.GetImage().GetTarget().GetDigest(), "sha256:") {
			m.ImageDigest = img.GetImage().GetTarget().GetDigest()
		}
	}
	if t, err := tasksapi.NewTasksClient(conn).Get(ctx, &tasksapi.GetRequest{ContainerID: id}); err == nil {
		m.InitPID = int(t.GetProcess().GetPid())
	}
	return m, nil
}
