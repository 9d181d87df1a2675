//go:build linux

package mounts

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Watch rereads the table whenever the kernel says the mount table of the
// file's namespace changed (poll's POLLPRI on a mountinfo file), until ctx
// is done. Failed rereads are counted (Errors) and retried on the next
// change; the table is also reread every second, for mounts gone while a
// reread failed.
func (t *Table) Watch(ctx context.Context) error {
	fd, err := unix.Open(t.file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("mount table: watching %s: %w", t.file, err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	// Reading to the end arms the notification.
	drain := func() {
		unix.Seek(fd, 0, 0)
		for {
			n, err := unix.Read(fd, buf)
			if n <= 0 || err != nil {
				return
			}
		}
	}
	drain()
	last := time.Now()
	for ctx.Err() == nil {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLPRI}}
		n, err := unix.Poll(fds, 100)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("mount table: polling %s: %w", t.file, err)
		}
		changed := n > 0 && fds[0].Revents&(unix.POLLPRI|unix.POLLERR) != 0
		if changed {
			drain()
		}
		if changed || time.Since(last) >= time.Second {
			last = time.Now()
			t.Refresh()
		}
	}
	return nil
}
