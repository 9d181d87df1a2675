package fanotify

import (
	"errors"
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"path"
	"strings"
	"time"
)

// Config says what a Watcher watches.
type Config struct {
	// Paths name the filesystems to watch, each by a path on it: the whole
	// filesystem is marked, wherever it is mounted. nil means the
	// filesystem of "/"; an empty, non-nil slice marks none (only
	// SensitivePaths and added containers are watched).
	Paths []string
	// SensitivePaths are glob patterns (path.Match syntax, absolute) of
	// files whose opens are reported as reads. They are looked for on the
	// host and, inside each added container, as the container sees them.
	// nil means DefaultSensitivePaths; an empty, non-nil slice reports none.
	SensitivePaths []string
	// ImageLayers are glob patterns (path.Match syntax, absolute) of the
	// host directories that hold container root file systems: image
	// layers and the directories containers' writes go to. The
	// SensitivePaths found below each at start are marked, as the host
	// sees them, so that a container running on one has its reads of them
	// reported however briefly it lives (overlayfs reports a read of a
	// lower layer's file to that file's marks). Later, any file the host
	// makes whose path ends as a SensitivePaths pattern (an image layer
	// being unpacked, a bundle's rootfs) is marked the same way. nil
	// means DefaultImageLayers; an empty, non-nil slice scans none.
	ImageLayers []string
	// WriteDirs are glob patterns (path.Match syntax, absolute) of
	// directories whose files are reported when closed after being open
	// for writing: each matching directory gets an inode mark for its
	// entries' closes. They are looked for on the host and, inside each
	// added container, as the container sees them; a matching directory
	// made or renamed into place later is marked when its event is read.
	// Creations, renames, deletions and new execute bits are reported on
	// the whole of the marked filesystems; a write of a file that already
	// existed, only here (or everywhere with AllWrites). At most 8192
	// directories are marked at once; more are counted in Stats.Errors.
	// nil means DefaultWriteDirs; an empty, non-nil slice marks none.
	WriteDirs []string
	// AllWrites reports closes after writing on the whole of the marked
	// filesystems, not only in WriteDirs. It costs every close of a file
	// that was open for writing on them a walk of the fanotify marks,
	// reported or not (about 270 ns on the machines measured; see
	// docs/PERFORMANCE.md).
	AllWrites bool
	// IgnorePIDs are process ids whose activity is never reported. The
	// watcher's own process is always ignored.
	IgnorePIDs []uint32
	// Dedup is how long a process's repeated writes (or reads of a
	// sensitive file) of the same file are not reported again; they are
	// counted in Stats.Suppressed. 0 means 1 s; negative reports each.
	Dedup time.Duration
	// HotThreshold is how many write events of one file (by any process,
	// as read: the kernel merges a process's writes while one is queued)
	// in a second make the kernel stop queueing its writes for HotIgnore,
	// with an ignore mark on the file. 0 means 20; negative never.
	HotThreshold int
	// HotIgnore is how long a hot file's writes are ignored; a file hot
	// again within twice that after its mark is lifted is ignored twice
	// as long, up to 32 times. 0 means 1 s.
	HotIgnore time.Duration
	// Batch is how long Read waits, once the queue was empty and an event
	// arrives, before reading, so that events are read in batches and the
	// kernel wakes the reader less often. 0 means 2 ms; negative reads at
	// once.
	Batch time.Duration
	// BufferBytes is the size of the read buffer. 0 means 256 KiB; at
	// least 4096.
	BufferBytes int
	// MountNS, when set, is asked first for the mount namespace (the inode
	// number of /proc/<pid>/ns/mnt) of the process behind an event under
	// an added container's files, to tell the container's processes from
	// the host's: a process tree that keeps exited processes for a while
	// knows it when /proc no longer does. Without an answer from either,
	// a path under a container's files is reported as the container sees
	// it, with the host's path in File.HostPath (and HostNewPath) for a
	// consumer that knows where the process was.
	MountNS func(pid uint32) (uint64, bool)
	// PathCacheSize bounds the directory handle → path cache (it holds up
	// to twice this many entries). 0 means 8192.
	PathCacheSize int
}

// DefaultImageLayers are where the common runtimes keep image layers and
// containers' writable layers: containerd's overlayfs snapshots (k3s's
// too), podman's and CRI-O's storage, Docker's overlay2.
var DefaultImageLayers = []string{
	"/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs",
	"/var/lib/rancher/k3s/agent/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs",
	"/var/lib/containers/storage/overlay/*/diff",
	"/var/lib/docker/overlay2/*/diff",
}

// DefaultSensitivePaths are the files whose opens are reported by default.
var DefaultSensitivePaths = defaultSensitive()

func defaultSensitive() []string {
	p := []string{
		"/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-",
		"/etc/sudoers", "/etc/sudoers.d/*",
		"/etc/ssh/ssh_host_*_key",
		"/etc/kubernetes/admin.conf", "/etc/kubernetes/super-admin.conf",
		"/var/run/secrets/kubernetes.io/serviceaccount/token",
		"/run/secrets/kubernetes.io/serviceaccount/token",
	}
	home := []string{
		".ssh/id_rsa", ".ssh/id_dsa", ".ssh/id_ecdsa", ".ssh/id_ed25519",
		".ssh/id_ecdsa_sk", ".ssh/id_ed25519_sk", ".ssh/authorized_keys", ".ssh/authorized_keys2",
		".aws/credentials", ".aws/config",
		".config/gcloud/credentials.db", ".config/gcloud/access_tokens.db",
		".config/gcloud/application_default_credentials.json",
		".azure/*", ".kube/config",
		".git-credentials", ".netrc", ".pgpass", ".vault-token",
	}
	for _, dir := range []string{"/root", "/home/*"} {
		for _, f := range home {
			p = append(p, dir+"/"+f)
		}
	}
	return p
}

