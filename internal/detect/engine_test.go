package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
)

func mustEngine(t testing.TB, cfg Config, yml string) *Engine {
	t.Helper()
	g, errs := New(cfg, []File{{Name: "test.yml", Data: []byte(yml)}})
	for _, err := range errs {
		t.Fatal(err)
	}
	return g
}

var t0 = time.Date(2026, 10, 14, 8, 0, 0, 0, time.UTC)

// ct returns a CloudTrail event with its vendor record.
func ct(sec int, record string) *event.Event {
	rec := fastjson.MustParse(record)
	return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), Vendor: event.VendorAWS, VendorProduct: "AWS CloudTrail",
		Dataset: event.Container, EventName: string(rec.GetStringBytes("eventName")), Record: rec,
		SrcUser: string(rec.GetStringBytes("userIdentity", "arn")), CredentialID: string(rec.GetStringBytes("userIdentity", "accessKeyId")),
		UserAgent: string(rec.GetStringBytes("userAgent"))}
}

func run(g *Engine, evs ...*event.Event) []*Alert {
	var out []*Alert
	add := func(a *Alert) { out = append(out, a.Clone()) }
	for _, e := range evs {
		g.Process(e, add)
	}
	g.Flush(add)
	return out
}

func titles(as []*Alert) string {
	var s []string
	for _, a := range as {
		s = append(s, a.Rule.Title)
	}
	return strings.Join(s, ",")
}

const pushRule = `
title: push
id: 6f0d6c2e-0000-4000-8000-000000000001
name: push
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    eventSource: ecr.amazonaws.com
    eventName: PutImage
  filter:
    userIdentity.type: AssumedRole
  condition: sel and not filter
level: high
`

