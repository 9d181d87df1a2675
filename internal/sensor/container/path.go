package container

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Runtime is the container runtime (or manager) a cgroup path belongs to.
type Runtime uint8

// Runtimes. RuntimeUnknown with an empty id means the cgroup was not
// resolved; with an id it is a container whose runtime the path does not
// tell.
const (
	RuntimeUnknown Runtime = iota
	RuntimeHost
	RuntimeDocker
	RuntimeContainerd
	RuntimeCRIO
	RuntimePodman
	RuntimeRunc
	// RuntimeCRI is a Kubernetes container under the cgroupfs driver,
	// whose path names the pod and container but not the runtime.
	RuntimeCRI
)

var runtimeNames = [...]string{"unknown", "host", "docker", "containerd", "cri-o", "podman", "runc", "cri"}

func (r Runtime) String() string {
	if int(r) < len(runtimeNames) {
		return runtimeNames[r]
	}
	return "runtime(" + strconv.Itoa(int(r)) + ")"
}

// PathInfo is what a cgroup path tells about the container its processes
// run in.
type PathInfo struct {
	// Runtime is RuntimeHost for a path in no container.
	Runtime Runtime
	// ID is the container id; empty for the host.
	ID string
	// PodUID is the Kubernetes pod's UID with dashes, when the path
	// names a pod.
	PodUID string
}

// Host reports whether the path is in no container.
func (p PathInfo) Host() bool { return p.Runtime == RuntimeHost }

// MaxPathLen is the longest cgroup path accepted.
const MaxPathLen = 4096

// ParsePath reads the container runtime, container id and Kubernetes pod
// UID from a cgroup path as it appears in /proc/<pid>/cgroup or under a
// cgroup hierarchy's mount point (with a leading '/'). The deepest
// component naming a container wins, so a container in a container is the
// inner one and a container's own sub-cgroups belong to it. Conmon scopes
// of CRI-O and podman are the runtime's own processes and count as the
// host. Containers that only runc's state directory knows are not
// recognised here (see Attributor). A path that is not a cgroup path, or
// that names a runtime with a malformed id, is an error.
func ParsePath(path string) (PathInfo, error) {
	if err := checkPath(path); err != nil {
		return PathInfo{}, err
	}
	var info PathInfo
	// Components from the last to the first.
	end := len(path)
	for end > 0 {
		start := strings.LastIndexByte(path[:end], '/') + 1
		comp := path[start:end]
		if info.ID == "" {
			rt, id, err := matchComponent(comp, parentOf(path, start))
			if err != nil {
				return PathInfo{}, fmt.Errorf("cgroup path %q: component %q: %w", path, comp, err)
			}
			if rt != RuntimeUnknown || id != "" {
				info.Runtime, info.ID = rt, id
				if rt == RuntimeHost {
					// A conmon scope: nothing above it is a container
					// this process belongs to.
					return PathInfo{Runtime: RuntimeHost}, nil
				}
			}
			if pod, ok := slicePodUID(comp); ok && info.ID != "" {
				info.PodUID = pod
			}
		} else if info.PodUID == "" {
			if pod, ok := podUID(comp); ok {
				info.PodUID = pod
			}
		}
		if start == 0 {
			break
		}
		end = start - 1
	}
	if info.ID == "" {
		return PathInfo{Runtime: RuntimeHost}, nil
	}
	return info, nil
}

func checkPath(path string) error {
	switch {
	case path == "":
		return fmt.Errorf("empty cgroup path")
	case path[0] != '/':
		return fmt.Errorf("cgroup path %q does not start with '/'", truncate(path))
	case len(path) > MaxPathLen:
		return fmt.Errorf("cgroup path of %d bytes is longer than %d", len(path), MaxPathLen)
	}
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == 0 || c == '\n' {
			return fmt.Errorf("cgroup path %q has a %s at byte %d", truncate(path), ctrlName(c), i)
		}
	}
	return nil
}

