package container

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RuncState is what runc's state file (<root>/<id>/state.json) says about
// a container.
type RuncState struct {
	ID string
	// InitPID is the host pid of the container's first process.
	InitPID int
	// Created is when runc created the container.
	Created time.Time
	// Bundle is the OCI bundle directory.
	Bundle string
	// Rootfs is the root filesystem's path on the host.
	Rootfs string
	// Annotations are the OCI config's annotations.
	Annotations map[string]string
	// CgroupPaths maps each controller ("" for cgroup v2) to the
	// container's cgroup directory.
	CgroupPaths map[string]string
}

// runcStateFile is the part of runc's libcontainer state this package reads.
type runcStateFile struct {
	ID             string            `json:"id"`
	InitProcessPid int               `json:"init_process_pid"`
	Created        string            `json:"created"`
	CgroupPaths    map[string]string `json:"cgroup_paths"`
	Config         *struct {
		Rootfs string   `json:"rootfs"`
		Labels []string `json:"labels"`
	} `json:"config"`
}

// maxStateFile bounds the state file read; real ones are tens of KiB.
const maxStateFile = 4 << 20

// ReadRuncState reads <root>/<id>/state.json.
func ReadRuncState(root, id string) (RuncState, error) {
	if !isRuncID(id) {
		return RuncState{}, fmt.Errorf("runc state: %q is not a runc container id", truncate(id))
	}
	path := filepath.Join(root, id, "state.json")
	f, err := os.Open(path)
	if err != nil {
		return RuncState{}, fmt.Errorf("runc state: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxStateFile+1))
	if err != nil {
		return RuncState{}, fmt.Errorf("runc state %s: %w", path, err)
	}
	if len(data) > maxStateFile {
		return RuncState{}, fmt.Errorf("runc state %s: larger than %d bytes", path, maxStateFile)
	}
	st, err := ParseRuncState(data)
	if err != nil {
		return RuncState{}, fmt.Errorf("runc state %s: %w", path, err)
	}
	if st.ID != id {
		return RuncState{}, fmt.Errorf("runc state %s: names container %q", path, truncate(st.ID))
	}
	return st, nil
}

// ParseRuncState parses the content of a runc state.json. runc keeps the
// bundle directory and the OCI annotations as "key=value" labels of its
// libcontainer config.
func ParseRuncState(data []byte) (RuncState, error) {
	var f runcStateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return RuncState{}, fmt.Errorf("not a runc state: %w", err)
	}
	if f.ID == "" {
		return RuncState{}, fmt.Errorf("no container id")
	}
	if f.Config == nil {
		return RuncState{}, fmt.Errorf("container %q: no config", truncate(f.ID))
	}
	st := RuncState{ID: f.ID, InitPID: f.InitProcessPid, Rootfs: f.Config.Rootfs, CgroupPaths: f.CgroupPaths}
	if f.Created != "" {
		t, err := time.Parse(time.RFC3339Nano, f.Created)
		if err != nil {
			return RuncState{}, fmt.Errorf("container %q: created time %q: %w", truncate(f.ID), truncate(f.Created), err)
		}
		st.Created = t
	}
	for _, l := range f.Config.Labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		if k == "bundle" {
			st.Bundle = v
			continue
		}
		if st.Annotations == nil {
			st.Annotations = make(map[string]string)
		}
		st.Annotations[k] = v
	}
	return st, nil
}
