//go:build linux

package fanotify

import (
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/mounts"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// AddContainer watches the filesystems of the container whose process is
// pid, and reports paths in them as the container sees them. It reads the
// process's mountinfo: a mount of a filesystem the host also has mounted
// (a runc rootfs that is a plain directory, a bind-mounted volume) becomes
// a view of the host's paths; an overlayfs mount is marked itself when
// overlayfs supports it (nfs_export=on), else its upper directory's
// filesystem is marked and mapped; any other filesystem mounted only in
// the container (tmpfs) is marked through /proc/<pid>/root. Sensitive
// files are looked for under the container's root.
//
// The error, when not nil, names the mounts that could not be watched; the
// others are. Adding a container again refreshes it. A container whose
// process has exited is forgotten within seconds (RemoveContainer forgets
// it at once).
func (w *Watcher) AddContainer(pid uint32) error {
	if pid == 0 {
		return fmt.Errorf("fanotify: container pid 0")
	}
	proc := "/proc/" + strconv.FormatUint(uint64(pid), 10)
	ns, err := nsOf(pid)
	if err != nil {
		return fmt.Errorf("fanotify: container %d: %w", pid, err)
	}
	data, err := os.ReadFile(proc + "/mountinfo")
	if err != nil {
		return fmt.Errorf("fanotify: container %d: %w", pid, err)
	}
	inside, err := mounts.Parse(string(data))
	if err != nil {
		return fmt.Errorf("fanotify: container %d: %s/mountinfo: %w", pid, proc, err)
	}
	data, err = os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("fanotify: %w", err)
	}
	host, err := mounts.Parse(string(data))
	if err != nil {
		return fmt.Errorf("fanotify: /proc/self/mountinfo: %w", err)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed.Load() {
		return ErrClosed
	}
	if old := w.containers[pid]; old != nil {
		w.removeContainer(old)
	}
	if ns == w.hostNS {
		return fmt.Errorf("fanotify: container %d: %w", pid, ErrHostNamespace)
	}
	c := &container{pid: pid, mntns: ns, root: proc + "/root"}
	var errs []error
	var pseudo []string
	for _, m := range inside {
		if pseudoFS[m.FSType] {
			pseudo = append(pseudo, m.Point)
			continue
		}
		if underAny(m.Point, pseudo) {
			continue // runc masks /proc and /sys paths with tmpfs and /dev/null
		}
		if err := w.addMount(c, m, host); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", m.Point, m.FSType, err))
		}
	}
	w.containers[pid] = c
	w.byNS[ns] = c
	w.pidNS = make(map[uint32]pidNS)
	for _, fs := range w.fss {
		slices.SortStableFunc(fs.views, func(a, b *view) int { return len(b.src) - len(a.src) })
	}
	w.scanSensitive(c, c.root)
	w.scanWriteDirs(c, c.root)
	if len(errs) > 0 {
		return fmt.Errorf("fanotify: container %d: %w", pid, errors.Join(errs...))
	}
	return nil
}

// underAny reports whether p is one of dirs or under one.
func underAny(p string, dirs []string) bool {
	for _, d := range dirs {
		if _, ok := mounts.Under(p, d); ok {
			return true
		}
	}
	return false
}