func ctrlName(c byte) string {
	if c == 0 {
		return "NUL"
	}
	return "newline"
}

func truncate(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// parentOf is the component before the one starting at start.
func parentOf(path string, start int) string {
	if start <= 1 {
		return ""
	}
	p := path[:start-1]
	return p[strings.LastIndexByte(p, '/')+1:]
}

// matchComponent recognises one path component. It returns RuntimeHost for
// a conmon scope, a runtime and id for a container, and RuntimeUnknown with
// no id for anything else.
func matchComponent(comp, parent string) (Runtime, string, error) {
	// containerd's and CRI-O's systemd-style cgroupsPath when systemd does
	// not manage the cgroup: "<slice>:<prefix>:<id>".
	if i := strings.IndexByte(comp, ':'); i >= 0 {
		rest := comp[i+1:]
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return RuntimeUnknown, "", nil
		}
		prefix, id := rest[:j], rest[j+1:]
		rt := prefixRuntime(prefix)
		if rt == RuntimeUnknown && prefix == "" {
			return RuntimeUnknown, "", nil
		}
		if prefix == "crio-conmon" || prefix == "libpod-conmon" {
			return RuntimeHost, "", nil
		}
		if rt == RuntimeRunc {
			if !isRuncID(id) {
				return 0, "", fmt.Errorf("runc container id %q has characters runc does not allow", truncate(id))
			}
			return rt, id, nil
		}
		if !isHex64(id) {
			return 0, "", fmt.Errorf("%s container id %q is not 64 hex digits", prefix, truncate(id))
		}
		return rt, id, nil
	}
	if isHex64(comp) {
		switch {
		case parent == "docker":
			return RuntimeDocker, comp, nil
		case isPodComponent(parent):
			return RuntimeCRI, comp, nil
		}
		return RuntimeUnknown, comp, nil
	}
	name, scope := strings.CutSuffix(comp, ".scope")
	for _, p := range scopePrefixes {
		id, ok := strings.CutPrefix(name, p.prefix)
		if !ok {
			continue
		}
		if p.runtime == RuntimeHost {
			return RuntimeHost, "", nil
		}
		if !scope && !p.bare {
			break
		}
		if p.runtime == RuntimeRunc {
			if !isRuncID(id) {
				return 0, "", fmt.Errorf("runc container id %q has characters runc does not allow", truncate(id))
			}
			return RuntimeRunc, id, nil
		}
		if !isHex64(id) {
			return 0, "", fmt.Errorf("%s container id %q is not 64 hex digits", p.runtime, truncate(id))
		}
		return p.runtime, id, nil
	}
	return RuntimeUnknown, "", nil
}

// scopePrefixes are the systemd scope (or cgroupfs directory) name
// prefixes of container runtimes, the conmon ones before the container ones
// they share a prefix with. bare means the prefix also names a container
// without the ".scope" suffix (the cgroupfs driver).
var scopePrefixes = []struct {
	prefix  string
	runtime Runtime
	bare    bool
}{
	{"crio-conmon-", RuntimeHost, true},
	{"libpod-conmon-", RuntimeHost, true},
	{"docker-", RuntimeDocker, false},
	{"cri-containerd-", RuntimeContainerd, true},
	{"crio-", RuntimeCRIO, true},
	{"libpod-", RuntimePodman, true},
	{"runc-", RuntimeRunc, false},
}