func TestVendorLogsourceRouting(t *testing.T) {
	g := mustEngine(t, Config{}, pushRule)
	user := ct(0, `{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}`)
	role := ct(1, `{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","userIdentity":{"type":"AssumedRole"}}`)
	other := ct(2, `{"eventSource":"ecr.amazonaws.com","eventName":"ListImages","userIdentity":{"type":"IAMUser"}}`)
	// The same fields on an event of another product never reach the rule.
	az := &event.Event{Time: t0, VendorProduct: "Azure Activity Log", Record: user.Record}
	as := run(g, user, role, other, az)
	if len(as) != 1 || as[0].Events[0] != user {
		t.Fatalf("alerts %s", titles(as))
	}
	if st := g.Stats(); st.Events != 4 || st.Matches != 1 || st.Alerts["high"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestDataModelLogsource(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: public bucket
logsource: {product: vigil, category: storage}
detection:
  sel:
    acl_entity|contains: AllUsers
    action: modify
  condition: sel
level: high
---
title: any failure
logsource: {product: vigil}
detection:
  sel: {status: failure, tags: data_access}
  condition: sel
level: low
`)
	st := &event.Event{Time: t0, VendorProduct: "GCP Cloud Audit Logs", Dataset: event.Storage, Action: "modify", Status: "failure", Tags: []string{"activity"}}
	st.S().ACLEntity = "allUsers"
	comp := &event.Event{Time: t0, VendorProduct: "AWS CloudTrail", Dataset: event.Compute, Action: "modify", Status: "failure", Tags: []string{"x", "data_access"}}
	comp.S().ACLEntity = "AllUsers" // a Compute event: not routed to the storage rule
	as := run(g, st, comp)
	if titles(as) != "public bucket,any failure" || as[1].Events[0] != comp {
		t.Fatalf("alerts %s", titles(as))
	}
}

func TestAliasesAndArrays(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: gcp ecs name
logsource: {product: gcp, service: gcp.audit}
detection:
  sel: {gcp.audit.method_name: SetIamPolicy}
  condition: sel
---
title: azure column name
logsource: {product: azure, service: activitylogs}
detection:
  sel: {OperationNameValue|endswith: /runCommand/action}
  condition: sel
---
title: array fan-out
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0}
  condition: sel
`)
	gcp := &event.Event{Time: t0, VendorProduct: "GCP Cloud Audit Logs", Record: fastjson.MustParse(`{"protoPayload":{"methodName":"SetIamPolicy"}}`)}
	az := &event.Event{Time: t0, VendorProduct: "Azure Activity Log", Record: fastjson.MustParse(`{"operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/RUNCOMMAND/ACTION"}`)}
	sg := ct(0, `{"eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"ipPermissions":{"items":[{"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},{"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}}`)
	if got := titles(run(g, gcp, az, sg)); got != "gcp ecs name,azure column name,array fan-out" {
		t.Fatalf("alerts %q", got)
	}
}

func TestEventCountOutOfOrderAndLate(t *testing.T) {
	g := mustEngine(t, Config{Lateness: time.Minute, MaxLateness: 2 * time.Minute}, `
title: list
name: list
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: ListImages}
  condition: sel
level: low
---
title: burst
correlation:
  type: event_count
  rules: [list]
  group-by: [userIdentity.arn]
  timespan: 5m
  condition: {gte: 3}
level: medium
`)
	ev := func(sec int, who string) *event.Event {
		return ct(sec, fmt.Sprintf(`{"eventName":"ListImages","userIdentity":{"arn":%q}}`, who))
	}
	// Three by a within 5 minutes, the second arriving after the third (within
	// lateness); b has three spread over 20 minutes; an event for c later
	// than the most lateness is dropped.
	as := run(g, ev(0, "a"), ev(200, "a"), ev(180, "b"), ev(150, "a"), ev(700, "b"), ev(1300, "b"), ev(1400, "c"), ev(1000, "c"))
	if len(as) != 1 || as[0].Rule.Title != "burst" || as[0].GroupBy[0].Value != "a" || as[0].Count != 3 {
		t.Fatalf("alerts %s %+v", titles(as), as)
	}
	if len(as[0].Events) != 3 || !as[0].Events[0].Time.Before(as[0].Events[1].Time) {
		t.Errorf("events not in time order")
	}
	if st := g.Stats(); st.Late != 1 {
		t.Errorf("late %d", st.Late)
	}
}

func TestValueCountAndGenerate(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: key used
name: key
logsource: {product: vigil}
detection:
  sel: {credential_id|exists: true}
  condition: sel
level: informational
---
title: key with many agents
correlation:
  type: value_count
  rules: [key]
  group-by: [credential_id]
  timespan: 1h
  condition: {field: http_user_agent, gte: 2}
  generate: true
level: high
`)
	ev := func(sec int, key, ua string) *event.Event {
		e := ct(sec, `{"eventName":"X"}`)
		e.CredentialID, e.UserAgent = key, ua
		return e
	}
	as := run(g, ev(0, "AKIA1", "aws-cli"), ev(10, "AKIA1", "aws-cli"), ev(20, "AKIA2", "boto3"), ev(30, "AKIA1", "curl"))
	var corr []*Alert
	for _, a := range as {
		if a.Rule.Correlation != nil {
			corr = append(corr, a)
		}
	}
	// generate: true keeps the base rule's own alerts.
	if len(as) != 5 || len(corr) != 1 || corr[0].GroupBy[0].Value != "AKIA1" || corr[0].Aggregate != 2 {
		t.Fatalf("alerts %s", titles(as))
	}
}

func TestTemporalOrdered(t *testing.T) {
	yml := `
title: push
name: push
logsource: {product: vigil, category: container}
detection:
  sel: {action: push}
  condition: sel
---
title: deploy
name: deploy
logsource: {product: vigil, category: container}
detection:
  sel: {action: create, workload|startswith: deployments/}
  condition: sel
---
title: pushed then deployed
correlation:
  type: temporal_ordered
  rules: [push, deploy]
  group-by: [image]
  timespan: 1h
level: high
`
	ev := func(sec int, action, workload, image string) *event.Event {
		e := &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", Dataset: event.Container, Action: action}
		e.K().Workload, e.K().Image = workload, image
		return e
	}
	as := run(mustEngine(t, Config{}, yml), ev(0, "push", "", "img@1"), ev(600, "create", "deployments/web", "img@1"), ev(700, "create", "deployments/web", "img@2"))
	if len(as) != 1 || as[0].GroupBy[0].Value != "img@1" || len(as[0].Events) != 2 {
		t.Fatalf("alerts %s", titles(as))
	}
	// Deployed before the push, or too long after: no alert.
	as = run(mustEngine(t, Config{}, yml), ev(0, "create", "deployments/web", "img@1"), ev(60, "push", "", "img@1"), ev(100, "push", "", "img@3"), ev(100+3601, "create", "deployments/x", "img@3"))
	if len(as) != 0 {
		t.Fatalf("alerts %s", titles(as))
	}
}

func TestNewValue(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: push
name: push
logsource: {product: vigil}
detection:
  sel: {event_name: PutImage}
  condition: sel
---
title: first push by principal
correlation:
  type: new_value
  rules: [push]
  group-by: [src_user]
  timespan: 1h
level: medium
`)
	ev := func(sec int, who string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "PutImage", SrcUser: who}
	}
	// a and b are learned in the first hour; c is new after it, once.
	as := run(g, ev(0, "a"), ev(1800, "b"), ev(4000, "a"), ev(4100, "c"), ev(4200, "c"))
	if len(as) != 1 || as[0].GroupBy[0].Value != "c" {
		t.Fatalf("alerts %s %v", titles(as), as)
	}
}

