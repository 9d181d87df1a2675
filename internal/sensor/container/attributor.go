// Package container attributes processes to the containers they run in,
// from their cgroup, and looks up what the container runtime knows about
// each container.
//
// A cgroup is known from what the kernel reported of it (made, joined by
// a process, named at an exec, removed: the sensor passes the kernel's
// records on) or, for one older than the sensor, from a walk of the
// hierarchy; its path names the runtime and container id, and a cgroup an
// OCI runtime moved a process into is that container's. Such answers are
// final and read nothing of /proc, so they are the same whenever asked and
// whether or not the container still runs.
package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Config configures an Attributor. Zero fields take the defaults named.
type Config struct {
	// CgroupRoot is the cgroup v2 hierarchy's mount point; empty finds
	// it: /sys/fs/cgroup when that is cgroup2, else
	// /sys/fs/cgroup/unified.
	CgroupRoot string
	// ProcRoot is procfs's mount point; default /proc.
	ProcRoot string
	// RuncRoots are runc state directories (<root>/<id>/state.json),
	// first to last. A cgroup named by a container id in one of them is
	// that runc container; they also give rootfs, bundle and created
	// time to containers of other runtimes. Default: /run/runc,
	// /run/docker/runtime-runc/moby, /run/containerd/runc/k8s.io,
	// /run/containerd/runc/default.
	RuncRoots []string
	// CRISockets are CRI runtime sockets; the first that exists is used.
	// Default: /run/containerd/containerd.sock, /run/crio/crio.sock,
	// /run/cri-dockerd.sock.
	CRISockets []string
	// ContainerdSockets are containerd API sockets (for containers made
	// with ctr, nerdctl and the like, which the CRI does not know); the
	// first that exists is used. Default: /run/containerd/containerd.sock,
	// /run/k3s/containerd/containerd.sock.
	ContainerdSockets []string
	// DockerSockets are Docker Engine API sockets (podman's compatible
	// socket too), asked in order. Default: /var/run/docker.sock,
	// /run/podman/podman.sock.
	DockerSockets []string
	// LookupTimeout bounds one container's metadata lookup; default 2s.
	LookupTimeout time.Duration
	// RetryInterval is how long after a failed metadata lookup it is
	// tried again, on the container's next event; default 30s.
	RetryInterval time.Duration
	// MaxLookups is how many metadata lookups run at once; default 4.
	MaxLookups int
	// MaxCgroups bounds the cgroup id cache; default 16384.
	MaxCgroups int
	// MaxWalk bounds the cgroups indexed by one walk of the hierarchy;
	// default 65536.
	MaxWalk int
	// MaxContainers bounds the containers remembered; default 4096.
	MaxContainers int
	// RewalkInterval is the least time between two walks of the cgroup
	// hierarchy, and how long an unresolved cgroup id is answered as
	// unknown before it is tried again; default 1s.
	RewalkInterval time.Duration
	// OnError, if set, is told every error (malformed cgroup files,
	// failed lookups); each is counted in Stats too.
	OnError func(error)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// RemovedGrace is how long a removed cgroup is still answered, for
	// records of its processes still on their way; default 10s. Then it,
	// and its container, are forgotten.
	RemovedGrace time.Duration
	// HostMountNS is the host's mount namespace (the inode number of
	// /proc/1/ns/mnt, or of the sensor's own when init's cannot be read;
	// read by New when 0). A process in a cgroup that
	// names no runtime but could be a runc container id, running in a
	// mount namespace of its own, is attributed to that container before
	// runc has written its state.
	HostMountNS uint64
}

func (c *Config) setDefaults() {
	if c.ProcRoot == "" {
		c.ProcRoot = "/proc"
	}
	if c.RuncRoots == nil {
		c.RuncRoots = []string{"/run/runc", "/run/docker/runtime-runc/moby", "/run/containerd/runc/k8s.io", "/run/containerd/runc/default"}
	}
	if c.CRISockets == nil {
		c.CRISockets = []string{"/run/containerd/containerd.sock", "/run/crio/crio.sock", "/run/cri-dockerd.sock"}
	}
	if c.ContainerdSockets == nil {
		c.ContainerdSockets = []string{"/run/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock"}
	}
	if c.DockerSockets == nil {
		c.DockerSockets = []string{"/var/run/docker.sock", "/run/podman/podman.sock"}
	}
	if c.LookupTimeout <= 0 {
		c.LookupTimeout = 2 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = 30 * time.Second
	}
	if c.MaxLookups <= 0 {
		c.MaxLookups = 4
	}
	if c.MaxCgroups <= 0 {
		c.MaxCgroups = 16384
	}
	if c.MaxWalk <= 0 {
		c.MaxWalk = 65536
	}
	if c.MaxContainers <= 0 {
		c.MaxContainers = 4096
	}
	if c.RewalkInterval <= 0 {
		c.RewalkInterval = time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.RemovedGrace <= 0 {
		c.RemovedGrace = 10 * time.Second
	}
}

// FindCgroup2 returns the mount point of the cgroup v2 hierarchy:
// /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one.
func FindCgroup2() (string, error) {
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p, nil
		}
	}
	return "", fmt.Errorf("no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified")
}