func prefixRuntime(prefix string) Runtime {
	switch prefix {
	case "cri-containerd":
		return RuntimeContainerd
	case "crio":
		return RuntimeCRIO
	case "docker":
		return RuntimeDocker
	case "libpod":
		return RuntimePodman
	case "runc":
		return RuntimeRunc
	}
	return RuntimeUnknown
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isRuncID reports whether s is a container id runc accepts.
func isRuncID(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 1024 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func isPodComponent(comp string) bool {
	if _, ok := podUID(comp); ok {
		return true
	}
	return false
}

// podUID reads the pod UID from a cgroupfs "pod<uid>" component or a
// systemd "kubepods[-<qos>]-pod<uid>.slice" one.
func podUID(comp string) (string, bool) {
	if uid, ok := strings.CutPrefix(comp, "pod"); ok {
		if isUID(uid) {
			return uid, true
		}
		return "", false
	}
	return slicePodUID(comp)
}

func slicePodUID(comp string) (string, bool) {
	name, ok := strings.CutSuffix(comp, ".slice")
	if !ok {
		// "<slice>:<prefix>:<id>" carries the pod's slice first.
		i := strings.IndexByte(comp, ':')
		if i < 0 {
			return "", false
		}
		name, ok = strings.CutSuffix(comp[:i], ".slice")
		if !ok {
			return "", false
		}
	}
	// kubepods-<qos>-pod<uid>, or kubelet-kubepods-… under kind.
	if !strings.Contains(name, "kubepods") {
		return "", false
	}
	i := strings.LastIndex(name, "-pod")
	if i < 0 {
		return "", false
	}
	uid := name[i+len("-pod"):]
	if !isUID(uid) {
		return "", false
	}
	return strings.ReplaceAll(uid, "_", "-"), true
}

// isUID accepts a pod UID: a UUID, with '_' for '-' in systemd slice
// names, or the 32 hex digits of a static pod's hash.
func isUID(s string) bool {
	if len(s) < 32 || len(s) > 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ProcCgroup is what /proc/<pid>/cgroup says about a process's cgroups.
type ProcCgroup struct {
	// Unified is the path in the cgroup v2 hierarchy (the "0::" line);
	// empty when the file has no such line.
	Unified string
	// Legacy maps each cgroup v1 controller (or "name=<x>" hierarchy)
	// to the path in it.
	Legacy map[string]string
}

// ParseProcCgroup parses the content of /proc/<pid>/cgroup: lines of
// "hierarchy-id:controller-list:path". A malformed line is an error naming
// the line.
func ParseProcCgroup(data []byte) (ProcCgroup, error) {
	var pc ProcCgroup
	line := 0
	for len(data) > 0 {
		line++
		var l []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			l, data = data, nil
		}
		if len(l) == 0 {
			continue
		}
		c1 := bytes.IndexByte(l, ':')
		if c1 < 0 {
			return ProcCgroup{}, fmt.Errorf("cgroup line %d %q: no ':' after the hierarchy id", line, truncate(string(l)))
		}
		c2 := bytes.IndexByte(l[c1+1:], ':')
		if c2 < 0 {
			return ProcCgroup{}, fmt.Errorf("cgroup line %d %q: no ':' after the controllers", line, truncate(string(l)))
		}
		c2 += c1 + 1
		id, controllers, path := l[:c1], l[c1+1:c2], string(l[c2+1:])
		n, err := strconv.ParseUint(string(id), 10, 32)
		if err != nil {
			return ProcCgroup{}, fmt.Errorf("cgroup line %d %q: hierarchy id %q is not a number", line, truncate(string(l)), id)
		}
		if err := checkPath(path); err != nil {
			return ProcCgroup{}, fmt.Errorf("cgroup line %d: %w", line, err)
		}
		if n == 0 && len(controllers) == 0 {
			pc.Unified = path
			continue
		}
		if len(controllers) == 0 {
			return ProcCgroup{}, fmt.Errorf("cgroup line %d %q: hierarchy %d has no controllers", line, truncate(string(l)), n)
		}
		if pc.Legacy == nil {
			pc.Legacy = make(map[string]string)
		}
		for _, c := range bytes.Split(controllers, []byte(",")) {
			pc.Legacy[string(c)] = path
		}
	}
	if pc.Unified == "" && len(pc.Legacy) == 0 {
		return ProcCgroup{}, fmt.Errorf("no cgroup lines")
	}
	return pc, nil
}