// TestNewValueLearning: the learning key sets the learning period apart
// from the timespan; a record without a time (a log line whose timestamp
// could not be read) is correlated at its neighbours' time.
func TestNewValueLearning(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: push
name: push
logsource: {product: vigil}
detection:
  sel: {event_name: PutImage}
  condition: sel
---
title: first push by principal
correlation:
  type: new_value
  rules: [push]
  group-by: [src_user]
  timespan: 1h
  learning: 3h
level: medium
`)
	ev := func(sec int, who string) *event.Event {
		e := &event.Event{VendorProduct: "x", EventName: "PutImage", SrcUser: who}
		if sec >= 0 {
			e.Time = t0.Add(time.Duration(sec) * time.Second)
		}
		return e
	}
	// Learning runs 3h from a's push at 0 (not from the untimed u before
	// it, which has no time to be placed at): b (2h) is learnt, c (4h) is
	// new; u was never learnt, so its timed push is new too; the untimed z
	// is placed at the time of the events around it, after the learning.
	as := run(g, ev(-1, "u"), ev(0, "a"), ev(7200, "b"), ev(14400, "c"), ev(14500, "u"), ev(-1, "z"), ev(14600, "b"))
	var got []string
	for _, a := range as {
		got = append(got, a.GroupBy[0].Value)
	}
	if strings.Join(got, ",") != "c,u,z" {
		t.Fatalf("new values %v, want c,u,z", got)
	}
	if st := g.Stats(); st.Late != 1 || st.Untimed != 1 {
		t.Errorf("late %d untimed %d, want 1 and 1", st.Late, st.Untimed)
	}
	if !as[2].Time.Equal(t0.Add(14500 * time.Second)) {
		t.Errorf("untimed z alerted at %v, want the time of the event before it", as[2].Time)
	}
}

// TestUnsortedInputGrowsLateness: an event far later than the lateness
// (a file not in time order) is still correlated, and the lateness grows
// to its delay so that the events after it are too; only an event later
// than MaxLateness is lost.
func TestUnsortedInputGrowsLateness(t *testing.T) {
	rules := `
title: any
name: any
logsource: {product: vigil}
detection:
  sel: {event_name: X}
  condition: sel
---
title: three in five minutes
correlation:
  type: event_count
  rules: [any]
  group-by: [src_user]
  timespan: 5m
  condition: {gte: 3}
`
	ev := func(sec int, who string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "X", SrcUser: who}
	}
	// a's three events within 5 minutes come around b's, 1000 s later.
	evs := []*event.Event{ev(1000, "a"), ev(2000, "b"), ev(1010, "a"), ev(1020, "a"), ev(2000-86401, "c")}
	g := mustEngine(t, Config{Lateness: time.Minute}, rules)
	as := run(g, evs...)
	if len(as) != 1 || as[0].GroupBy[0].Value != "a" || as[0].Count != 3 {
		t.Fatalf("alerts %s %+v", titles(as), as)
	}
	st := g.Stats()
	if st.Reordered != 1 || st.Lateness != 990*time.Second || st.Late != 1 {
		t.Errorf("reordered %d lateness %v late %d, want 1, 16m30s and the day-old c", st.Reordered, st.Lateness, st.Late)
	}
	// With the lateness held at a minute the two late events are lost.
	g = mustEngine(t, Config{Lateness: time.Minute, MaxLateness: time.Minute}, rules)
	if as := run(g, evs...); len(as) != 0 {
		t.Fatalf("alerts %s without growth", titles(as))
	}
	if st := g.Stats(); st.Late != 3 {
		t.Errorf("late %d, want 3", st.Late)
	}
}

func TestStateCapEvicts(t *testing.T) {
	g := mustEngine(t, Config{StateCap: 100}, `
title: any
name: any
logsource: {product: vigil}
detection:
  sel: {event_name: X}
  condition: sel
---
title: many
correlation:
  type: event_count
  rules: [any]
  group-by: [src_user]
  timespan: 1h
  condition: {gte: 2}
`)
	var evs []*event.Event
	for i := 0; i < 10000; i++ {
		evs = append(evs, &event.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), VendorProduct: "x", EventName: "X", SrcUser: fmt.Sprint("user-", i)})
	}
	for _, e := range evs {
		g.Process(e, func(*Alert) {})
		if n := g.Stats().Groups; n > 100 {
			t.Fatalf("%d groups held, cap 100", n)
		}
	}
	if st := g.Stats(); st.Evicted != 9900 {
		t.Errorf("evicted %d", st.Evicted)
	}
}

// heartbeatRules: fewer than 3 heartbeats from one source in 10 minutes.
const heartbeatRules = `
title: heartbeat
name: hb
logsource: {product: vigil}
detection:
  sel: {event_name: Heartbeat}
  condition: sel
---
title: few heartbeats
correlation:
  type: event_count
  rules: [hb]
  group-by: [src]
  timespan: 10m
  condition: {lt: 3}
`

func TestLessThanDecidedWhenWindowCloses(t *testing.T) {
	g := mustEngine(t, Config{Lateness: time.Second}, heartbeatRules)
	ev := func(sec int, src string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "Heartbeat", Src: src}
	}
	as := run(g, ev(0, "ok"), ev(0, "quiet"), ev(100, "ok"), ev(200, "ok"), ev(300, "quiet"))
	if len(as) != 1 || as[0].GroupBy[0].Value != "quiet" {
		t.Fatalf("alerts %s", titles(as))
	}
}

// TestAdvanceClosesWindowsOnTime: a live source's clock decides a "fewer
// than" window when it ends, without a later event or Flush; a clock
// behind the events changes nothing; first-seen values are kept.
func TestAdvanceClosesWindowsOnTime(t *testing.T) {
	g := mustEngine(t, Config{Lateness: time.Second}, heartbeatRules+`---
title: new source
correlation:
  type: new_value
  rules: [hb]
  group-by: [src]
  timespan: 1d
  learning: 1m
`)
	var got []*Alert
	add := func(a *Alert) { got = append(got, a.Clone()) }
	ev := func(sec int, src string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "Heartbeat", Src: src}
	}
	g.Process(ev(0, "quiet"), add)
	g.Advance(t0.Add(-time.Hour), add) // behind the events
	g.Advance(t0.Add(5*time.Minute), add)
	if len(got) != 0 {
		t.Fatalf("alerts before the window ended: %s", titles(got))
	}
	g.Advance(t0.Add(10*time.Minute+2*time.Second), add)
	if len(got) != 1 || got[0].Rule.Title != "few heartbeats" || got[0].GroupBy[0].Value != "quiet" {
		t.Fatalf("at the window's end: %s", titles(got))
	}
	// The group was decided and dropped: Flush does not raise it again,
	// and the source seen before is still not new.
	g.Process(ev(700, "quiet"), add)
	g.Process(ev(701, "quiet"), add)
	g.Process(ev(702, "quiet"), add)
	g.Flush(add)
	if len(got) != 1 {
		t.Errorf("after Flush: %s", titles(got))
	}
}

func TestLoadErrorsNameFileAndLine(t *testing.T) {
	_, errs := New(Config{}, []File{{Name: "bad.yml", Data: []byte(`
title: refers to nothing
correlation:
  type: event_count
  rules: [missing]
  group-by: [x]
  timespan: 5m
  condition: {gte: 2}
`)}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "bad.yml:") || !strings.Contains(errs[0].Error(), "missing") {
		t.Fatalf("errors %v", errs)
	}
}

// TestValueCountOutOfOrder: the distinct values of a window are counted the
// same whether events arrive in order or late within the lateness.
func TestValueCountOutOfOrder(t *testing.T) {
	yml := `
title: call
name: call
logsource: {product: vigil}
detection:
  sel: {event_name: X}
  condition: sel
---
title: agents
correlation:
  type: value_count
  rules: [call]
  group-by: [credential_id]
  timespan: 10m
  condition: {field: http_user_agent, gte: 3}
`
	ev := func(sec int, ua string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "X", CredentialID: "K", UserAgent: ua}
	}
	for name, order := range map[string][]*event.Event{
		"in order":      {ev(0, "a"), ev(60, "a"), ev(120, "b"), ev(180, "c"), ev(2000, "d")},
		"out of order":  {ev(0, "a"), ev(180, "c"), ev(60, "a"), ev(120, "b"), ev(2000, "d")},
		"too far apart": {ev(0, "a"), ev(120, "b"), ev(900, "c"), ev(1600, "d")},
	} {
		as := run(mustEngine(t, Config{}, yml), order...)
		want := 1
		if name == "too far apart" {
			want = 0
		}
		if len(as) != want || (want == 1 && as[0].Aggregate != 3) {
			t.Errorf("%s: %d alerts %v", name, len(as), as)
		}
	}
}

// TestOneAlertPerBurst: after a group's alert, its events within the
// timespan are absorbed, then a new burst alerts again.
func TestOneAlertPerBurst(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: del
name: del
logsource: {product: vigil}
detection:
  sel: {event_name: Delete}
  condition: sel
---
title: deletions
correlation:
  type: event_count
  rules: [del]
  group-by: [src_user]
  timespan: 10m
  condition: {gte: 2}
`)
	ev := func(sec int) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "Delete", SrcUser: "u"}
	}
	as := run(g, ev(0), ev(10), ev(20), ev(30), ev(40), ev(3600), ev(3610))
	if len(as) != 2 || as[0].Count != 2 || as[1].Time != t0.Add(3610*time.Second) {
		t.Fatalf("%d alerts", len(as))
	}
	if st := g.Stats(); st.Suppressed != 3 {
		t.Errorf("suppressed %d", st.Suppressed)
	}
}

