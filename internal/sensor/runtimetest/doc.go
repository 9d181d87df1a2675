// Package runtimetest runs real containers through containerd (with ctr
// and through its CRI plugin) and podman for the sensor's tests, from a
// busybox image built locally; it is runctest's counterpart for container
// engines rather than bare runc.
//
// # Image
//
// BuildImages makes two OCI images from Debian's static busybox
// (runctest.BuildRootfs's rootfs, in one gzip layer with fixed owners and
// times): BusyboxRef, docker.io/vigiltest/busybox:1, whose command is sh,
// and PauseRef, docker.io/vigiltest/pause:1, the pod sandbox image, whose
// command is `sleep 2147483647`. Each is written as an OCI archive (the
// tar of an OCI image layout, the index entry annotated with the full
// reference as io.containerd.image.name and
// org.opencontainers.image.ref.name), which `ctr images import` and
// `podman load` both read. Image.Digest is the manifest's digest,
// "sha256:" and 64 hex digits, and Image.ConfigDigest the config's (the
// image id); both depend only on the busybox binary. What the runtimes
// report:
//
//   - ctr: `ctr containers info` gives "Image": BusyboxRef; `ctr images ls`
//     the manifest digest.
//   - CRI: ContainerStatus.Image.Image is BusyboxRef and ImageRef the repo
//     digest, "docker.io/vigiltest/busybox@sha256:<manifest digest>"
//     (Image.DigestRef: the images are also named by digest in namespace
//     k8s.io, as a pull by the CRI would name them; without that name
//     containerd 1.6 reports the image id, "sha256:<config digest>").
//   - podman: inspect gives ImageName BusyboxRef, ImageDigest the manifest
//     digest and Image the config digest without "sha256:" (also the
//     image's Id).
//
// # State
//
// Nothing uses a runtime's system-wide defaults: each StartContainerd and
// StartPodman makes a directory of its own under the system's temporary
// directory (/tmp/vigil-containerd-*, /tmp/vigil-podman-*), and the
// test's cleanup stops what runs there, unmounts what is mounted under it
// and removes it.
//
//   - containerd (Debian's 1.6): config.toml (version 2) with root, state,
//     temp, the gRPC and ttrpc sockets, the opt directory and runc's state
//     (runc --root, for ctr's and the CRI's containers) in that directory;
//     the CRI plugin with sandbox_image PauseRef, the overlayfs
//     snapshotter, runc with the cgroupfs driver (SystemdCgroup false),
//     restrict_oom_score_adj (there may be no CAP_SYS_RESOURCE to lower
//     the sandbox's oom_score_adj) and an empty CNI configuration
//     directory: pods use the host network, so no CNI plugin runs. The
//     one thing outside is containerd 1.6's shim sockets, which it always
//     puts in /run/containerd/s (named by a hash of the daemon's socket,
//     namespace and id, so they do not meet another daemon's; each shim
//     removes its own). ctr's FIFOs go to the directory too (--fifo-dir).
//   - podman (Debian's 4.3): --root, --runroot, --tmpdir, --runtime runc
//     (crun fails on hybrid cgroups), --cgroup-manager cgroupfs,
//     --events-backend file, --network-config-dir and --storage-driver
//     overlay (vfs only if podman info fails with overlay, which
//     StartPodman logs), with containers.conf and storage.conf of its own
//     (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF) so that no system
//     configuration applies. containers/image keeps its blob info cache in
//     /var/lib/containers/cache whatever the flags; the cleanup removes
//     /var/lib/containers when it did not exist before and holds nothing
//     else.
//
// Processes the runtimes leave (shims, conmon) are reparented to pid 1;
// the cleanups kill any left running whose command line names the
// directory.
//
// # Cgroups
//
// On this project's CI host (hybrid cgroups: v1 controllers under
// /sys/fs/cgroup/<controller>, cgroup2 at /sys/fs/cgroup/unified, runc
// 1.1 joining both), a container's process is in the same path in every
// hierarchy, including the v2 one (the "0::" line of /proc/PID/cgroup):
//
//   - ctr run: /default/<id> (containerd's default, /<namespace>/<id>).
//   - CRI: /kubepods/besteffort/pod<pod uid>/<container id> for a
//     container, and /kubepods/besteffort/pod<pod uid>/<sandbox id> for
//     the sandbox's pause process: RunPod sets the sandbox's CgroupParent
//     to /kubepods/besteffort/pod<uid>, as the kubelet's cgroupfs driver
//     does for a best-effort pod, and containerd appends the id. Ids are
//     64 hex digits.
//   - podman: /libpod_parent/libpod-<id>, the id 64 hex digits. conmon is
//     in /libpod_parent/conmon in the v1 hierarchies only; in v2 (and
//     name=systemd) it stays in the cgroup podman ran in.
//
// # Containers
//
// Containerd.Run (ctr run) and Podman.Run (podman run) return a Task once
// the container's first process exists: its host pid is read from the pid
// file the runtime writes before the process starts, so containers that
// exit at once still have one. By default a foreground client (ctr run,
// podman run) stays attached in the background and Task.Wait reports its
// exit status, the container's; with Options.Detach the container runs
// detached and Wait asks the runtime (ctr tasks delete, podman wait).
// Both run on the host network. Containerd.RunPod runs a pod sandbox and
// a container in it through the CRI (k8s.io/cri-api, over the daemon's
// socket), the container's pid from its verbose ContainerStatus.
//
// Everything needs root: the helpers fail the test (runctest.RequireRoot)
// when CI is set and the test does not run as root, and skip it otherwise.
// `make test-deps` installs the Debian packages they need.
package runtimetest
