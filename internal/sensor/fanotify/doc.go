// Package fanotify is the runtime sensor's source of file events: it reads fanotify with kernel-side filtering and turns events into kernel.Records.
//
// # What is reported
//
// The watcher puts filesystem marks (FAN_MARK_FILESYSTEM) on the
// filesystems of Config.Paths (by default the one of "/") and of added
// containers, and reports events with file handles (FAN_REPORT_DFID_NAME
// with the target's FID), so that no descriptor is opened per event:
//
//   - FAN_CREATE of a regular file: KindOpen, OpOpen, Flags O_WRONLY|O_CREAT,
//     Mode the file's permission bits. The write that follows by the same
//     process is the same open and is not reported again.
//   - FAN_CLOSE_WRITE: KindOpen, OpOpen, Flags O_WRONLY — the file was open
//     for writing and is now closed. One record per process and file per
//     Config.Dedup (1 s).
//   - FAN_ATTRIB on a regular file that now has an execute, setuid or setgid
//     bit it did not have: KindChmod with the new mode (the file is
//     stat'ed when the event is read).
//   - FAN_RENAME: KindRename with Path and NewPath (files and directories).
//   - FAN_DELETE: KindUnlink, OpUnlink or (FAN_ONDIR) OpRmdir.
//   - FAN_OPEN of a sensitive file (Config.SensitivePaths, found by glob on
//     the host and in each container; inode marks): KindOpen, Flags
//     O_RDONLY.
//
// Records carry Kind, Time (when the event was read, not when it
// happened), TGID and File; the other header fields are zero for the
// consumer to fill from its process tree. TID is not known. File.FD is -1.
//
// Paths are resolved from directory handles with open_by_handle_at and
// /proc/self/fd, through a bounded cache invalidated when a directory is
// renamed or removed (and cleared on a queue overflow). A path is resolved
// when the event is read: a directory renamed in between gives its new
// name, and a directory already removed cannot be resolved (counted in
// Stats.Errors).
//
// # Containers
//
// AddContainer(pid) reads /proc/<pid>/mountinfo. A mount of a filesystem
// the host has mounted too — runc's rootfs when it is a plain directory,
// bind-mounted volumes — becomes a view: host paths under the mount's
// source map to the container's paths, for events of processes in the
// container's mount namespace (and, when the process has already exited,
// for any event under the source). Filesystems mounted only in the
// container (tmpfs, overlayfs) are marked through /proc/<pid>/root, and
// their paths resolve directly in the container's view.
//
// overlayfs accepts a filesystem mark with file handles only when it can
// decode them (mounted with nfs_export=on, which needs index=on); then the
// overlay is marked and every operation is reported as the container sees
// it, including the deletion of a lower layer's file. Container runtimes
// do not mount with nfs_export, so the watcher falls back to the upper
// directory's filesystem (the host's): writes, creates, renames and
// deletions of upper files map to container paths; a lower file deleted
// shows as a whiteout moved from the work directory and is reported as
// OpUnlink (even for a directory); a lower file written is copied up
// first and reported as created; the work directory's own events are
// ignored. A write through a lower file's name opened before the copy-up
// is never seen.
//
// # Suppression
//
// The watcher's own events and those of Config.IgnorePIDs are dropped in
// user space (fanotify has no per-process filter for notification
// events). fanotify merges identical queued events; beyond that a process
// writing one file again within Config.Dedup is not reported again, and a
// file written more than Config.HotThreshold times a second (by anyone)
// gets an evictable ignore mark for Config.HotIgnore, so that the kernel
// stops queueing its writes: during that time writes of that file by any
// process are not seen, and Stats.KernelSuppressed estimates how many.
// The queue is bounded (FAN_UNLIMITED_QUEUE is not used); an overflow is
// counted in Stats.Lost.
//
// # Gaps
//
//   - A write through a descriptor opened before the watcher started is
//     seen only at its close; one never closed is never seen. Writes through
//     mmap are seen at the close of the descriptor they were mapped from.
//   - A write-open closed without writing is reported (fanotify reports
//     closes of files open for writing, not writes).
//   - A sensitive file opened for writing is reported as read too (FAN_OPEN
//     does not say how the file was opened).
//   - A chmod is seen as an attribute change and the mode read afterwards:
//     a chmod that sets no new execute bit is not reported, and a touch or
//     chown of an executable not seen before can look like one when its
//     times differ.
//   - Filesystems that cannot encode file handles or have no fsid (some
//     FUSE and network filesystems) cannot be marked.
//   - Read-only opens of ordinary files, reads, and exec are not reported.
package fanotify
