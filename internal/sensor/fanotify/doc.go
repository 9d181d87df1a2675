// Package fanotify is the runtime sensor's source of file events: it reads fanotify, filtered in the kernel, and turns its events into record.Records.
//
// # What is reported
//
// The watcher puts filesystem marks (FAN_MARK_FILESYSTEM) on the
// filesystems of Config.Paths (by default the one of "/") and of added
// containers, for creations, renames, deletions and attribute changes.
// Closes after writing are asked for only where a modified file matters:
// inode marks (FAN_EVENT_ON_CHILD) on the directories of Config.WriteDirs
// (DefaultWriteDirs: program, library, PAM and systemd unit directories,
// /etc two levels deep, cron spools, home directories' .ssh and autostart
// directories, /boot), found on the host and in each added container,
// and marked when made or renamed into place later (a directory moved to a
// path that does not match loses its mark). A filesystem mark that asks
// for FAN_CLOSE_WRITE makes the kernel walk the marks on every close of a
// file open for writing on it, reported or not; Config.AllWrites asks for
// it anyway. Events carry file handles (FAN_REPORT_DFID_NAME_TARGET: the
// parent directory's handle and the name, and the object's own handle), so
// that no descriptor is opened per event:
//
//   - FAN_CREATE of a regular file: KindOpen, OpOpen, Flags
//     O_WRONLY|O_CREAT, Mode the file's permission bits (stat'ed when the
//     event is read). The close of the creating open is the same open and
//     is not reported again.
//   - FAN_CLOSE_WRITE (in WriteDirs, or anywhere with AllWrites): KindOpen,
//     OpOpen, Flags O_WRONLY: the file was open for writing and is now
//     closed. Inode comes from the handle (ext4,
//     xfs, btrfs, tmpfs), without a stat; Deleted is not known.
//   - FAN_ATTRIB on a regular file that now has an execute, setuid or setgid
//     bit it did not have: KindChmod, Mode the new permission bits (stat'ed
//     when the event is read).
//   - FAN_RENAME: KindRename with Path and NewPath (files and directories).
//   - FAN_DELETE: KindUnlink, OpUnlink, or OpRmdir for a directory.
//   - FAN_OPEN of a sensitive file: KindOpen, OpOpen, Flags O_RDONLY. The
//     files of Config.SensitivePaths (globs; DefaultSensitivePaths) are
//     found on the host and in each added container and get inode marks;
//     their directories get inode marks for creates and renames, and a
//     file created or renamed to a matching path is marked when its event
//     is read — an open racing with that is not seen.
//
// Records carry Kind, Time (when the event was read, not when it
// happened), TGID and File; the other header fields are zero for the
// consumer to fill from its process tree. TID is not known; File.FD is -1.
// The filesystem marks also ask for FAN_OPEN_EXEC, not reported: the queue
// keeps events in order, so a record whose process opened a program for
// exec after it, in the same read, has BeforeExec set — the operation was
// the program's before that exec (a shell's redirection, then its last
// command exec'd in the same process), though both are read at once.
//
// Paths are resolved from directory handles with open_by_handle_at and
// /proc/self/fd, through a bounded cache that forgets a directory (and what
// is under it) when it is renamed or removed, and everything on a queue
// overflow. A path is resolved when the event is read: a directory renamed
// in between gives its new name, and one already removed cannot be
// resolved unless cached (counted in Stats.Errors).
//
// # Containers
//
// AddContainer(pid) reads /proc/<pid>/mountinfo. A mount of a filesystem
// the host has mounted too (runc's rootfs when it is a plain directory,
// bind-mounted volumes) becomes a view: host paths under the mount's
// source are reported as the container's paths for processes in the
// container's mount namespace, and host paths for the host's processes. A
// process that has exited when its event is read is placed by
// Config.MountNS if set, else taken to be the container's, with the host's
// path in File.HostPath and HostNewPath. Filesystems mounted only in the
// container (tmpfs, overlayfs) are marked through
// /proc/<pid>/root, and their paths resolve in the container's view.
//
// A container the watcher is never told of, or told of too late (its
// processes gone), still has its files' events reported where they
// happen on a marked filesystem, with the host's paths, which the sensor
// puts in the container's view from the container's root as the kernel
// reports it at exec. Its sensitive files are marked before it runs: those
// of the image layers under Config.ImageLayers at Open, and any file the
// host makes whose path ends as a SensitivePaths pattern (a layer being
// unpacked, a bundle's rootfs) when its event is read; overlayfs reports
// a read of a lower layer's file to that file's marks.
//
// overlayfs accepts a filesystem mark with file handles only when it can
// decode them (mounted with nfs_export=on, which needs index=on); then the
// overlay itself is marked and every operation is reported as the
// container sees it, including the deletion of a lower layer's file, and
// the upper directory's own events (duplicates) are dropped. Container
// runtimes do not mount with nfs_export, so the watcher falls back to the
// upper directory's filesystem (the host's): creates, writes, chmods,
// renames and deletions of upper files map to container paths; a lower
// file deleted shows as a whiteout moved from the work directory and is
// reported as OpUnlink (even for a directory); a lower file written is
// copied up first, which shows as its creation; the work directory's own
// events are ignored. Inode marks (sensitive files, WriteDirs) go on the
// overlay's own inodes, which overlayfs allows without nfs_export; their
// events' handles cannot be decoded, so their paths are the ones the
// watcher marked. A read-only overlay (no upper directory) has nothing to
// watch but its sensitive files.
//
// # Suppression
//
// The watcher's own events and those of Config.IgnorePIDs are dropped in
// user space: fanotify has no per-process filter for notification
// events. In the kernel, fanotify merges an event with an identical one
// still queued, and a file written more than Config.HotThreshold times a
// second (by anyone) gets an evictable ignore mark for Config.HotIgnore,
// so that its closes are not queued: during that time writes of that file
// by any process are not seen; Stats.KernelSuppressed estimates how many
// were hidden. A program opened for exec that often (the dynamic loader,
// a program run in a loop) gets such a mark for its exec opens: a write
// just before an exec of it is then not known to come before. In user
// space a process's repeats within Config.Dedup are
// reported once: writes of one file, creations, deletions and renames of
// one name, opens of one sensitive file. The queue is bounded
// (FAN_UNLIMITED_QUEUE is not used); an overflow is counted in Stats.Lost.
//
// # Gaps
//
//   - Outside WriteDirs (without AllWrites), a write of a file that
//     already existed is not reported; its creation, renaming, deletion
//     and a new execute bit are. In an overlayfs container, the first
//     write of an image file copies it up, which shows as its creation.
//     A directory of WriteDirs made while the watcher runs is marked when
//     its event is read: a write in it before then is not seen. A
//     container whose root is a plain directory (a bare runc bundle) and
//     that the watcher was not told of in time has its WriteDirs unmarked:
//     its writes of files that already existed are not seen.
//   - A write through a descriptor opened before the watcher started is
//     seen at its close; one never closed is never seen. A write through
//     mmap is seen when the last reference to the file (the mapping's
//     included) goes.
//   - A write-open closed without writing is reported: fanotify reports
//     closes of files open for writing, not writes.
//   - A sensitive file opened for writing is reported as read too: FAN_OPEN
//     does not say how a file was opened.
//   - A chmod is seen as an attribute change and the mode read afterwards:
//     a chmod that sets no new execute bit is not reported, and a utimes
//     with explicit times (tar, cp -p) or a chown of an executable the
//     watcher has not seen before looks like one.
//   - Filesystems that cannot encode file handles or have no fsid (procfs,
//     some FUSE and network filesystems) cannot be marked.
//   - Read-only opens of ordinary files, reads, exec, mkdir and the
//     creation of symlinks, devices, FIFOs and sockets are not reported; a
//     hard link to a regular file is reported as a creation.
package fanotify
