//go:build linux

package sensor

import (
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/vigilsec/vigil/internal/sensor/container"
	"github.com/vigilsec/vigil/internal/sensor/fanotify"
	"github.com/vigilsec/vigil/internal/sensor/kernel"
	"github.com/vigilsec/vigil/internal/sensor/proctree"
	"github.com/vigilsec/vigil/internal/sensor/vocab"
)

// Product is the vendor_product of the sensor's events.
const Product = vocab.Product

// Config says how to assemble the sensor. Zero fields take the defaults
// named.
type Config struct {
	// Kernel configures the eBPF sensor. With Kernel.SyscallTracepoint,
	// file activity comes from the kernel's sys_exit hook; without it (the
	// default) from a fanotify watcher, and from sys_exit only when
	// fanotify cannot be opened.
	Kernel kernel.Config
	// Files configures the fanotify watcher of file activity.
	Files fanotify.Config
	// Container configures container attribution.
	Container container.Config
	// Tree configures the process tree. ReadMissing is always on.
	Tree proctree.Config
	// Node is the host name events carry in dest; default os.Hostname.
	Node string
	// ProcRoot is procfs's mount point; default /proc.
	ProcRoot string
	// Passwd is the host's user database, for src_user; default
	// /etc/passwd.
	Passwd string
	// MetadataWait is how long a container's events wait for what its
	// runtime says of it (image, digest, pod) when the first lookup is
	// still under way, so that the events of a container that lives a
	// few milliseconds carry them too. The container's other events wait
	// behind them, in order; other containers' and the host's do not.
	// 0 means 500 ms; negative never waits.
	MetadataWait time.Duration
	// Logger receives problems met on the way (malformed /proc files,
	// failed metadata lookups); default slog.Default().
	Logger *slog.Logger
}

// Validate reports a configuration New cannot use.
func (c *Config) Validate() error {
	if c.Kernel.RingBufferBytes < 0 {
		return errors.New("sensor: kernel: RingBufferBytes is negative")
	}
	return nil
}

// grace is how long the sensor remembers a process after it exits
// (Tree.Grace, default 30 s).
func (c *Config) grace() time.Duration {
	if c.Tree.Grace <= 0 {
		return 30 * time.Second
	}
	return c.Tree.Grace
}

func (c *Config) setDefaults() {
	if c.Node == "" {
		c.Node, _ = os.Hostname()
	}
	if c.ProcRoot == "" {
		c.ProcRoot = "/proc"
	}
	if c.Passwd == "" {
		c.Passwd = "/etc/passwd"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MetadataWait == 0 {
		c.MetadataWait = 500 * time.Millisecond
	}
	if c.Tree.ProcRoot == "" {
		c.Tree.ProcRoot = c.ProcRoot
	}
	if c.Container.ProcRoot == "" {
		c.Container.ProcRoot = c.ProcRoot
	}
	c.Tree.ReadMissing = true
}
