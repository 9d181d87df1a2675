package source

import (
	"hash/maphash"
	"sync/atomic"
)

// internSlots is the size of the intern cache; a power of two.
const internSlots = 1 << 14

var (
	internSeed  = maphash.MakeSeed()
	internCache [internSlots]atomic.Pointer[string]
)

// Intern returns b as a string, sharing one copy among equal values that
// recur (regions, accounts, principals, operation names). It is a
// fixed-size, lossy cache safe for concurrent use: a colliding value
// replaces the slot. Use it only for fields whose values repeat.
func Intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 256 {
		return string(b)
	}
	slot := &internCache[maphash.Bytes(internSeed, b)&(internSlots-1)]
	if p := slot.Load(); p != nil && *p == string(b) {
		return *p
	}
	s := string(b)
	slot.Store(&s)
	return s
}
