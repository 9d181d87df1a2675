package container

import (
	"sync"
	"sync/atomic"
	"time"
)

// Metadata is what the container's runtime says about it. Fields a source
// does not give are empty.
type Metadata struct {
	// Source names where the metadata came from: "cri", "containerd",
	// "docker" or "runc"; empty when no source answered (then Err says
	// why).
	Source string
	// Namespace is the containerd namespace the container is in (source
	// "containerd").
	Namespace string
	// Name is the container's name (the runtime's, or Kubernetes' for
	// a CRI container).
	Name string
	// Image is the image as the container was created from it.
	Image string
	// ImageID is the runtime's image id, "sha256:…" for most.
	ImageID string
	// ImageDigest is the image's repository digest ("sha256:…") when
	// known.
	ImageDigest string
	Labels      map[string]string
	Annotations map[string]string
	// PodName, PodNamespace and PodUID come from the io.kubernetes.*
	// labels of a Kubernetes container.
	PodName      string
	PodNamespace string
	PodUID       string
	// Bundle and Rootfs are the OCI bundle and root filesystem on the
	// host, from runc's state.
	Bundle string
	Rootfs string
	// InitPID is the host pid of the container's first process, when
	// the runtime tells.
	InitPID int
	// Created and Started are when the runtime created and started the
	// container.
	Created time.Time
	Started time.Time
	// Err is why no source (or not every source tried) answered.
	Err error

	sandboxID string // the CRI pod sandbox, when the runtime tells
}

// TimeSource says where a container's start time came from.
type TimeSource uint8

// Sources of a container's start time.
const (
	TimeUnknown TimeSource = iota
	// TimeRuntime is the runtime's started (or else created) time.
	TimeRuntime
	// TimeFirstProcess is the start time of the earliest process seen in
	// the container's cgroup.
	TimeFirstProcess
)

func (s TimeSource) String() string {
	switch s {
	case TimeRuntime:
		return "runtime"
	case TimeFirstProcess:
		return "first-process"
	}
	return "unknown"
}

// Container is one container as the Attributor knows it. ID, Runtime,
// PodUID and CgroupPath are known from the cgroup path at once and never
// change; the runtime's metadata is looked up in the background and fills
// in when it arrives. A Container is safe for concurrent use.
type Container struct {
	ID      string
	Runtime Runtime
	PodUID  string
	// CgroupPath is the cgroup v2 path the container was first seen in.
	CgroupPath string

	meta       atomic.Pointer[Metadata]
	firstStart atomic.Int64 // unix nanoseconds; 0 unknown
	done       chan struct{}
	doneOnce   sync.Once
	failed     atomic.Bool
	fetching   atomic.Bool
	retryAt    atomic.Int64 // unix nanoseconds
	seen       time.Time    // when the attributor first met the container
}

func newContainer(rt Runtime, id, podUID, path string) *Container {
	return &Container{ID: id, Runtime: rt, PodUID: podUID, CgroupPath: path, done: make(chan struct{})}
}

// Metadata returns the runtime's metadata, or nil while the first lookup
// is pending. After a failed lookup it has Err set and is replaced when a
// later retry succeeds.
func (c *Container) Metadata() *Metadata { return c.meta.Load() }

// Pending reports whether the first metadata lookup is still under way.
func (c *Container) Pending() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Done is closed when the first metadata lookup has finished, whether or
// not it found anything.
func (c *Container) Done() <-chan struct{} { return c.done }

// WaitMetadata waits up to timeout for the first lookup and returns the
// metadata then known (nil on a timeout).
func (c *Container) WaitMetadata(timeout time.Duration) *Metadata {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
	}
	return c.meta.Load()
}

// StartTime is when the container started: the runtime's started time, or
// its created time, or else the start time of the earliest process seen in
// the container's cgroup.
func (c *Container) StartTime() (time.Time, TimeSource) {
	if m := c.meta.Load(); m != nil {
		if !m.Started.IsZero() {
			return m.Started, TimeRuntime
		}
		if !m.Created.IsZero() {
			return m.Created, TimeRuntime
		}
	}
	if ns := c.firstStart.Load(); ns != 0 {
		return time.Unix(0, ns), TimeFirstProcess
	}
	return time.Time{}, TimeUnknown
}

// sawProcess records a process's start time for the fallback start time.
func (c *Container) sawProcess(start time.Time) {
	if start.IsZero() {
		return
	}
	ns := start.UnixNano()
	for {
		old := c.firstStart.Load()
		if old != 0 && old <= ns {
			return
		}
		if c.firstStart.CompareAndSwap(old, ns) {
			return
		}
	}
}

func (c *Container) finish(m *Metadata, failed bool, retryAt time.Time) {
	c.meta.Store(m)
	c.retryAt.Store(retryAt.UnixNano())
	c.failed.Store(failed)
	c.doneOnce.Do(func() { close(c.done) })
}