// addMount watches one of a container's mounts.
func (w *Watcher) addMount(c *container, m mounts.Mount, host []mounts.Mount) error {
	inside := c.root + m.Point
	if m.Point == "/" {
		inside = c.root
	}
	hp, visible := mounts.HostPath(host, m.Dev, m.Root)
	var st unix.Stat_t
	if err := unix.Stat(inside, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR && !visible {
		// A file bind-mounted from a filesystem the container mounts
		// elsewhere (its /dev tmpfs): watched, if at all, there.
		return nil
	}
	if visible {
		fs, err := w.registerVisible(hp, m.Dev, host)
		if err == nil {
			fs.views = append(fs.views, &view{src: hp, dst: m.Point, kind: viewMap, ctr: c})
			return nil
		}
		if m.FSType != "overlay" {
			return err
		}
		// An overlay the host mounts too (containerd's rootfs) but that
		// fanotify cannot mark (overlayfs without nfs_export): watched
		// through its upper directory, as below.
	}
	if m.FSType == "overlay" {
		upper, hasUpper := mounts.Option(m.Super, "upperdir")
		work, _ := mounts.Option(m.Super, "workdir")
		if _, err := w.registerPath(inside, c, true); err == nil {
			// The overlay itself is marked: its upper directory's events
			// are duplicates.
			if hasUpper {
				if ufs := w.registeredAt(upper); ufs != nil && ufs.owner == nil {
					ufs.views = append(ufs.views, &view{src: upper, kind: viewDrop, ctr: c})
					if work != "" {
						ufs.views = append(ufs.views, &view{src: work, kind: viewDrop, ctr: c})
					}
				}
			}
			return nil
		} else if !hasUpper {
			return nil // read-only: nothing is written through it
		} else if _, uerr := w.registerPath(upper, nil, true); uerr != nil {
			return fmt.Errorf("overlay not markable (%v), upper directory not either: %w", err, uerr)
		}
		ufs := w.registeredAt(upper)
		ufs.views = append(ufs.views, &view{src: upper, dst: m.Point, kind: viewMap, ctr: c})
		if work != "" {
			ufs.views = append(ufs.views, &view{src: work, kind: viewWork, ctr: c})
		}
		return nil
	}
	_, err := w.registerPath(inside, c, true)
	return err
}

// registerVisible registers the filesystem of a container's mount that
// the host has mounted too (at hp). A filesystem new to the watcher is
// opened through a detached copy of the host's mount of its root, so that
// the host (the runtime tearing the container down) can unmount it while
// it is watched; it is released when its last container view goes.
func (w *Watcher) registerVisible(hp string, dev uint64, host []mounts.Mount) (*fsys, error) {
	root := ""
	for _, h := range host {
		if h.Dev == dev && h.Root == "/" {
			root = h.Point
			break
		}
	}
	if root == "" {
		// Only part of the filesystem is mounted on the host: opened
		// there (such a mount is not the runtime's to unmount).
		return w.registerPath(hp, nil, true)
	}
	if fs := w.registeredAt(root); fs != nil {
		return w.registerPath(root, nil, true)
	}
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("fanotify: %s: %w", root, err)
	}
	prefix := ""
	if cfd, err := unix.OpenTree(fd, "", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_EMPTY_PATH); err == nil {
		// open_tree gives an O_PATH descriptor, which fanotify_mark
		// refuses: the copy's root opened for real holds the copy.
		rfd, err := unix.Openat(cfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		unix.Close(cfd)
		if err == nil {
			unix.Close(fd)
			fd, prefix = rfd, root
		}
	}
	fs, err := w.register(fd, nil, true)
	if err != nil {
		return nil, fmt.Errorf("fanotify: marking the filesystem of %s: %w", root, err)
	}
	fs.prefix, fs.forViews = prefix, true
	return fs, nil
}

// registeredAt returns the registered filesystem of a path, if any.
func (w *Watcher) registeredAt(p string) *fsys {
	var sfs unix.Statfs_t
	if unix.Statfs(p, &sfs) != nil {
		return nil
	}
	return w.fss[uint64(uint32(sfs.Fsid.Val[0]))|uint64(uint32(sfs.Fsid.Val[1]))<<32]
}

// release unmarks and closes a registered filesystem and forgets it.
func (w *Watcher) release(fs *fsys) {
	if fs.marked {
		w.markFS(fs.mountFD, false, w.fsMask)
	}
	unix.Close(fs.mountFD)
	delete(w.fss, fs.fsid)
	if w.lastFS == fs {
		w.lastFS = nil
	}
}

// RemoveContainer forgets a container added with AddContainer: its views,
// its sensitive files, and the filesystems mounted only in it (whose marks
// are removed and whose descriptors are closed, so that they can be
// unmounted).
func (w *Watcher) RemoveContainer(pid uint32) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.containers[pid]
	if c == nil {
		return fmt.Errorf("fanotify: container %d: not added", pid)
	}
	w.removeContainer(c)
	return nil
}

func (w *Watcher) removeContainer(c *container) {
	for _, fs := range w.fss {
		fs.views = slices.DeleteFunc(fs.views, func(v *view) bool { return v.ctr == c })
		if fs.forViews && len(fs.views) == 0 {
			w.release(fs)
		}
	}
	for _, fs := range c.owned {
		if w.fss[fs.fsid] == fs {
			w.release(fs)
		}
	}
	for k, s := range w.sensitive {
		if s.ctr == c {
			delete(w.sensitive, k)
		}
	}
	for k, ds := range w.sensDirs {
		ds = slices.DeleteFunc(ds, func(d scopedDir) bool { return d.ctr == c })
		if len(ds) == 0 {
			delete(w.sensDirs, k)
		} else {
			w.sensDirs[k] = ds
		}
	}
	for k, ds := range w.writeDirs {
		i := slices.IndexFunc(ds, func(d writeDir) bool { return d.ctr == c })
		switch {
		case i < 0:
		case len(ds) == 1:
			// Only this container's: unmarked where it outlives the
			// container (a runc rootfs on the host's filesystem); the
			// container's own filesystems, gone above, take their marks
			// with them.
			w.forgetWriteDir(k, true)
		default:
			w.writeDirs[k] = slices.Delete(ds, i, i+1)
		}
	}
	w.ignores = slices.DeleteFunc(w.ignores, func(ig hotIgnore) bool { return w.fss[ig.fs.fsid] != ig.fs })
	if w.byNS[c.mntns] == c {
		delete(w.byNS, c.mntns)
	}
	if w.containers[c.pid] == c {
		delete(w.containers, c.pid)
	}
	w.pidNS = make(map[uint32]pidNS)
	w.paths.clear()
}
