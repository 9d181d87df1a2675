package mounts

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParse(t *testing.T) {
	text := `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
67 43 0:39 / / rw,relatime - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/var/lib/c/up\,x,workdir=/var/lib/c/work,uuid=on
70 67 254:0 /tmp/bundle/rootfs / rw,relatime master:1 - ext4 /dev/vda rw
71 70 254:0 /srv/my\040data /data rw - ext4 /dev/vda rw
`
	ms, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 4 {
		t.Fatalf("%d entries", len(ms))
	}
	if ms[0].Dev != Mkdev(254, 0) || ms[0].FSType != "ext4" || ms[0].Source != "/dev/vda" {
		t.Errorf("entry 0: %+v", ms[0])
	}
	if ms[3].Root != "/srv/my data" || ms[3].Point != "/data" {
		t.Errorf("escapes: %+v", ms[3])
	}
	if ms[2].FSType != "ext4" || ms[2].Root != "/tmp/bundle/rootfs" {
		t.Errorf("optional fields: %+v", ms[2])
	}
	if up, ok := Option(ms[1].Super, "upperdir"); !ok || up != "/var/lib/c/up,x" {
		t.Errorf("upperdir %q %v", up, ok)
	}
	if w, ok := Option(ms[1].Super, "workdir"); !ok || w != "/var/lib/c/work" {
		t.Errorf("workdir %q %v", w, ok)
	}
	if _, ok := Option(ms[1].Super, "index"); ok {
		t.Error("index found")
	}
	host := ms[:1]
	if p, ok := HostPath(host, Mkdev(254, 0), "/tmp/bundle/rootfs"); !ok || p != "/tmp/bundle/rootfs" {
		t.Errorf("hostPathOf: %q %v", p, ok)
	}
	if _, ok := HostPath(host, Mkdev(0, 39), "/"); ok {
		t.Error("an overlay only the container has is visible on the host")
	}
	bind := []Mount{{Dev: 5, Root: "/sub", Point: "/mnt"}}
	if p, ok := HostPath(bind, 5, "/sub/x"); !ok || p != "/mnt/x" {
		t.Errorf("hostPathOf through a bind mount: %q %v", p, ok)
	}
	if _, ok := HostPath(bind, 5, "/other"); ok {
		t.Error("path outside the host's bind mount is visible")
	}
	for _, bad := range []string{"1 2 3", "1 2 x:y / / rw - ext4 a b", "1 2 0:1 / / rw ext4 a b", "1 2 0:1 rel / rw - ext4 a b"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// FuzzParse feeds the parser mountinfo text: the captured files in
// testdata/ (a host's, a runc container's, an overlay container's) and
// their mutations. It must never panic, and every mount it returns has
// absolute root and mount point.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.mountinfo")
	if len(files) == 0 {
		f.Fatal("no testdata/*.mountinfo")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, data string) {
		ms, err := Parse(data)
		if err != nil {
			return
		}
		for _, m := range ms {
			if m.Root == "" || m.Root[0] != '/' || m.Point == "" || m.Point[0] != '/' {
				t.Fatalf("parsed %+v", m)
			}
			Option(m.Super, "upperdir")
		}
	})
}