// CgroupID returns the id of the cgroup v2 directory dir: its inode
// number, which is what bpf_get_current_cgroup_id reports.
func CgroupID(dir string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0, fmt.Errorf("cgroup id of %s: %w", dir, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, fmt.Errorf("cgroup id of %s: not a directory", dir)
	}
	return st.Ino, nil
}

// Info is the attribution of one event: the cgroup and, if it is a
// container's, the container.
type Info struct {
	CgroupID uint64
	// CgroupPath is the cgroup v2 path; empty when unresolved.
	CgroupPath string
	// Runtime is RuntimeHost for a host process, RuntimeUnknown with an
	// empty ID when the cgroup is not (yet) resolved.
	Runtime Runtime
	// ID is the container id, empty for the host.
	ID     string
	PodUID string
	// Container is the container's record, for its metadata as it
	// arrives; nil for the host and when unresolved.
	Container *Container
}

// Host reports whether the event came from a process in no container.
func (i Info) Host() bool { return i.Runtime == RuntimeHost }

// Resolved reports whether the cgroup was resolved.
func (i Info) Resolved() bool { return i.Runtime != RuntimeUnknown || i.ID != "" }

// Stats counts what an Attributor did; every error is counted in one of
// the *Errors fields.
type Stats struct {
	Misses          uint64 // cgroup ids not in the cache
	Walks           uint64 // walks of the cgroup hierarchy
	Unresolved      uint64 // cgroup ids not found in the hierarchy
	Evictions       uint64 // cache entries dropped for the bound
	Containers      uint64 // containers remembered
	PathErrors      uint64 // malformed cgroup paths
	ProcErrors      uint64 // unreadable or malformed /proc/<pid> files
	MetadataErrors  uint64 // metadata lookups that found nothing
	MetadataLookups uint64 // metadata lookups started
}

// Attributor maps cgroup ids (and pids) to containers. Lookup is safe for
// concurrent use; a cached answer costs a map read under a read lock.
type Attributor struct {
	cfg    Config
	boot   time.Time
	cri    *criClient
	ctrd   *containerdClient
	docker *dockerClient
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu    sync.RWMutex
	cache map[uint64]entry

	// resolveMu serialises the slow path and guards what follows.
	resolveMu sync.Mutex
	// known holds the cgroup v2 hierarchy by id: what the kernel reported
	// (made, joined, named at an exec) and what the walks found.
	known      map[uint64]knownCgroup
	removed    []removal // cgroups the kernel reported removed, oldest first
	lastWalk   time.Time
	containers map[string]*Container
	// v1 holds the cgroup v1 paths (of the pids hierarchy) an OCI runtime
	// moved a process into, with the runtime, for hosts where the runtime
	// does not use cgroup v2; v1Info caches their answers.
	v1     map[string]Runtime
	v1Info map[string]Info

	misses, walks, unresolved, evictions        atomic.Uint64
	pathErrors, procErrors, metaErrors, lookups atomic.Uint64
	containerCount                              atomic.Uint64
}

// knownCgroup is one cgroup v2 of the hierarchy, by its id.
type knownCgroup struct {
	path string
	// joined is the runtime that moved a process into the cgroup: an OCI
	// runtime's doing (RuntimeRunc, or the manager that ran it), so the
	// cgroup is a container's; RuntimeUnknown when no runtime did.
	joined Runtime
	// kernel is set when the kernel reported the cgroup, as against a
	// walk of the hierarchy finding it: what happened to it since the
	// sensor started is known.
	kernel bool
	// made is when the kernel reported it made (zero when not seen).
	made time.Time
}

// removal is a cgroup the kernel reported removed, forgotten once
// RemovedGrace has passed.
type removal struct {
	id uint64
	at time.Time
}

