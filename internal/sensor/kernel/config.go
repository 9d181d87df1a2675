package kernel

import (
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"time"
)

// Config says how to load the sensor.
type Config struct {
	// RingBufferBytes is the ring buffer's size: a power of two, at least
	// 4096. 0 means 16 MiB.
	RingBufferBytes int
	// SensitiveNames are file basenames (at most 31 bytes) whose read-only
	// opens are reported. nil means DefaultSensitiveNames; an empty,
	// non-nil slice reports none.
	SensitiveNames []string
	// IgnorePIDs are process ids whose activity is never reported. The
	// sensor's own process is always ignored.
	IgnorePIDs []uint32
	// WakeupBytes is how much data must be pending before the kernel wakes
	// the reader; below it the reader finds records when MaxLatency runs
	// out. 0 means 64 KiB; negative means a wakeup for every record.
	WakeupBytes int
	// MaxLatency bounds how long a record waits in the ring buffer when
	// fewer than WakeupBytes are pending. 0 means 20 ms.
	MaxLatency time.Duration
	// OpenDedup is how long a process's repeated write-open of the same
	// file (same inode and access flags) is not reported again; such opens
	// are counted in Stats.Suppressed. 0 means 1 s; negative reports every
	// open.
	OpenDedup time.Duration
	// NetDedup is how long a process's repeated connections to the same
	// address and port (and a listener's accepts from the same address
	// on the same port) are not reported again by the default hooks;
	// such connections are counted in Stats.Suppressed. 0 means 1 s;
	// negative reports every one. (The sys_exit hook reports every
	// connect.)
	NetDedup time.Duration
	// ForceRawTP loads the raw_tp programs even when tp_btf works.
	ForceRawTP bool
	// SyscallTracepoint attaches the sys_exit tracepoint, which reports
	// every watched syscall when it returns, with its return value: file
	// opens, renames, unlinks and chmods, dup onto stdio, memfd_create,
	// AF_UNIX bind and listen, and privileged calls that pass no
	// capability check (same-uid ptrace). The default hooks' cgroup,
	// inet_sock_set_state and cap_capable programs are then not attached.
	// A syscall tracepoint puts every syscall of every task on the
	// kernel's slow path (docs/PERFORMANCE.md); the default (false)
	// attaches only hooks off that path, and file activity is left to a
	// file-event source. Hooks says what each attached hook covers.
	SyscallTracepoint bool
}

// DefaultSensitiveNames are the basenames whose reads are reported by default.
var DefaultSensitiveNames = []string{
	"shadow", "gshadow", "shadow-", "gshadow-", "sudoers", "master.passwd",
	"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
	"authorized_keys", "authorized_keys2", "credentials", "kubeconfig", "admin.conf",
	".git-credentials", ".netrc", ".pgpass", ".vault-token",
}

// ErrClosed is returned by Read after Close (record.ErrClosed, the
// sentinel of every record source).
var ErrClosed = record.ErrClosed

// Stats counts what the sensor has seen since Open.
type Stats struct {
	Records      uint64                 // records read from the ring buffer
	DecodeErrors uint64                 // records that could not be decoded
	Lost         map[record.Kind]uint64 // records dropped in the kernel because the ring buffer was full
	LostTotal    uint64
	// Suppressed counts records not sent because they repeated a recent
	// one: write-opens (Config.OpenDedup), connects and accepts
	// (Config.NetDedup) and, with the default hooks, the
	// further capability checks of a privileged call already reported
	// (a call checks one or several; an identical call by the same thread
	// within a second counts here too).
	Suppressed map[record.Kind]uint64
}

func (c *Config) fill() error {
	if c.RingBufferBytes == 0 {
		c.RingBufferBytes = 16 << 20
	}
	if n := c.RingBufferBytes; n < 4096 || n&(n-1) != 0 {
		return fmt.Errorf("sensor: RingBufferBytes %d is not a power of two of at least 4096", n)
	}
	if c.SensitiveNames == nil {
		c.SensitiveNames = DefaultSensitiveNames
	}
	for _, n := range c.SensitiveNames {
		if n == "" || len(n) > 31 {
			return fmt.Errorf("sensor: sensitive name %q must be 1 to 31 bytes", n)
		}
	}
	if c.WakeupBytes == 0 {
		c.WakeupBytes = 64 << 10
	}
	if c.OpenDedup == 0 {
		c.OpenDedup = time.Second
	}
	if c.NetDedup == 0 {
		c.NetDedup = time.Second
	}
	if c.MaxLatency == 0 {
		c.MaxLatency = 20 * time.Millisecond
	}
	return nil
}
