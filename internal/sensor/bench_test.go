//go:build linux

package sensor

import (
	"fmt"
	"github.com/vigilsec/vigil/internal/sensor/record"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/ruleset"
)

// BenchmarkHandle maps a mix of records as a busy container host sends
// them: log writes, file creates, a sensitive read, connections, and
// short-lived processes (fork, exec, exit) in a tree three deep.
func BenchmarkHandle(b *testing.B) { benchHandle(b, nil) }

// BenchmarkHandleDetect maps the same mix and runs each event through the
// builtin rules, as vigil sensor does.
func BenchmarkHandleDetect(b *testing.B) {
	g, errs := ruleset.Load(ruleset.Options{}, detect.Config{})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	alerts := 0
	benchHandle(b, func(e *event.Event) { g.Process(e, func(*detect.Alert) { alerts++ }) })
	if b.N >= 9 && alerts == 0 {
		b.Error("no alert: the shadow read should raise one")
	}
}

func benchHandle(b *testing.B, then func(*event.Event)) {
	m := newTestMapper(b)
	web(nil, m)
	open := rec(record.KindOpen, 102, cgWeb, "sh")
	open.Ret = 3
	open.File = record.File{Op: record.OpOpen, Path: "/var/www/html/uploads/report.csv", Flags: unix.O_WRONLY | unix.O_CREAT, Mode: 0o644}
	read := rec(record.KindOpen, 102, cgWeb, "sh")
	read.File = record.File{Op: record.OpOpen, Path: "/etc/shadow"}
	conn := rec(record.KindConnect, 101, cgWeb, "nginx")
	conn.Net = record.Net{FD: 5, NewFD: -1, Family: unix.AF_INET, SockType: unix.SOCK_STREAM,
		Local: netip.MustParseAddrPort("10.40.3.17:40112"), Remote: netip.MustParseAddrPort("10.40.0.9:5432")}
	forkR := rec(record.KindFork, 102, cgWeb, "sh")
	forkR.Fork.ChildTGID = 300
	exec := execRec(300, 102, cgWeb, "/bin/cat", "/bin/busybox", "cat", "/var/www/html/index.html")
	exit := rec(record.KindExit, 300, cgWeb, "cat")
	write := rec(record.KindOpen, 101, cgWeb, "nginx")
	write.Ret = 4
	write.File = record.File{Op: record.OpOpen, Path: "/var/log/nginx/access.log", Flags: unix.O_WRONLY | unix.O_APPEND}
	recs := []*record.Record{&write, &open, &read, &conn, &forkR, &exec, &exit, &write, &conn}
	paths := make([]string, 4096)
	for i := range paths {
		paths[i] = fmt.Sprintf("/var/www/html/uploads/report-%d.csv", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := recs[i%len(recs)]
		// 200,000 records a second; files created among 4096 names.
		r.Time = t0.Add(time.Duration(i) * 5 * time.Microsecond)
		if r == &open {
			open.File.Path = paths[i%len(paths)]
		}
		if r.Kind == record.KindFork {
			r.Fork.ChildTGID = uint32(300 + i%20000)
			exec.TGID, exit.TGID = r.Fork.ChildTGID, r.Fork.ChildTGID
		}
		e := m.handle(r, false)
		if then != nil {
			then(e)
		}
	}
}
