package mounts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTableLocalize(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mountinfo")
	write := func(s string) {
		if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const host = `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
28 27 254:16 /data /srv rw - ext4 /dev/vdb rw
`
	const overlay = `90 27 0:77 / /run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs rw - overlay overlay rw,lowerdir=/var/lib/c/snapshots/2/fs:/var/lib/c/snapshots/1/fs,upperdir=/var/lib/c/snapshots/3/fs,workdir=/var/lib/c/snapshots/3/work
`
	write(host + overlay)
	now := time.Unix(1000, 0)
	tb, err := NewTable(file, 10*time.Second, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	ext4, vdb, ovl := Mkdev(254, 0), Mkdev(254, 16), Mkdev(0, 77)
	for _, c := range []struct {
		p    string
		dev  uint64
		root string
		want string
		ok   bool
	}{
		// A runc bundle's rootfs directory on the host's root file system.
		{"/tmp/b/rootfs/tmp/d/b", ext4, "/tmp/b/rootfs", "/tmp/d/b", true},
		{"/tmp/b/rootfs", ext4, "/tmp/b/rootfs", "/", true},
		{"/tmp/b/rootfs2/x", ext4, "/tmp/b/rootfs", "", false},
		// A rootfs on a file system mounted below the host's root.
		{"/srv/ctr/rootfs/etc/shadow", vdb, "/data/ctr/rootfs", "/etc/shadow", true},
		// An overlay: its mount point, its upper and lower directories.
		{"/run/containerd/io.containerd.runtime.v2.task/default/c1/rootfs/bin/evil", ovl, "/", "/bin/evil", true},
		{"/var/lib/c/snapshots/3/fs/bin/evil", ovl, "/", "/bin/evil", true},
		{"/var/lib/c/snapshots/1/fs/etc/shadow", ovl, "/", "/etc/shadow", true},
		{"/var/lib/c/snapshots/3/work/x", ovl, "/", "", false},
		// An unknown device.
		{"/x", Mkdev(9, 9), "/", "", false},
	} {
		got, ok := tb.Localize(c.p, c.dev, c.root)
		if got != c.want || ok != c.ok {
			t.Errorf("Localize(%q, %d, %q) = %q %v, want %q %v", c.p, c.dev, c.root, got, ok, c.want, c.ok)
		}
	}
	if !tb.InWorkdir("/var/lib/c/snapshots/3/work/work/#1", ovl) || tb.InWorkdir("/var/lib/c/snapshots/3/fs/x", ovl) || tb.InWorkdir("/var/lib/c/snapshots/3/work/x", ext4) {
		t.Error("InWorkdir")
	}
	// The overlay is unmounted: known for the grace period, then not.
	write(host)
	now = now.Add(time.Second)
	if err := tb.Refresh(); err != nil {
		t.Fatal(err)
	}
	if got, ok := tb.Localize("/var/lib/c/snapshots/3/fs/bin/evil", ovl, "/"); !ok || got != "/bin/evil" {
		t.Errorf("within the grace period: %q %v", got, ok)
	}
	now = now.Add(10 * time.Second)
	write(host + "29 27 0:5 / /dev rw - devtmpfs udev rw\n")
	if err := tb.Refresh(); err != nil {
		t.Fatal(err)
	}
	if tb.Known(ovl) || !tb.Known(Mkdev(0, 5)) {
		t.Errorf("after the grace period: overlay known %v, new mount known %v", tb.Known(ovl), tb.Known(Mkdev(0, 5)))
	}
	// A malformed file is an error, counted; the table keeps what it had.
	write("garbage\n")
	if err := tb.Refresh(); err == nil || tb.Errors() != 1 || !tb.Known(ext4) {
		t.Errorf("malformed file: %v, errors %d", err, tb.Errors())
	}
}

// TestTableLinkedLayers: podman names an overlay's lower layers by
// symbolic links; a path in a layer is found by its real path.
func TestTableLinkedLayers(t *testing.T) {
	dir := t.TempDir()
	layer := filepath.Join(dir, "overlay", "abc", "diff")
	if err := os.MkdirAll(layer, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "overlay", "l"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../abc/diff", filepath.Join(dir, "overlay", "l", "XYZ")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "mountinfo")
	line := "90 27 0:77 / /m rw - overlay overlay rw,lowerdir=" + dir + "/overlay/l/XYZ,upperdir=" + dir + "/up,workdir=" + dir + "/work\n"
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(line, `\n`, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	tb, err := NewTable(file, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := tb.Localize(layer+"/etc/shadow", Mkdev(0, 77), "/"); !ok || got != "/etc/shadow" {
		t.Errorf("Localize through a linked lower layer: %q %v", got, ok)
	}
}

func TestSplitLower(t *testing.T) {
	got := splitLower(`/a:/b\:c::/d`)
	want := []string{"/a", "/b:c", "/d"}
	if len(got) != len(want) {
		t.Fatalf("%q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
