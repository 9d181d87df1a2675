// Package mounts reads mount tables (/proc/<pid>/mountinfo) and maps paths
// between the places a file system is mounted: the host's view of a
// container's root, an overlay's upper directory.
package mounts

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Mount is one line of /proc/<pid>/mountinfo.
type Mount struct {
	Dev    uint64 // major:minor in unix.Mkdev encoding
	Root   string // the mount's root within its filesystem
	Point  string // where it is mounted, as the process sees it
	FSType string
	Source string
	Super  string // super options
}

// Parse parses the text of a mountinfo file; an error names the line.
func Parse(data string) ([]Mount, error) {
	var out []Mount
	for n, line := range strings.Split(data, "\n") {
		if line == "" {
			continue
		}
		m, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// ParseLine parses one line of a mountinfo file.
func ParseLine(line string) (Mount, error) {
	var m Mount
	f := strings.Fields(line)
	sep := -1
	for i := 6; i < len(f); i++ {
		if f[i] == "-" {
			sep = i
			break
		}
	}
	if len(f) < 6 || sep < 0 || sep+2 >= len(f) {
		return m, fmt.Errorf("malformed: %q", line)
	}
	maj, min, ok := strings.Cut(f[2], ":")
	ma, err1 := strconv.ParseUint(maj, 10, 32)
	mi, err2 := strconv.ParseUint(min, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return m, fmt.Errorf("bad device %q", f[2])
	}
	m.Dev = Mkdev(uint32(ma), uint32(mi))
	m.Root = unescape(f[3])
	m.Point = unescape(f[4])
	m.FSType = f[sep+1]
	m.Source = unescape(f[sep+2])
	if sep+3 < len(f) {
		m.Super = f[sep+3]
	}
	if !strings.HasPrefix(m.Root, "/") || !strings.HasPrefix(m.Point, "/") {
		return m, fmt.Errorf("relative root or mount point: %q", line)
	}
	return m, nil
}

// Mkdev is unix.Mkdev, here so that the parser builds everywhere.
func Mkdev(major, minor uint32) uint64 {
	return uint64(major&0x00000fff)<<8 | uint64(major&0xfffff000)<<32 |
		uint64(minor&0x000000ff) | uint64(minor&0xffffff00)<<12
}

// unescape undoes the kernel's octal escapes (\040 for a space, ...).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Option returns the value of key=value in comma-separated (super)
// options (overlayfs escapes commas in paths as "\,").
func Option(opts, key string) (string, bool) {
	for len(opts) > 0 {
		i := 0
		for i < len(opts) && opts[i] != ',' {
			if opts[i] == '\\' && i+1 < len(opts) {
				i++
			}
			i++
		}
		opt := opts[:i]
		if i < len(opts) {
			opts = opts[i+1:]
		} else {
			opts = ""
		}
		if k, v, ok := strings.Cut(opt, "="); ok && k == key {
			return strings.ReplaceAll(v, `\,`, ","), true
		}
	}
	return "", false
}

// HostPath returns where the filesystem path root (a container mount's
// root within device dev) appears in the host's mounts.
func HostPath(host []Mount, dev uint64, root string) (string, bool) {
	best, bestLen := "", -1
	for i := range host {
		h := &host[i]
		if h.Dev != dev {
			continue
		}
		p, ok := Rebase(root, h.Root, h.Point)
		if ok && len(h.Root) > bestLen {
			best, bestLen = path.Clean(p), len(h.Root)
		}
	}
	return best, bestLen >= 0
}

// Under reports whether p is dir or below it, and returns the rest of p
// after dir ("" for dir itself, else starting with '/').
func Under(p, dir string) (string, bool) {
	if dir == "/" {
		if strings.HasPrefix(p, "/") {
			if p == "/" {
				return "", true
			}
			return p, true
		}
		return "", false
	}
	if !strings.HasPrefix(p, dir) {
		return "", false
	}
	rest := p[len(dir):]
	if rest == "" || rest[0] == '/' {
		return rest, true
	}
	return "", false
}

// Rebase maps p from below src to the same place below dst.
func Rebase(p, src, dst string) (string, bool) {
	rest, ok := Under(p, src)
	if !ok {
		return "", false
	}
	if rest == "" {
		return dst, true
	}
	if dst == "/" {
		return rest, true
	}
	return dst + rest, true
}
