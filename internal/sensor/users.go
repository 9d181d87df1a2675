package sensor

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"time"
)

// users names user ids from a passwd file, read again when it changes
// (looked at no more than once per recheck when an id is unknown). Ids it
// does not name are written as numbers. Not safe for concurrent use.
type users struct {
	path    string
	names   map[uint32]string
	nums    map[uint32]string
	mtime   time.Time
	checked time.Time
	recheck time.Duration
	now     func() time.Time
}

func newUsers(path string) *users {
	u := &users{path: path, nums: map[uint32]string{}, recheck: 10 * time.Second, now: time.Now}
	u.load()
	return u
}

// load reads the passwd file; a missing or unreadable one names nobody.
func (u *users) load() {
	u.checked = u.now()
	st, err := os.Stat(u.path)
	if err != nil {
		u.names = nil
		return
	}
	if u.names != nil && st.ModTime().Equal(u.mtime) {
		return
	}
	data, err := os.ReadFile(u.path)
	if err != nil {
		u.names = nil
		return
	}
	u.mtime = st.ModTime()
	u.names = parsePasswd(data)
}

// parsePasswd reads name:password:uid:... lines; malformed lines are skipped.
func parsePasswd(data []byte) map[uint32]string {
	names := map[uint32]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		f := bytes.SplitN(line, []byte(":"), 4)
		if len(f) < 4 || len(f[0]) == 0 {
			continue
		}
		uid, err := strconv.ParseUint(string(f[2]), 10, 32)
		if err != nil {
			continue
		}
		if _, dup := names[uint32(uid)]; !dup {
			names[uint32(uid)] = string(f[0])
		}
	}
	return names
}

// name returns the user name of uid, or uid as a number.
func (u *users) name(uid uint32) string {
	if n, ok := u.names[uid]; ok {
		return n
	}
	if u.now().Sub(u.checked) >= u.recheck {
		u.load()
		if n, ok := u.names[uid]; ok {
			return n
		}
	}
	return u.number(uid)
}

// number returns uid as a decimal string, remembered.
func (u *users) number(id uint32) string {
	if s, ok := u.nums[id]; ok {
		return s
	}
	s := strconv.FormatUint(uint64(id), 10)
	if len(u.nums) < 4096 {
		u.nums[id] = s
	}
	return s
}