// TestDuplicateCloudTrailEvents: the same CloudTrail event read twice (S3
// and EventBridge) alerts once; Kubernetes stages sharing an auditID do not
// count as duplicates.
func TestDuplicateCloudTrailEvents(t *testing.T) {
	g := mustEngine(t, Config{}, pushRule)
	a := ct(0, `{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","userIdentity":{"type":"IAMUser"}}`)
	a.EventID = "e-1"
	b := ct(0, `{"eventSource":"ecr.amazonaws.com","eventName":"PutImage","userIdentity":{"type":"IAMUser"}}`)
	b.EventID = "e-1"
	k1 := &event.Event{Time: t0, VendorProduct: "Kubernetes Audit", EventID: "audit-1"}
	k2 := &event.Event{Time: t0, VendorProduct: "Kubernetes Audit", EventID: "audit-1"}
	if as := run(g, a, b, k1, k2); len(as) != 1 {
		t.Fatalf("%d alerts", len(as))
	}
	if st := g.Stats(); st.Duplicates != 1 || st.Events != 4 {
		t.Errorf("stats %+v", st)
	}
}

// TestAlertClone: the engine reuses the alert of single-event matches, so
// an alert kept past its out call must be cloned; a clone keeps its rule,
// time, events and group-by values whatever the engine passes out next.
func TestAlertClone(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: any call
name: any
logsource: {product: vigil}
detection:
  sel: {event_name: Call}
  condition: sel
level: low
---
title: two calls
correlation:
  type: event_count
  rules: [any]
  group-by: [src_user]
  timespan: 10m
  condition: {gte: 2}
  generate: true
`)
	ev := func(sec int, user string) *event.Event {
		return &event.Event{Time: t0.Add(time.Duration(sec) * time.Second), VendorProduct: "x", EventName: "Call", SrcUser: user}
	}
	evs := []*event.Event{ev(0, "a"), ev(1, "b"), ev(2, "a")}
	var passed []*Alert // as passed to out
	var kept []*Alert   // cloned during the call
	out := func(a *Alert) {
		passed = append(passed, a)
		kept = append(kept, a.Clone())
	}
	for _, e := range evs {
		g.Process(e, out)
	}
	if len(kept) != 4 {
		t.Fatalf("%d alerts, want 4", len(kept))
	}
	if passed[0] != passed[1] {
		t.Error("single-event alerts are not reused: the engine allocates one per match")
	}
	for i, e := range evs {
		a := kept[i]
		if a.Rule.Title != "any call" || len(a.Events) != 1 || a.Events[0] != e || !a.Time.Equal(e.Time) {
			t.Errorf("alert %d: %s with %d events at %v, want the match of event %d", i, a.Rule.Title, len(a.Events), a.Time, i)
		}
	}
	c := kept[3]
	if c.Rule.Title != "two calls" || c.Count != 2 || len(c.Events) != 2 || c.Events[0] != evs[0] || c.Events[1] != evs[2] ||
		len(c.GroupBy) != 1 || c.GroupBy[0] != (KV{"src_user", "a"}) {
		t.Errorf("correlation alert: %+v", c)
	}
	// A clone shares no slice with the alert it copies.
	c.Events[0], c.GroupBy[0].Value = nil, "changed"
	if passed[3].Events[0] != evs[0] || passed[3].GroupBy[0].Value != "a" {
		t.Error("clone shares events or group-by values with the original")
	}
	kept[0].Events[0] = nil
	if kept[1].Events[0] != evs[1] {
		t.Error("clones of single-event alerts share their events")
	}
}

// TestMemo: a rule over repeating data-model fields is evaluated once
// per combination of its inputs; inputs are told apart by identity, so
// equal text in another string is evaluated again (with the same result)
// and other values are never mistaken for remembered ones.
func TestMemo(t *testing.T) {
	g := mustEngine(t, Config{}, `
title: region call
logsource: {product: vigil}
detection:
  sel:
    region|startswith: us-
    account|exists: true
  filter:
    region: us-gov-west-1
  condition: sel and not filter
level: low
`)
	r := g.Rules()[0]
	if r.memo == nil || len(r.memo.fields) != 2 {
		t.Fatalf("no memo over region and account: %+v", r.memo)
	}
	region := func(s string) string { return strings.Clone(s) } // a distinct string of the same text
	east, acct := region("us-east-1"), region("111122223333")
	ev := func(region, account string) *event.Event {
		return &event.Event{Time: t0, VendorProduct: "x", Region: region, Account: account}
	}
	// hit: 1 from memory, -1 evaluated, 0 either (a slot may have been
	// taken by another combination in between).
	cases := []struct {
		e     *event.Event
		match bool
		hit   int
	}{
		{ev(east, acct), true, -1},
		{ev(east, acct), true, 1},
		{ev(region("us-east-1"), acct), true, -1},      // same text, another string
		{ev(region("us-gov-west-1"), acct), false, -1}, // filtered
		{ev(region("eu-west-1"), acct), false, -1},     // no match
		{ev(east, ""), false, -1},                      // no account
		{ev(east, acct), true, 0},
	}
	for i, c := range cases {
		hits, misses, matches := r.memo.hits, r.memo.misses, r.Hits
		g.Process(c.e, func(*Alert) {})
		if got := r.Hits > matches; got != c.match {
			t.Errorf("event %d (%s, %q): match %v, want %v", i, c.e.Region, c.e.Account, got, c.match)
		}
		hit := r.memo.hits > hits
		if r.memo.hits+r.memo.misses != hits+misses+1 || c.hit == 1 && !hit || c.hit == -1 && hit {
			t.Errorf("event %d: memo hit %v, want %d", i, hit, c.hit)
		}
	}
	// Rules reading the vendor record, lists, numbers or keywords have none.
	g = mustEngine(t, Config{}, `
title: vendor
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: X}
  condition: sel
