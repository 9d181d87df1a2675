//go:build linux

package mounts

import (
	"context"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestWatch mounts a tmpfs and checks the table learns of it.
func TestWatch(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestWatch mounts a file system: run as root")
	}
	tb, err := NewTable("/proc/self/mountinfo", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tb.Watch(ctx) }()
	defer func() { cancel(); <-done }()
	dir := t.TempDir()
	if err := unix.Mount("vigil-test", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	defer unix.Unmount(dir, unix.MNT_DETACH)
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !tb.Known(st.Dev) {
		if time.Now().After(deadline) {
			t.Fatal("the table did not learn of a new mount within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got, ok := tb.Localize(dir+"/x/y", st.Dev, "/"); !ok || got != "/x/y" {
		t.Errorf("Localize in the tmpfs: %q %v", got, ok)
	}
}