// entry is a cached answer; recheck (unix nanoseconds) is when an answer
// that may still change (unresolved, or a host cgroup whose runc state
// may not be written yet) is resolved again; 0 never.
type entry struct {
	info    Info
	recheck int64
	// since is when a host cgroup that may be a runc container was first
	// answered (unix nanoseconds): it is looked at again until
	// runcGrace has passed.
	since int64
}

// runcGrace is how long a cgroup named like a runc container id keeps
// being looked at for runc's state, and runcRecheck how often.
const (
	runcGrace   = 10 * time.Second
	runcRecheck = 100 * time.Millisecond
)

// New returns an Attributor. It fails when no cgroup v2 hierarchy is found
// and none is configured.
func New(cfg Config) (*Attributor, error) {
	cfg.setDefaults()
	if cfg.CgroupRoot == "" {
		root, err := FindCgroup2()
		if err != nil {
			return nil, fmt.Errorf("container attribution: %w", err)
		}
		cfg.CgroupRoot = root
	}
	if cfg.HostMountNS == 0 {
		var err error
		if cfg.HostMountNS, err = nsInode(filepath.Join(cfg.ProcRoot, "1", "ns", "mnt")); err != nil {
			// Where init's namespaces are hidden, the sensor's own mount
			// namespace stands for the host's.
			cfg.HostMountNS, _ = nsInode(filepath.Join(cfg.ProcRoot, "self", "ns", "mnt"))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Attributor{
		cfg:        cfg,
		boot:       bootTime(),
		cri:        &criClient{sockets: cfg.CRISockets},
		ctrd:       &containerdClient{sockets: cfg.ContainerdSockets},
		docker:     newDockerClient(cfg.DockerSockets),
		sem:        make(chan struct{}, cfg.MaxLookups),
		ctx:        ctx,
		cancel:     cancel,
		cache:      make(map[uint64]entry),
		known:      make(map[uint64]knownCgroup),
		containers: make(map[string]*Container),
		v1:         make(map[string]Runtime),
		v1Info:     make(map[string]Info),
	}
	// The cgroups that exist already; those made from now on the kernel
	// reports (CgroupMade).
	a.resolveMu.Lock()
	a.walk(a.cfg.Now())
	a.resolveMu.Unlock()
	return a, nil
}

// Close stops metadata lookups under way and closes runtime connections.
func (a *Attributor) Close() error {
	a.cancel()
	a.wg.Wait()
	a.cri.close()
	a.ctrd.close()
	a.docker.close()
	return nil
}

// Stats returns the counters.
func (a *Attributor) Stats() Stats {
	return Stats{
		Misses:          a.misses.Load(),
		Walks:           a.walks.Load(),
		Unresolved:      a.unresolved.Load(),
		Evictions:       a.evictions.Load(),
		Containers:      a.containerCount.Load(),
		PathErrors:      a.pathErrors.Load(),
		ProcErrors:      a.procErrors.Load(),
		MetadataErrors:  a.metaErrors.Load(),
		MetadataLookups: a.lookups.Load(),
	}
}

func (a *Attributor) report(counter *atomic.Uint64, err error) {
	counter.Add(1)
	if a.cfg.OnError != nil {
		a.cfg.OnError(err)
	}
}

// Lookup attributes an event from cgroup v2 id cgroupID (0 if unknown) of
// process pid (0 if unknown). A cached answer is returned at once; on a
// miss the pid's /proc/<pid>/cgroup is read, and if that does not give the
// cgroup the hierarchy is walked (at most once per RewalkInterval).
// Metadata is never waited for: Info.Container fills it in later.
func (a *Attributor) Lookup(cgroupID uint64, pid uint32) Info {
	if cgroupID != 0 {
		a.mu.RLock()
		e, ok := a.cache[cgroupID]
		a.mu.RUnlock()
		if ok && e.recheck == 0 {
			if c := e.info.Container; c != nil && c.failed.Load() {
				a.maybeRetry(c)
			}
			return e.info
		}
		if ok && a.cfg.Now().UnixNano() < e.recheck {
			return e.info
		}
	}
	return a.resolve(cgroupID, pid)
}

// Forget drops a cgroup id from the cache, for a cgroup that was removed.
func (a *Attributor) Forget(cgroupID uint64) {
	a.mu.Lock()
	delete(a.cache, cgroupID)
	a.mu.Unlock()
}

// The kernel's reports. Each cgroup v2 made, joined or named at an exec
// while the sensor runs is told here before any record of a process in it
// is looked up, so that a cgroup is attributed from what the kernel said,
// whether or not it (or any of its processes) still exists.

// CgroupMade records a cgroup v2 the kernel reported made at t: from
// then on, what happens to it is known.
func (a *Attributor) CgroupMade(id uint64, path string, t time.Time) {
	a.learn(id, path, true, RuntimeUnknown, t)
}

// CgroupJoined records a cgroup v2 a process was moved into. by is the
// runtime that moved it when that was an OCI runtime (RuntimeRunc, or the
// runtime that ran runc: RuntimeContainerd under a containerd shim,
// RuntimePodman under conmon), so that the cgroup is a container's, named
// by its last component where its path names no runtime; RuntimeUnknown
// otherwise.
func (a *Attributor) CgroupJoined(id uint64, path string, by Runtime) {
	a.learn(id, path, by != RuntimeUnknown, by, time.Time{})
}

// CgroupNamed records the cgroup v2 path the kernel gave for a process's
// cgroup at its exec.
func (a *Attributor) CgroupNamed(id uint64, path string) {
	a.learn(id, path, false, RuntimeUnknown, time.Time{})
}

// V1Joined records a cgroup v1 path (in the hierarchy the sensor reads
// processes' v1 paths from) that an OCI runtime moved a process into.
func (a *Attributor) V1Joined(path string, by Runtime) {
	if path == "" || by == RuntimeUnknown {
		return
	}
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	if len(a.v1) >= a.cfg.MaxCgroups {
		clear(a.v1)
		clear(a.v1Info)
	}
	a.v1[path] = by
	delete(a.v1Info, path)
}

// LookupV1 attributes a process by its cgroup v1 path, for one whose
// cgroup v2 is the host's: where the runtime puts containers in the v1
// hierarchies only, they are told apart there. The path is read like a
// v2 one; one an OCI runtime moved a process into (V1Joined) is that
// container's.
func (a *Attributor) LookupV1(path string) Info {
	if path == "" || path == "/" {
		return Info{Runtime: RuntimeHost}
	}
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	if info, ok := a.v1Info[path]; ok {
		return info
	}
	info := Info{CgroupPath: path}
	pi, err := ParsePath(path)
	if err != nil {
		a.report(&a.pathErrors, err)
		return Info{}
	}
	if by, ok := a.v1[path]; ok {
		last := path[strings.LastIndexByte(path, '/')+1:]
		switch {
		case pi.Host() && isRuncID(last):
			pi = PathInfo{Runtime: by, ID: last}
		case pi.ID != "" && (pi.Runtime == RuntimeUnknown || pi.Runtime == RuntimeCRI && by != RuntimeRunc):
			pi.Runtime = by
		}
	}
	info.Runtime, info.ID, info.PodUID = pi.Runtime, pi.ID, pi.PodUID
	if info.ID != "" {
		info.Container = a.container(pi, path, time.Time{})
	}
	if len(a.v1Info) >= a.cfg.MaxCgroups {
		clear(a.v1Info)
	}
	a.v1Info[path] = info
	return info
}

// CgroupRemoved records a cgroup v2 the kernel reported removed at t: it
// is still answered for RemovedGrace, then forgotten with its container.
func (a *Attributor) CgroupRemoved(id uint64, t time.Time) {
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	a.expire(t)
	if _, ok := a.known[id]; ok {
		a.removed = append(a.removed, removal{id: id, at: t})
	}
}

// learn records a cgroup's path. kernel says the report settles the
// cgroup's attribution (it was made while the sensor ran, or a runtime
// joined it); a report that does not (a process named it at an exec, a
// process that is no runtime's joined it) only adds a path not yet known,
// which is then attributed as a cgroup found by a walk.
func (a *Attributor) learn(id uint64, path string, kernel bool, by Runtime, made time.Time) {
	if id == 0 || path == "" {
		return
	}
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	if !made.IsZero() {
		a.expire(made)
	}
	k, had := a.known[id]
	if had && k.path == path && (!kernel || k.kernel && (by == RuntimeUnknown || k.joined == by)) {
		return
	}
	if !had && len(a.known) >= a.cfg.MaxWalk {
		// Bounded: any one goes (a cgroup forgotten is found again by a
		// walk).
		for k := range a.known {
			delete(a.known, k)
			a.evictions.Add(1)
			break
		}
	}
	k.path = path
	if kernel {
		k.kernel = true
	}
	if by != RuntimeUnknown {
		k.joined = by
	}
	if !made.IsZero() {
		k.made = made
	}
	a.known[id] = k
	if had {
		// What was answered before the kernel said more is answered again.
		a.Forget(id)
	}
}

// Expire forgets the cgroups removed more than RemovedGrace before now,
// and their containers; the sensor calls it every second.
func (a *Attributor) Expire(now time.Time) {
	a.resolveMu.Lock()
	a.expire(now)
	a.resolveMu.Unlock()
}

// expire is Expire with resolveMu held.
func (a *Attributor) expire(now time.Time) {
	n := 0
	for _, r := range a.removed {
		if now.Sub(r.at) < a.cfg.RemovedGrace {
			break
		}
		n++
		k, ok := a.known[r.id]
		if !ok {
			continue
		}
		delete(a.known, r.id)
		a.Forget(r.id)
		if c, ok := a.containers[containerKey(k.path)]; ok && c.CgroupPath == k.path {
			delete(a.containers, c.ID)
			a.containerCount.Store(uint64(len(a.containers)))
		}
	}
	if n > 0 {
		a.removed = append(a.removed[:0], a.removed[n:]...)
	}
}

// containerKey is the id a container in cgroup path would be remembered
// by: the id its path names, else its last component.
func containerKey(path string) string {
	if pi, err := ParsePath(path); err == nil && pi.ID != "" {
		return pi.ID
	}
	return path[strings.LastIndexByte(path, '/')+1:]
}

func (a *Attributor) store(id uint64, e entry) {
	a.mu.Lock()
	if _, ok := a.cache[id]; !ok && len(a.cache) >= a.cfg.MaxCgroups {
		for k := range a.cache {
			delete(a.cache, k)
			a.evictions.Add(1)
			break
		}
	}
	a.cache[id] = e
	a.mu.Unlock()
}

func (a *Attributor) resolve(cgroupID uint64, pid uint32) Info {
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	now := a.cfg.Now()
	var path string
	found, final := false, false
	var since int64
	if cgroupID != 0 {
		a.mu.RLock()
		e, ok := a.cache[cgroupID]
		a.mu.RUnlock()
		if ok && (e.recheck == 0 || now.UnixNano() < e.recheck) {
			return e.info // resolved meanwhile
		}
		if ok && e.info.CgroupPath != "" {
			// A host cgroup looked at once more; once runcGrace has
			// passed its answer stays.
			path, found, since = e.info.CgroupPath, true, e.since
			final = now.UnixNano()-since >= int64(runcGrace)
		}
	}
	a.misses.Add(1)

	var k knownCgroup
	if !found && cgroupID != 0 {
		if k, found = a.known[cgroupID]; found {
			path = k.path
		}
	}
	var procStart time.Time
	if pid != 0 && !found {
		p, id, start, err := a.pidCgroup(pid)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				a.report(&a.procErrors, err)
			}
		} else {
			procStart = start
			if cgroupID == 0 {
				cgroupID = id
			}
			if id == cgroupID {
				path, found = p, true
			} else if id != 0 {
				// The process moved since the event; what it told is
				// still right for the cgroup it is in now.
				a.store(id, a.entryFor(id, p, pid, start, now, 0, false))
			}
		}
	}
	if cgroupID == 0 {
		return Info{}
	}
	if !found && (a.lastWalk.IsZero() || now.Sub(a.lastWalk) >= a.cfg.RewalkInterval) {
		a.walk(now)
		if k, found = a.known[cgroupID]; found {
			path = k.path
		}
	}
	if !found {
		a.unresolved.Add(1)
		info := Info{CgroupID: cgroupID}
		a.store(cgroupID, entry{info: info, recheck: now.Add(a.cfg.RewalkInterval).UnixNano()})
		return info
	}
	var e entry
	if k.kernel {
		e = a.kernelEntry(cgroupID, k)
	} else {
		e = a.entryFor(cgroupID, path, pid, procStart, now, since, final)
	}
	a.store(cgroupID, e)
	return e.info
}