---
title: tags
logsource: {product: vigil}
detection:
  sel: {tags: x}
  condition: sel
---
title: keywords
logsource: {product: vigil}
detection:
  kw: [evil]
  condition: kw
---
title: message
logsource: {product: vigil}
detection:
  sel: {msg|contains: denied}
  condition: sel
`)
	for _, r := range g.Rules() {
		if r.memo != nil {
			t.Errorf("%s: has a memo", r.Title)
		}
	}
}

// TestGroupCacheAfterEviction: a group found by the identity of its
// values is the one the key finds, also once the state cap has evicted
// it and its values come back (a new group, counting afresh).
func TestGroupCacheAfterEviction(t *testing.T) {
	yml := `
title: any
name: any
logsource: {product: vigil}
detection:
  sel: {event_name: X}
  condition: sel
---
title: three by one user
correlation:
  type: event_count
  rules: [any]
  group-by: [src_user, region]
  timespan: 1h
  condition: {gte: 3}
`
	users := []string{"u0", "u1", "u2"} // one string per user: the cache finds their groups
	var evs []*event.Event
	for i := 0; i < 60; i++ {
		// u0 twice, then the others, so that with a cap of 2 groups u0's
		// group is evicted before its third event now and then.
		u := users[[]int{0, 0, 1, 2, 0, 1}[i%6]]
		evs = append(evs, &event.Event{Time: t0.Add(time.Duration(i) * time.Second), VendorProduct: "x", EventName: "X", SrcUser: u, Region: "r"})
	}
	for _, cap := range []int{2, 3, 100} {
		with := mustEngine(t, Config{StateCap: cap}, yml)
		without := mustEngine(t, Config{StateCap: cap}, yml)
		if !with.corrs[0].owned[0].byGroup {
			t.Fatal("src_user and region groups are not found by identity")
		}
		without.corrs[0].owned[0].byGroup = false
		a, b := run(with, evs...), run(without, evs...)
		if len(a) != len(b) {
			t.Fatalf("cap %d: %d alerts with the group cache, %d without", cap, len(a), len(b))
		}
		for i := range a {
			if a[i].Rule != with.Rules()[1] || a[i].Count != b[i].Count || !a[i].Time.Equal(b[i].Time) || a[i].GroupBy[0] != b[i].GroupBy[0] {
				t.Errorf("cap %d alert %d: %s %v at %v, without the cache %v at %v", cap, i, a[i].Rule.Title, a[i].GroupBy, a[i].Time, b[i].GroupBy, b[i].Time)
			}
		}
		if sw, so := with.Stats(), without.Stats(); sw.Evicted != so.Evicted || (cap == 2) != (sw.Evicted > 0) {
			t.Errorf("cap %d: %d evicted with the group cache, %d without", cap, sw.Evicted, so.Evicted)
		}
		t.Logf("cap %d: %d alerts, %d evicted", cap, len(a), with.Stats().Evicted)
	}
}

// TestDedupeGenerations: an event id is remembered through the
// generation it was added in and the next, and forgotten after that.
func TestDedupeGenerations(t *testing.T) {
	var d dedupe
	key := func(i int) dedupeKey { return dedupeKey{id: fmt.Sprint("id-", i), name: "GetObject", t: int64(i % 7)} }
	const n = 2*dedupeGeneration + 100
	for i := 0; i < n; i++ {
		if d.check(key(i)) {
			t.Fatalf("key %d seen before it was added", i)
		}
		if i%1000 == 0 && !d.check(key(i)) {
			t.Fatalf("key %d not seen right after it was added", i)
		}
	}
	// Keys 0..G-1 filled the first generation, G..2G-1 the second; the
	// third began at 2G and dropped the first.
	for _, i := range []int{dedupeGeneration, dedupeGeneration + 5, 2*dedupeGeneration - 1, 2 * dedupeGeneration, n - 1} {
		if !d.check(key(i)) {
			t.Errorf("key %d forgotten", i)
		}
	}
	for _, i := range []int{1, 5, dedupeGeneration - 1} {
		if d.check(key(i)) {
			t.Errorf("key %d of two generations ago still seen", i)
		}
	}
	if d.cur.n > dedupeGeneration+10 || d.prev.n != dedupeGeneration {
		t.Errorf("generations hold %d and %d keys", d.cur.n, d.prev.n)
	}
}

// TestValueCountList: a list-valued field counts each of its elements, so
// that one batch call naming many resources counts them all; the alert
// lists each event once.
func TestValueCountList(t *testing.T) {
	yml := `