// DefaultWriteDirs are the directories whose files' writes are reported
// by default: programs and libraries (a replaced binary, a planted shared
// library or PAM module), configuration and persistence (/etc, systemd
// units, cron spools, shell start-up files, SSH keys) and the boot loader.
var DefaultWriteDirs = []string{
	"/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin",
	"/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32", "/usr/libexec", "/usr/local/lib",
	"/usr/lib/*-linux-gnu*", "/usr/local/lib/*-linux-gnu*",
	"/lib", "/lib32", "/lib64", "/libx32", "/lib/*-linux-gnu*",
	"/usr/lib/security", "/usr/lib64/security", "/usr/lib/*-linux-gnu/security",
	"/lib/security", "/lib64/security", "/lib/*-linux-gnu/security",
	"/usr/lib/systemd/system", "/usr/lib/systemd/user", "/lib/systemd/system",
	"/etc", "/etc/*", "/etc/*/*",
	"/var/spool/cron", "/var/spool/cron/*", "/var/spool/anacron",
	"/root", "/root/.ssh", "/root/.config/autostart", "/root/.config/systemd/user",
	"/home/*", "/home/*/.ssh", "/home/*/.config/autostart", "/home/*/.config/systemd/user",
	"/boot", "/boot/grub",
}

// ErrClosed is returned by Read after Close: record.ErrClosed, every
// record source's, so that one consumer loop serves them all.
var ErrClosed = record.ErrClosed

// ErrHostNamespace is AddContainer's answer for a process that is in the
// host's mount namespace (a runtime's process not yet in the container's):
// the container is to be added by another of its processes.
var ErrHostNamespace = errors.New("in the host's mount namespace")

// Stats counts what a Watcher has seen since Open.
type Stats struct {
	Events  uint64 // events read from the fanotify queue
	Records uint64 // records returned by Read
	// Errors counts events that could not be made into records (a
	// directory that could not be resolved to a path, a malformed buffer)
	// and marks that could not be placed or removed.
	Errors uint64
	// Lost counts queue overflows (FAN_Q_OVERFLOW): each means at least
	// one event was dropped by the kernel.
	Lost uint64
	// Suppressed counts repeats within Config.Dedup, not reported.
	Suppressed uint64
	// IgnoreMarks counts the ignore marks placed on hot files.
	IgnoreMarks uint64
	// KernelSuppressed estimates the events the kernel did not queue
	// because of ignore marks: each mark's rate before it was placed times
	// how long it stayed.
	KernelSuppressed uint64
	// WriteDirs counts the directories marked for writes (Config.WriteDirs)
	// since Open, on the host and in containers.
	WriteDirs uint64
	// Evictions counts cache entries dropped for their bounds before
	// they expired (the caches hold two generations each and empty after
	// a burst, see cache.go): a directory's path (resolved again on its
	// next event), a repeat's report time (the repeat is reported again),
	// a file's write or exec-open count (it is found hot later), a file's
	// mode (an attribute change of that file is judged without its
	// earlier mode, and reported when it has an execute bit).
	Evictions uint64
	// Ignored counts events not reported by design: the watcher's own and
	// those of Config.IgnorePIDs, directory creation, attribute changes
	// that leave no execute bit, non-regular files, overlayfs internals.
	Ignored uint64
}

func (c Config) withDefaults() Config {
	if c.Paths == nil {
		c.Paths = []string{"/"}
	}
	if c.ImageLayers == nil {
		c.ImageLayers = DefaultImageLayers
	}
	if c.SensitivePaths == nil {
		c.SensitivePaths = DefaultSensitivePaths
	}
	if c.WriteDirs == nil {
		c.WriteDirs = DefaultWriteDirs
	}
	if c.Dedup == 0 {
		c.Dedup = time.Second
	}
	if c.HotThreshold == 0 {
		c.HotThreshold = 20
	}
	if c.HotIgnore <= 0 {
		c.HotIgnore = time.Second
	}
	if c.Batch == 0 {
		c.Batch = 2 * time.Millisecond
	}
	if c.BufferBytes == 0 {
		c.BufferBytes = 256 << 10
	}
	if c.PathCacheSize <= 0 {
		c.PathCacheSize = 8192
	}
	return c
}

// Validate reports the first problem with the configuration.
func (c Config) Validate() error {
	for i, p := range c.Paths {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("fanotify: Paths[%d] %q: not an absolute path", i, p)
		}
	}
	if err := validateGlobs("ImageLayers", c.ImageLayers); err != nil {
		return err
	}
	if err := validateGlobs("SensitivePaths", c.SensitivePaths); err != nil {
		return err
	}
	if err := validateGlobs("WriteDirs", c.WriteDirs); err != nil {
		return err
	}
	if c.BufferBytes != 0 && c.BufferBytes < 4096 {
		return fmt.Errorf("fanotify: BufferBytes %d: less than 4096", c.BufferBytes)
	}
	if c.PathCacheSize < 0 {
		return fmt.Errorf("fanotify: PathCacheSize %d: negative", c.PathCacheSize)
	}
	return nil
}

// validateGlobs checks the patterns of one field: absolute, clean, and
// valid for path.Match.
func validateGlobs(field string, globs []string) error {
	for i, p := range globs {
		if !strings.HasPrefix(p, "/") {
			return fmt.Errorf("fanotify: %s[%d] %q: not an absolute path", field, i, p)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("fanotify: %s[%d] %q: %v", field, i, p, err)
		}
		if path.Clean(p) != p {
			return fmt.Errorf("fanotify: %s[%d] %q: not a clean path (want %q)", field, i, p, path.Clean(p))
		}
	}
	return nil
}