// kernelEntry attributes a cgroup the kernel reported: from its path and
// whether an OCI runtime moved a process into it, never from /proc, the
// runtime's state or the time, so that the answer is the same whenever
// it is asked.
func (a *Attributor) kernelEntry(cgroupID uint64, k knownCgroup) entry {
	info := Info{CgroupID: cgroupID, CgroupPath: k.path}
	pi, err := ParsePath(k.path)
	if err != nil {
		a.report(&a.pathErrors, err)
		return entry{info: info}
	}
	if k.joined != RuntimeUnknown {
		last := k.path[strings.LastIndexByte(k.path, '/')+1:]
		switch {
		case pi.Host() && isRuncID(last):
			pi = PathInfo{Runtime: k.joined, ID: last}
		case pi.ID != "" && (pi.Runtime == RuntimeUnknown || pi.Runtime == RuntimeCRI && k.joined != RuntimeRunc):
			// The path names the container but not its runtime (a
			// Kubernetes cgroupfs path): the runtime that ran runc does.
			pi.Runtime = k.joined
		}
	}
	info.Runtime, info.ID, info.PodUID = pi.Runtime, pi.ID, pi.PodUID
	if info.ID != "" {
		info.Container = a.container(pi, k.path, k.made)
	}
	return entry{info: info}
}