title: read
name: read
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: [GetParameter, GetParameters]}
  condition: sel
---
title: many parameters
correlation:
  type: value_count
  rules: [read]
  group-by: [userIdentity.arn]
  timespan: 10m
  condition: {field: requestParameters.names, gte: 4}
`
	one := func(sec int, names string) *event.Event {
		return ct(sec, `{"eventName":"GetParameters","userIdentity":{"arn":"u"},"requestParameters":{"names":[`+names+`]}}`)
	}
	as := run(mustEngine(t, Config{}, yml), one(0, `"a","b","b"`), one(10, `"c"`))
	if len(as) != 0 {
		t.Fatalf("3 distinct names: %d alerts", len(as))
	}
	as = run(mustEngine(t, Config{}, yml), one(0, `"a","b","b"`), one(10, `"c","a","d"`))
	if len(as) != 1 || as[0].Aggregate != 4 || as[0].Count != 2 || len(as[0].Events) != 2 {
		t.Fatalf("alerts %+v", as)
	}
	as = run(mustEngine(t, Config{}, yml), one(0, `"a","b","c","d","e"`))
	if len(as) != 1 || as[0].Aggregate != 5 || as[0].Count != 1 || len(as[0].Events) != 1 {
		t.Fatalf("one batch: alerts %+v", as)
	}
}
