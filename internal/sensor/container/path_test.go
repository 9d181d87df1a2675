package container

import (
	"strings"
	"testing"
)

const (
	id1  = "8f2b5c3e4d6a7b9c0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
	id2  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	uid  = "2c3a4b5d-6e7f-4a1b-9c2d-3e4f5a6b7c8d"
	uidU = "2c3a4b5d_6e7f_4a1b_9c2d_3e4f5a6b7c8d"
)

// pathCases are cgroup paths in the shapes runtimes make them, as they
// appear in /proc/<pid>/cgroup.
var pathCases = []struct {
	name string
	path string
	want PathInfo
	err  string
}{
	{"docker cgroupfs", "/docker/" + id1, PathInfo{RuntimeDocker, id1, ""}, ""},
	{"docker systemd", "/system.slice/docker-" + id1 + ".scope", PathInfo{RuntimeDocker, id1, ""}, ""},
	{"docker systemd in-container cgroups", "/system.slice/docker-" + id1 + ".scope/init.scope", PathInfo{RuntimeDocker, id1, ""}, ""},
	{"docker in docker", "/docker/" + id1 + "/docker/" + id2, PathInfo{RuntimeDocker, id2, ""}, ""},
	{"docker seen from a cgroup namespace", "/../../docker/" + id1, PathInfo{RuntimeDocker, id1, ""}, ""},
	{"kubepods cgroupfs besteffort", "/kubepods/besteffort/pod" + uid + "/" + id1, PathInfo{RuntimeCRI, id1, uid}, ""},
	{"kubepods cgroupfs guaranteed", "/kubepods/pod" + uid + "/" + id1, PathInfo{RuntimeCRI, id1, uid}, ""},
	{"kubepods static pod hash", "/kubepods/burstable/pod6b2c3b5b0cd1b3b6b6d0e5b1e7f0c9d2/" + id1, PathInfo{RuntimeCRI, id1, "6b2c3b5b0cd1b3b6b6d0e5b1e7f0c9d2"}, ""},
	{"containerd systemd", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope", PathInfo{RuntimeContainerd, id1, uid}, ""},
	{"containerd systemd guaranteed", "/kubepods.slice/kubepods-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope", PathInfo{RuntimeContainerd, id1, uid}, ""},
	{"containerd kind", "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + uidU + ".slice/cri-containerd-" + id1 + ".scope", PathInfo{RuntimeContainerd, id1, uid}, ""},
	{"containerd systemd path unmanaged", "/kubepods-besteffort-pod" + uidU + ".slice:cri-containerd:" + id1, PathInfo{RuntimeContainerd, id1, uid}, ""},
	{"containerd cgroupfs prefix", "/kubepods/besteffort/pod" + uid + "/cri-containerd-" + id1, PathInfo{RuntimeContainerd, id1, uid}, ""},
	{"cri-o systemd", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-" + id1 + ".scope", PathInfo{RuntimeCRIO, id1, uid}, ""},
	{"cri-o systemd container subcgroup", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-" + id1 + ".scope/container", PathInfo{RuntimeCRIO, id1, uid}, ""},
	{"cri-o conmon", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice/crio-conmon-" + id1 + ".scope", PathInfo{Runtime: RuntimeHost}, ""},
	{"cri-o cgroupfs", "/kubepods/besteffort/pod" + uid + "/crio-" + id1, PathInfo{RuntimeCRIO, id1, uid}, ""},
	{"cri-o cgroupfs conmon", "/kubepods/besteffort/pod" + uid + "/crio-conmon-" + id1, PathInfo{Runtime: RuntimeHost}, ""},
	{"cri-o unmanaged systemd path", "/kubepods-besteffort-pod" + uidU + ".slice:crio:" + id1, PathInfo{RuntimeCRIO, id1, uid}, ""},
	{"podman rootful", "/machine.slice/libpod-" + id1 + ".scope", PathInfo{RuntimePodman, id1, ""}, ""},
	{"podman rootful in pod", "/machine.slice/machine-libpod_pod_" + id2 + ".slice/libpod-" + id1 + ".scope", PathInfo{RuntimePodman, id1, ""}, ""},
	{"podman rootless", "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + id1 + ".scope/container", PathInfo{RuntimePodman, id1, ""}, ""},
	{"podman cgroupfs", "/libpod_parent/libpod-" + id1, PathInfo{RuntimePodman, id1, ""}, ""},
	{"podman conmon", "/machine.slice/libpod-conmon-" + id1 + ".scope", PathInfo{Runtime: RuntimeHost}, ""},
	{"runc systemd", "/system.slice/runc-web_1.scope", PathInfo{RuntimeRunc, "web_1", ""}, ""},
	{"runc unmanaged systemd path", "/system.slice:runc:web_1", PathInfo{RuntimeRunc, "web_1", ""}, ""},
	{"ecs task", "/ecs/5a0d5ae4e1e94b3fbbc2bba3a5a6c7d8/" + id1, PathInfo{RuntimeUnknown, id1, ""}, ""},
	{"root", "/", PathInfo{Runtime: RuntimeHost}, ""},
	{"runc default is not known from the path", "/vt-1", PathInfo{Runtime: RuntimeHost}, ""},
	{"systemd service", "/system.slice/sshd.service", PathInfo{Runtime: RuntimeHost}, ""},
	{"docker daemon", "/system.slice/docker.service", PathInfo{Runtime: RuntimeHost}, ""},
	{"containerd daemon", "/system.slice/containerd.service", PathInfo{Runtime: RuntimeHost}, ""},
	{"podman service", "/system.slice/podman.service", PathInfo{Runtime: RuntimeHost}, ""},
	{"session", "/user.slice/user-0.slice/session-3.scope", PathInfo{Runtime: RuntimeHost}, ""},
	{"pod slice without container", "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + uidU + ".slice", PathInfo{Runtime: RuntimeHost}, ""},
	{"nested memory cgroup of a sandbox", "/process_api/33042c0e9ed1782f9080384a2fe18729", PathInfo{Runtime: RuntimeHost}, ""},
	{"docker scope with short id", "/system.slice/docker-1234.scope", PathInfo{}, `docker container id "1234" is not 64 hex digits`},
	{"containerd scope with upper-case id", "/kubepods.slice/cri-containerd-" + strings.ToUpper(id1) + ".scope", PathInfo{}, "is not 64 hex digits"},
	{"unmanaged systemd path with short id", "/x.slice:cri-containerd:abc", PathInfo{}, `cri-containerd container id "abc"`},
	{"runc scope with a space", "/system.slice/runc-a b.scope", PathInfo{}, "characters runc does not allow"},
	{"relative", "docker/" + id1, PathInfo{}, "does not start with '/'"},
	{"empty", "", PathInfo{}, "empty cgroup path"},
	{"NUL", "/docker/\x00", PathInfo{}, "NUL at byte 8"},
	{"newline", "/a\n/b", PathInfo{}, "newline at byte 2"},
}

func TestParsePath(t *testing.T) {
	for _, tc := range pathCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePath(tc.path)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParsePath(%q) = %+v, %v; want error with %q", tc.path, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.path, err)
			}
			if got != tc.want {
				t.Errorf("ParsePath(%q) = %+v, want %+v", tc.path, got, tc.want)
			}
		})
	}
}

func TestParsePathLongIsError(t *testing.T) {
	if _, err := ParsePath("/" + strings.Repeat("a", MaxPathLen)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("long path: %v", err)
	}
}

func FuzzParsePath(f *testing.F) {
	for _, tc := range pathCases {
		f.Add(tc.path)
	}
	f.Fuzz(func(t *testing.T, path string) {
		pi, err := ParsePath(path)
		if err != nil {
			if pi != (PathInfo{}) {
				t.Fatalf("error %v with a result %+v", err, pi)
			}
			return
		}
		switch {
		case pi.Runtime == RuntimeHost && (pi.ID != "" || pi.PodUID != ""):
			t.Fatalf("host with an id: %+v", pi)
		case pi.Runtime != RuntimeHost && pi.ID == "":
			t.Fatalf("container without an id: %+v", pi)
		case pi.ID != "" && !strings.Contains(path, pi.ID):
			t.Fatalf("id %q is not in the path %q", pi.ID, path)
		case pi.ID != "" && pi.Runtime != RuntimeRunc && !isHex64(pi.ID):
			t.Fatalf("id %q is not 64 hex digits", pi.ID)
		case pi.ID != "" && !isRuncID(pi.ID):
			t.Fatalf("id %q has characters no runtime allows", pi.ID)
		}
	})
}

// procCgroupCases are /proc/<pid>/cgroup files of a hybrid host (this
// machine's shape), a unified host, and a v1-only host.
var procCgroupCases = []struct {
	name     string
	data     string
	unified  string
	legacy   map[string]string
	errorHas string
}{
	{"hybrid runc", "9:name=systemd:/t1\n8:pids:/t1\n4:memory:/process_api/33042c0e9ed1782f9080384a2fe18729/t1\n3:cpu,cpuacct:/t1\n0::/t1\n",
		"/t1", map[string]string{"name=systemd": "/t1", "pids": "/t1", "memory": "/process_api/33042c0e9ed1782f9080384a2fe18729/t1", "cpu": "/t1", "cpuacct": "/t1"}, ""},
	{"unified docker", "0::/system.slice/docker-" + id1 + ".scope\n", "/system.slice/docker-" + id1 + ".scope", nil, ""},
	{"v1 only", "12:freezer:/docker/" + id1 + "\n1:name=systemd:/docker/" + id1, "", map[string]string{"freezer": "/docker/" + id1, "name=systemd": "/docker/" + id1}, ""},
	{"path with colons", "0::/kubepods-besteffort-pod" + uidU + ".slice:cri-containerd:" + id1 + "\n", "/kubepods-besteffort-pod" + uidU + ".slice:cri-containerd:" + id1, nil, ""},
	{"no colon", "garbage\n", "", nil, "cgroup line 1 \"garbage\": no ':' after the hierarchy id"},
	{"one colon", "0:/x\n", "", nil, "no ':' after the controllers"},
	{"bad id", "x:cpu:/\n", "", nil, `hierarchy id "x" is not a number`},
	{"relative path", "0::t1\n", "", nil, "does not start with '/'"},
	{"v1 without controllers", "0::/\n3::/x\n", "", nil, "cgroup line 2 \"3::/x\": hierarchy 3 has no controllers"},
	{"empty", "", "", nil, "no cgroup lines"},
}

func TestParseProcCgroup(t *testing.T) {
	for _, tc := range procCgroupCases {
		t.Run(tc.name, func(t *testing.T) {
			pc, err := ParseProcCgroup([]byte(tc.data))
			if tc.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
					t.Fatalf("got %+v, %v; want error with %q", pc, err, tc.errorHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pc.Unified != tc.unified || len(pc.Legacy) != len(tc.legacy) {
				t.Fatalf("got %+v", pc)
			}
			for k, v := range tc.legacy {
				if pc.Legacy[k] != v {
					t.Errorf("%s: %q, want %q", k, pc.Legacy[k], v)
				}
			}
		})
	}
}

func FuzzParseProcCgroup(f *testing.F) {
	for _, tc := range procCgroupCases {
		f.Add([]byte(tc.data))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pc, err := ParseProcCgroup(data)
		if err != nil {
			return
		}
		if pc.Unified != "" {
			if _, err := ParsePath(pc.Unified); err != nil && strings.Contains(err.Error(), "does not start") {
				t.Fatalf("accepted unified path %q: %v", pc.Unified, err)
			}
		}
	})
}

func TestParseStatStartTime(t *testing.T) {
	for _, tc := range []struct {
		data string
		want uint64
		err  string
	}{
		{"23940 (sleep) S 23930 23940 23940 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 2590448 1642496 3 18446744073709551615 4194304 5128273 140737488347328 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 7217648 7235328 10698752 140737488350184 140737488350196 140737488350196 140737488351208 0\n", 2590448, ""},
		{"77 (a) b (c)) S 1 77 77 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 42 1642496 3\n", 42, ""},
		{"1 (x S 1", 0, "no ')'"},
		{"1 (x) S 1 2 3", 0, "fewer than 22"},
		{"1 (x) S 1 1 1 0 -1 4 9 0 0 0 0 0 0 0 20 0 1 0 -5 1 1", 0, "starttime"},
	} {
		got, err := ParseStatStartTime([]byte(tc.data))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: got %d, %v; want error with %q", tc.data, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %d, %v; want %d", tc.data, got, err, tc.want)
		}
	}
}

func FuzzParseStatStartTime(f *testing.F) {
	f.Add([]byte("23940 (sleep) S 23930 23940 23940 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 2590448 1642496 3 18446744073709551615\n"))
	f.Add([]byte("77 (a) b (c)) S 1 77 77 0 -1 4194560 98 0 0 0 0 0 0 0 20 0 1 0 42 1642496 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseStatStartTime(data)
	})
}