// entryFor attributes a resolved cgroup path of process pid (0 if
// unknown); since is when the cgroup was first answered as a host cgroup
// that may be a runc container (0: now); final says not to look at a host
// cgroup again.
func (a *Attributor) entryFor(cgroupID uint64, path string, pid uint32, procStart time.Time, now time.Time, since int64, final bool) entry {
	info := Info{CgroupID: cgroupID, CgroupPath: path}
	pi, err := ParsePath(path)
	if err != nil {
		a.report(&a.pathErrors, err)
		return entry{info: info}
	}
	var e entry
	if pi.Host() {
		if id, ok := a.runcContainer(path); ok {
			pi = PathInfo{Runtime: RuntimeRunc, ID: id}
		} else if mayBeRunc(path) && a.ownMountNS(pid) {
			// runc writes its state after the container's first
			// processes run: a process in a mount namespace of its own,
			// in a cgroup named like a container id, is that container.
			pi = PathInfo{Runtime: RuntimeRunc, ID: path[strings.LastIndexByte(path, '/')+1:]}
		} else if !final && mayBeRunc(path) {
			// Until runc has written its state (or a process of the
			// cgroup is seen in its own mount namespace), look again.
			if since == 0 {
				since = now.UnixNano()
			}
			e.since = since
			e.recheck = now.Add(runcRecheck).UnixNano()
		}
	}
	info.Runtime, info.ID, info.PodUID = pi.Runtime, pi.ID, pi.PodUID
	if info.ID != "" {
		info.Container = a.container(pi, path, procStart)
	}
	e.info = info
	return e
}

