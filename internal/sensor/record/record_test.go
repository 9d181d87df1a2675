package record

import (
	"strings"
	"testing"
)

// TestNames: every kind has a name of its own, and numbers outside the
// range say what they are.
func TestNames(t *testing.T) {
	seen := map[string]Kind{}
	for k := Kind(1); k < KindCount; k++ {
		n := k.String()
		if n == "" || strings.HasPrefix(n, "kind(") {
			t.Errorf("kind %d has no name", k)
		}
		if o, ok := seen[n]; ok {
			t.Errorf("kinds %d and %d are both %q", o, k, n)
		}
		seen[n] = k
	}
	if got := KindCount.String(); !strings.HasPrefix(got, "kind(") {
		t.Errorf("KindCount.String() = %q", got)
	}
	if Syscall(101).String() != "ptrace" || Syscall(0).String() != "" || Syscall(9999).String() != "syscall(9999)" {
		t.Errorf("syscall names: %q %q %q", Syscall(101), Syscall(0), Syscall(9999))
	}
	for op := OpOpen; op <= OpChmod; op++ {
		if strings.HasPrefix(op.String(), "fileop(") {
			t.Errorf("file op %d has no name", op)
		}
	}
	for op := CgroupMkdir; op <= CgroupAttach; op++ {
		if strings.HasPrefix(op.String(), "cgroupop(") {
			t.Errorf("cgroup op %d has no name", op)
		}
	}
}
