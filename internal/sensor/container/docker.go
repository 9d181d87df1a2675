package container

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// dockerClient asks Docker Engine API sockets (Docker's or podman's
// compatible one) about containers.
type dockerClient struct {
	sockets []string
	clients map[string]*http.Client
}

func newDockerClient(sockets []string) *dockerClient {
	d := &dockerClient{sockets: sockets, clients: make(map[string]*http.Client)}
	for _, s := range sockets {
		path := s
		d.clients[s] = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var dl net.Dialer
				return dl.DialContext(ctx, "unix", path)
			},
			MaxIdleConnsPerHost: 1,
			IdleConnTimeout:     30 * time.Second,
		}}
	}
	return d
}

func (d *dockerClient) close() {
	for _, c := range d.clients {
		c.CloseIdleConnections()
	}
}

// maxDockerAnswer bounds an API answer read.
const maxDockerAnswer = 8 << 20

// inspect asks each socket that exists, in order, for the container, and
// then for its image's repository digest.
func (d *dockerClient) inspect(ctx context.Context, id string) (*Metadata, error) {
	var errs []string
	for _, sock := range d.sockets {
		if _, err := firstSocket([]string{sock}); err != nil {
			errs = append(errs, fmt.Sprintf("Docker API %s: not a socket", sock))
			continue
		}
		client := d.clients[sock]
		data, err := d.get(ctx, client, sock, "/containers/"+url.PathEscape(id)+"/json")
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		m, imageID, err := ParseDockerInspect(data)
		if err != nil {
			errs = append(errs, fmt.Sprintf("Docker API %s: container %s: %v", sock, id, err))
			continue
		}
		if imageID != "" {
			if data, err := d.get(ctx, client, sock, "/images/"+url.PathEscape(imageID)+"/json"); err == nil {
				m.ImageDigest = imageDigest(data)
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
}

func (d *dockerClient) get(ctx context.Context, client *http.Client, sock, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Docker API %s: GET %s: %w", sock, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDockerAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("Docker API %s: GET %s: %w", sock, path, err)
	}
	if len(data) > maxDockerAnswer {
		return nil, fmt.Errorf("Docker API %s: GET %s: answer larger than %d bytes", sock, path, maxDockerAnswer)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("Docker API %s: GET %s: %w", sock, path, errNotFound)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("Docker API %s: GET %s: %s: %s", sock, path, resp.Status, truncate(strings.TrimSpace(string(data))))
	}
	return data, nil
}

// dockerInspect is the part of GET /containers/{id}/json this package reads.
type dockerInspect struct {
	ID      string `json:"Id"`
	Created string `json:"Created"`
	Name    string `json:"Name"`
	Image   string `json:"Image"`
	State   *struct {
		Pid       int    `json:"Pid"`
		StartedAt string `json:"StartedAt"`
	} `json:"State"`
	Config *struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	GraphDriver *struct {
		Data map[string]string `json:"Data"`
	} `json:"GraphDriver"`
}

// ParseDockerInspect maps a Docker Engine API container inspect answer to
// Metadata; it also returns the image id, to look up the image's digest.
func ParseDockerInspect(data []byte) (*Metadata, string, error) {
	var v dockerInspect
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, "", fmt.Errorf("not a container inspect answer: %w", err)
	}
	if v.ID == "" {
		return nil, "", fmt.Errorf("answer has no container Id")
	}
	m := &Metadata{Source: "docker", Name: strings.TrimPrefix(v.Name, "/"), ImageID: v.Image}
	var err error
	if m.Created, err = dockerTime(v.Created); err != nil {
		return nil, "", fmt.Errorf("container %s: Created: %w", truncate(v.ID), err)
	}
	if v.State != nil {
		m.InitPID = v.State.Pid
		if m.Started, err = dockerTime(v.State.StartedAt); err != nil {
			return nil, "", fmt.Errorf("container %s: State.StartedAt: %w", truncate(v.ID), err)
		}
	}
	if v.Config != nil {
		m.Image = v.Config.Image
		m.Labels = v.Config.Labels
		m.PodName = v.Config.Labels[labelPodName]
		m.PodNamespace = v.Config.Labels[labelPodNamespace]
		m.PodUID = v.Config.Labels[labelPodUID]
	}
	if v.GraphDriver != nil {
		m.Rootfs = v.GraphDriver.Data["MergedDir"]
	}
	return m, v.Image, nil
}

// dockerTime parses the API's RFC 3339 times; Docker writes the zero time
// for a container that never started.
func dockerTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", truncate(s), err)
	}
	if t.Year() <= 1 {
		return time.Time{}, nil
	}
	return t, nil
}

// imageDigest reads the first repository digest from GET /images/{id}/json.
func imageDigest(data []byte) string {
	var v struct {
		RepoDigests []string `json:"RepoDigests"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	for _, d := range v.RepoDigests {
		if dg := digestOf(d); dg != "" {
			return dg
		}
	}
	return ""
}