// ownMountNS reports whether process pid runs in a mount namespace other
// than the host's.
func (a *Attributor) ownMountNS(pid uint32) bool {
	if pid == 0 || a.cfg.HostMountNS == 0 {
		return false
	}
	ns, err := nsInode(filepath.Join(a.cfg.ProcRoot, strconv.FormatUint(uint64(pid), 10), "ns", "mnt"))
	return err == nil && ns != a.cfg.HostMountNS
}

// nsInode returns the inode number of a namespace link such as
// /proc/<pid>/ns/mnt.
func nsInode(link string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(link, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// mayBeRunc reports whether a host cgroup path's last component could be
// a runc container id, rather than a systemd unit or the root.
func mayBeRunc(path string) bool {
	last := path[strings.LastIndexByte(path, '/')+1:]
	if !isRuncID(last) {
		return false
	}
	for _, s := range []string{".slice", ".service", ".scope", ".mount", ".socket"} {
		if strings.HasSuffix(last, s) {
			return false
		}
	}
	return true
}

// runcContainer looks for a component of path, the deepest first, that
// names a container in a runc state directory.
func (a *Attributor) runcContainer(path string) (string, bool) {
	for end := len(path); end > 0; {
		start := strings.LastIndexByte(path[:end], '/') + 1
		comp := path[start:end]
		if isRuncID(comp) {
			for _, root := range a.cfg.RuncRoots {
				if _, err := os.Stat(filepath.Join(root, comp, "state.json")); err == nil {
					return comp, true
				}
			}
		}
		if start == 0 {
			break
		}
		end = start - 1
	}
	return "", false
}

// container returns the record of a container, making it (and starting
// its metadata lookup) when new. Called with resolveMu held.
func (a *Attributor) container(pi PathInfo, path string, procStart time.Time) *Container {
	c, ok := a.containers[pi.ID]
	if !ok {
		if len(a.containers) >= a.cfg.MaxContainers {
			for k := range a.containers {
				delete(a.containers, k)
				a.evictions.Add(1)
				break
			}
		}
		c = newContainer(pi.Runtime, pi.ID, pi.PodUID, path)
		c.seen = a.cfg.Now()
		a.containers[pi.ID] = c
		a.containerCount.Store(uint64(len(a.containers)))
		c.fetching.Store(true)
		a.wg.Add(1)
		go a.fetch(c)
	}
	c.sawProcess(procStart)
	return c
}

// maybeRetry starts another metadata lookup of a container whose last one
// failed, once RetryInterval has passed.
func (a *Attributor) maybeRetry(c *Container) {
	if a.cfg.Now().UnixNano() < c.retryAt.Load() || !c.fetching.CompareAndSwap(false, true) {
		return
	}
	a.wg.Add(1)
	go a.fetch(c)
}

// fetch looks up a container's metadata from its runtime, bounded by
// LookupTimeout, and the start time of the earliest process in its
// cgroup.
func (a *Attributor) fetch(c *Container) {
	defer a.wg.Done()
	defer c.fetching.Store(false)
	select {
	case a.sem <- struct{}{}:
	case <-a.ctx.Done():
		c.finish(&Metadata{Err: a.ctx.Err()}, true, a.cfg.Now().Add(a.cfg.RetryInterval))
		return
	}
	defer func() { <-a.sem }()
	a.lookups.Add(1)
	a.scanCgroupProcs(c)
	ctx, cancel := context.WithTimeout(a.ctx, a.cfg.LookupTimeout)
	defer cancel()
	m, err := a.metadata(ctx, c)
	if err != nil {
		err = fmt.Errorf("metadata of %s container %s: %w", c.Runtime, c.ID, err)
		retry := a.cfg.RetryInterval
		if c.Runtime == RuntimeRunc && errors.Is(err, fs.ErrNotExist) && a.cfg.Now().Sub(c.seen) < runcGrace {
			// A container met before runc wrote its state: soon.
			retry = runcRecheck
		} else {
			a.report(&a.metaErrors, err)
		}
		if m == nil {
			m = &Metadata{}
		}
		m.Err = err
		c.finish(m, true, a.cfg.Now().Add(retry))
		return
	}
	c.finish(m, false, time.Time{})
}

// metadata asks the sources that can know a container of this runtime, in
// order, and fills what runc's state adds (rootfs, bundle, created).
func (a *Attributor) metadata(ctx context.Context, c *Container) (*Metadata, error) {
	type source func(context.Context, string) (*Metadata, error)
	cri := source(a.cri.status)
	docker := source(a.docker.inspect)
	ctrd := source(func(ctx context.Context, id string) (*Metadata, error) {
		return a.ctrd.container(ctx, id, containerdNamespace(c.CgroupPath))
	})
	if len(a.cfg.CRISockets) == 0 {
		cri = nil
	}
	if len(a.cfg.ContainerdSockets) == 0 {
		ctrd = nil
	}
	if len(a.cfg.DockerSockets) == 0 {
		docker = nil
	}
	var sources []source
	switch c.Runtime {
	case RuntimeDocker:
		sources = []source{docker, cri}
	case RuntimePodman:
		sources = []source{docker}
	case RuntimeContainerd:
		sources = []source{cri, ctrd}
	case RuntimeCRIO, RuntimeCRI:
		sources = []source{cri}
	case RuntimeUnknown:
		sources = []source{cri, ctrd, docker}
	}
	var m *Metadata
	var errs []error
	for _, s := range sources {
		if s == nil {
			continue
		}
		got, err := s(ctx, c.ID)
		if err == nil {
			m = got
			break
		}
		errs = append(errs, err)
	}
	st, rerr := a.runcState(c.ID)
	if rerr == nil {
		if m == nil {
			m = &Metadata{Source: "runc", Name: c.ID, Annotations: st.Annotations}
		}
		m.Bundle, m.Rootfs = st.Bundle, firstNonEmpty(m.Rootfs, st.Rootfs)
		if m.Created.IsZero() {
			m.Created = st.Created
		}
		if m.InitPID == 0 {
			m.InitPID = st.InitPID
		}
		if m.Annotations == nil {
			m.Annotations = st.Annotations
		}
	} else if !errors.Is(rerr, fs.ErrNotExist) || m == nil {
		errs = append(errs, rerr)
	}
	if m == nil {
		return nil, errors.Join(errs...)
	}
	if m.PodUID == "" {
		m.PodUID = c.PodUID
	}
	return m, nil
}

// containerdNamespace is the containerd namespace a cgroup path names:
// containerd's default cgroup for a container is /<namespace>/<id>.
func containerdNamespace(path string) string {
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return ""
	}
	ns, id, ok := strings.Cut(rest, "/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return ns
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (a *Attributor) runcState(id string) (RuncState, error) {
	var first error
	for _, root := range a.cfg.RuncRoots {
		st, err := ReadRuncState(root, id)
		if err == nil {
			return st, nil
		}
		if first == nil || !errors.Is(err, fs.ErrNotExist) && errors.Is(first, fs.ErrNotExist) {
			first = err
		}
	}
	if first == nil {
		first = fmt.Errorf("runc state: no state directory configured: %w", fs.ErrNotExist)
	}
	return RuncState{}, first
}

// scanCgroupProcs records the start time of each process now in the
// container's cgroup, for the fallback start time.
func (a *Attributor) scanCgroupProcs(c *Container) {
	data, err := os.ReadFile(filepath.Join(a.cfg.CgroupRoot, c.CgroupPath, "cgroup.procs"))
	if err != nil {
		return
	}
	for _, f := range strings.Fields(string(data)) {
		pid, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			continue
		}
		if start, err := a.procStart(uint32(pid)); err == nil {
			c.sawProcess(start)
		}
	}
}

// pidCgroup reads a process's cgroup v2 path from /proc/<pid>/cgroup, the
// cgroup's id and the process's start time.
func (a *Attributor) pidCgroup(pid uint32) (string, uint64, time.Time, error) {
	file := filepath.Join(a.cfg.ProcRoot, strconv.FormatUint(uint64(pid), 10), "cgroup")
	data, err := os.ReadFile(file)
	if err != nil {
		return "", 0, time.Time{}, err
	}
	pc, err := ParseProcCgroup(data)
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("%s: %w", file, err)
	}
	if pc.Unified == "" {
		return "", 0, time.Time{}, fmt.Errorf("%s: no cgroup v2 line", file)
	}
	id, err := CgroupID(filepath.Join(a.cfg.CgroupRoot, pc.Unified))
	if err != nil {
		return "", 0, time.Time{}, err
	}
	start, _ := a.procStart(pid)
	return pc.Unified, id, start, nil
}

// walk indexes every directory of the cgroup v2 hierarchy by inode, up to
// MaxWalk of them, adding those the kernel has not reported.
func (a *Attributor) walk(now time.Time) {
	a.walks.Add(1)
	a.lastWalk = now
	walked := 0
	root := a.cfg.CgroupRoot
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil // cgroups come and go during the walk
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		rel := strings.TrimPrefix(p, root)
		if rel == "" {
			rel = "/"
		}
		if k, ok := a.known[st.Ino]; !ok || !k.kernel && k.path != rel {
			a.known[st.Ino] = knownCgroup{path: rel}
		}
		if walked++; walked >= a.cfg.MaxWalk || len(a.known) >= a.cfg.MaxWalk {
			return filepath.SkipAll
		}
		return nil
	})
}

