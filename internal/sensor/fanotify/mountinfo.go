package fanotify

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// mountEntry is one line of /proc/<pid>/mountinfo.
type mountEntry struct {
	dev    uint64 // major:minor in unix.Mkdev encoding
	root   string // the mount's root within its filesystem
	point  string // where it is mounted, as the process sees it
	fstype string
	source string
	super  string // super options
}

// parseMountinfo parses the text of a mountinfo file.
func parseMountinfo(data string) ([]mountEntry, error) {
	var out []mountEntry
	for n, line := range strings.Split(data, "\n") {
		if line == "" {
			continue
		}
		m, err := parseMountLine(line)
		if err != nil {
			return nil, fmt.Errorf("mountinfo line %d: %w", n+1, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMountLine(line string) (mountEntry, error) {
	var m mountEntry
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
	m.dev = mkdev(uint32(ma), uint32(mi))
	m.root = unescapeMount(f[3])
	m.point = unescapeMount(f[4])
	m.fstype = f[sep+1]
	m.source = unescapeMount(f[sep+2])
	if sep+3 < len(f) {
		m.super = f[sep+3]
	}
	if !strings.HasPrefix(m.root, "/") || !strings.HasPrefix(m.point, "/") {
		return m, fmt.Errorf("relative root or mount point: %q", line)
	}
	return m, nil
}

// mkdev is unix.Mkdev, here so that the parser builds everywhere.
func mkdev(major, minor uint32) uint64 {
	return uint64(major&0x00000fff)<<8 | uint64(major&0xfffff000)<<32 |
		uint64(minor&0x000000ff) | uint64(minor&0xffffff00)<<12
}

// unescapeMount undoes the kernel's octal escapes (\040 for a space, ...).
func unescapeMount(s string) string {
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

// superOption returns the value of key=value in comma-separated options
// (overlayfs escapes commas in paths as "\,").
func superOption(opts, key string) (string, bool) {
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

// hostPathOf returns where the filesystem path root (a container mount's
// root within device dev) appears in the host's mounts.
func hostPathOf(host []mountEntry, dev uint64, root string) (string, bool) {
	best, bestLen := "", -1
	for i := range host {
		h := &host[i]
		if h.dev != dev {
			continue
		}
		p, ok := rebase(root, h.root, h.point)
		if ok && len(h.root) > bestLen {
			best, bestLen = path.Clean(p), len(h.root)
		}
	}
	return best, bestLen >= 0
}

// pseudoFS are filesystem types whose files are not watched.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "cgroup": true, "cgroup2": true, "devpts": true,
	"mqueue": true, "debugfs": true, "tracefs": true, "securityfs": true, "bpf": true,
	"configfs": true, "fusectl": true, "nsfs": true, "binfmt_misc": true, "pstore": true,
	"autofs": true, "efivarfs": true, "hugetlbfs": true, "rpc_pipefs": true, "devtmpfs": true,
}