// procStart is a process's start time from /proc/<pid>/stat.
func (a *Attributor) procStart(pid uint32) (time.Time, error) {
	file := filepath.Join(a.cfg.ProcRoot, strconv.FormatUint(uint64(pid), 10), "stat")
	data, err := os.ReadFile(file)
	if err != nil {
		return time.Time{}, err
	}
	ticks, err := ParseStatStartTime(data)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", file, err)
	}
	return a.boot.Add(time.Duration(ticks) * (time.Second / clockTicks)), nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times, 100 on
// every Linux architecture.
const clockTicks = 100

// ParseStatStartTime reads the start time (field 22, in clock ticks since
// boot) from the content of /proc/<pid>/stat.
func ParseStatStartTime(data []byte) (uint64, error) {
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses itself: fields resume after the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("stat has no ')' after the command name")
	}
	rest := string(data[i+1:])
	field := 2
	for len(rest) > 0 {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			break
		}
		field++
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			j = len(rest)
		}
		if field == 22 {
			v, err := strconv.ParseUint(strings.TrimSpace(rest[:j]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("stat field 22 (starttime) %q: %w", truncate(rest[:j]), err)
			}
			return v, nil
		}
		rest = rest[j:]
	}
	return 0, fmt.Errorf("stat has %d fields, fewer than 22", field)
}

// bootTime is the wall-clock time the system booted, from the boot-time
// clock that /proc/<pid>/stat's start times count.
func bootTime() time.Time {
	var ts unix.Timespec
	now := time.Now()
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return time.Time{}
	}
	return now.Add(-time.Duration(ts.Nano()))
}
