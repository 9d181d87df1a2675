package detect

import (
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// correlation is a loaded correlation rule: its inputs and how to read the
// fields it groups and aggregates by, per input rule.
type correlation struct {
	rule    *Rule
	typ     string
	inputs  []*Rule
	span    time.Duration
	thr     *sigma.Threshold
	groupBy []string
	// per input rule (same order as inputs): group-by getters and the
	// value field's getter (value_* types).
	groupGet [][]sigma.Getter[*Doc]
	valueGet []sigma.Getter[*Doc]
	// owned: per input rule, whether the values its getters return are the
	// event's own strings (data-model text fields), which outlive the
	// call: group-by values (byGroup) and the value field (byValue).
	owned []ownership
	// groups finds the group of group-by values that are the event's own
	// strings by their identity, without building the key (see memo).
	groups groupCache
	// new_value: the learning period (learn: the rule's learning, else
	// its timespan) ends learn after the first input (records without a
	// time are not correlated at all).
	learn    time.Duration
	learnEnd time.Time
	id       int
}

type ownership struct{ byGroup, byValue bool }

// supported correlation types.
var corrTypes = map[string]bool{
	"event_count": true, "value_count": true, "temporal": true, "temporal_ordered": true,
	"value_sum": true, "value_avg": true, "value_percentile": true, "new_value": true,
}

// link resolves a correlation rule's references and field getters.
func (g *Engine) link(r *Rule) error {
	sc := r.Correlation
	if !corrTypes[sc.Type] {
		return ruleError(r, "correlation type %q is not supported", sc.Type)
	}
	if len(sc.Rules) == 0 {
		return ruleError(r, "correlation names no rules")
	}
	if sc.Timespan <= 0 {
		return ruleError(r, "correlation needs a timespan")
	}
	c := &correlation{rule: r, typ: sc.Type, span: sc.Timespan, thr: sc.Condition, groupBy: sc.GroupBy, id: len(g.corrs), learn: sc.Learning}
	if c.learn <= 0 {
		c.learn = sc.Timespan
	}
	for _, ref := range sc.Rules {
		in := g.findRule(ref)
		if in == nil {
			return ruleError(r, "correlation refers to rule %q, which is not loaded", ref)
		}
		if in.Correlation != nil {
			return ruleError(r, "correlation refers to correlation rule %q: correlations of correlations are not supported", ref)
		}
		c.inputs = append(c.inputs, in)
	}
	needValue := strings.HasPrefix(c.typ, "value_")
	if needValue && (c.thr == nil || c.thr.Field == "") {
		return ruleError(r, "%s needs a condition with a field", c.typ)
	}
	if (c.typ == "event_count" || needValue) && c.thr == nil {
		return ruleError(r, "%s needs a condition", c.typ)
	}
	for _, in := range c.inputs {
		if in.src == nil {
			continue // idle input: never fires
		}
		res := g.resolver(in.src)
		var gets []sigma.Getter[*Doc]
		own := ownership{byGroup: true}
		for _, f := range c.groupBy {
			get, err := res.Field(aliasFor(sc, f, in))
			if err != nil {
				return ruleError(r, "group-by %s for rule %q: %v", f, in.Key(), err)
			}
			gets = append(gets, get)
			own.byGroup = own.byGroup && ownedText(in, aliasFor(sc, f, in))
		}
		c.groupGet = append(c.groupGet, gets)
		var vget sigma.Getter[*Doc]
		if needValue {
			get, err := res.Field(aliasFor(sc, c.thr.Field, in))
			if err != nil {
				return ruleError(r, "condition field %s for rule %q: %v", c.thr.Field, in.Key(), err)
			}
			vget = get
			own.byValue = ownedText(in, aliasFor(sc, c.thr.Field, in))
		}
		c.valueGet = append(c.valueGet, vget)
		c.owned = append(c.owned, own)
	}
	// Inputs whose logsource is idle were skipped above; keep the slices
	// aligned by dropping them from inputs too.
	active := c.inputs[:0]
	for _, in := range c.inputs {
		if in.src != nil {
			active = append(active, in)
		}
	}
	if len(active) != len(c.inputs) && (c.typ == "temporal" || c.typ == "temporal_ordered") {
		active = active[:0] // a temporal correlation with an idle input can never complete
		c.groupGet, c.valueGet, c.owned = nil, nil, nil
	}
	c.inputs = active
	for _, in := range c.inputs {
		in.feeds = append(in.feeds, c)
		if !sc.Generate {
			in.quiet = true
		}
	}
	r.corr = c
	g.corrs = append(g.corrs, c)
	return nil
}

// ownedText reports whether the getter of field, for input rule in,
// returns the event's own strings: a data-model text field read as it is
// (not a vendor record's text, a number formatted in scratch space or a
// list joined).
func ownedText(in *Rule, field string) bool {
	if _, ok := in.src.resolver(nil).(modelResolver); !ok {
		return false
	}
	f := event.Lookup(field)
	return f != nil && f.Kind == event.KindString
}

// aliasFor returns the field of input rule in that a correlation field
// stands for.
func aliasFor(sc *sigma.Correlation, field string, in *Rule) string {
	if m, ok := sc.Aliases[field]; ok {
		if f, ok := m[in.Name]; ok && in.Name != "" {
			return f
		}
		if f, ok := m[in.ID]; ok && in.ID != "" {
			return f
		}
	}
	return field
}

func (g *Engine) findRule(ref string) *Rule {
	for _, r := range g.rules {
		if r.ID == ref || (r.Name != "" && r.Name == ref) {
			return r
		}
	}
	return nil
}

// item is one matched event held in a correlation group.
type item struct {
	t     time.Time
	input int // index into correlation.inputs
	val   string
	num   float64
	ev    *event.Event
}

// group is the state of one correlation for one group-by tuple.
type group struct {
	key    string
	c      *correlation
	values []string
	items  []item // by time
	newest time.Time

	// The trailing window [newest-span, newest] is items[lo:], kept up to
	// date as events arrive in order, so that checking it costs O(1):
	// distinct values (value_count), the sum of numbers (value_sum,
	// value_avg) and events per input (temporal). An event out of order
	// makes it stale (dirty) until rebuilt.
	lo    int
	agg   window // aggregates of items[lo:]
	dirty bool
	// quiet: after an alert, the group's events up to this time are
	// absorbed into it (counted as suppressed), so that one burst raises
	// one alert per timespan, not one per event.
	quiet time.Time

	prev, next *group // least recently used order
	dropped    bool   // no longer held (evicted, or its windows closed)
}

// add feeds a match of input rule in to the correlation.
func (c *correlation) add(g *Engine, in *Rule, out func(*Alert)) {
	idx := -1
	for i, x := range c.inputs {
		if x == in {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	e := g.doc.E
	t, ok := g.state.place(e.Time, g.cfg.MaxLateness)
	if !ok {
		g.stats.Late++
		return
	}
	vals := g.valBuf[:0]
	for _, get := range c.groupGet[idx] {
		v := get(&g.doc)
		if v.Kind == sigma.Absent || v.Kind == sigma.Null {
			// Sigma: events without a group-by field are not correlated.
			return
		}
		vals = append(vals, valueText(v))
	}
	g.valBuf = vals
	it := item{t: t, input: idx, ev: e}
	var elems []sigma.Value // value_count of a list: one value per element
	if get := c.valueGet[idx]; get != nil {
		v := get(&g.doc)
		if v.Kind == sigma.Absent || v.Kind == sigma.Null {
			return
		}
		if c.typ == "value_count" && v.Kind == sigma.List && len(v.L) > 1 {
			elems = v.L
		}
		it.val = valueText(v)
		if !c.owned[idx].byValue {
			it.val = strings.Clone(it.val)
		}
		it.num = v.N
		if v.Kind != sigma.Number {
			it.num = math.NaN()
		}
	}
	if c.typ == "new_value" {
		c.newValue(g, idx, vals, it, out)
		return
	}
	gr, _ := c.group(g, idx, vals)
	if gr.agg.perInput == nil {
		gr.agg.reset(len(c.inputs), c.typ == "value_count")
	}
	if !gr.quiet.IsZero() && !it.t.After(gr.quiet) {
		g.stats.Suppressed++
		return
	}
	inOrder := !it.t.Before(gr.newest)
	if elems == nil {
		gr.insert(it)
	} else {
		// A list-valued field (the names a batch call asked for) counts
		// each of its elements as a value: one item per distinct element,
		// all of the same event.
		for i, x := range elems {
			if slices.ContainsFunc(elems[:i], func(y sigma.Value) bool { return y.S == x.S }) {
				continue
			}
			it.val = strings.Clone(x.S)
			gr.insert(it)
		}
	}
	c.evaluate(g, gr, it.t, inOrder, out)
}

// group returns the group of the group-by values vals (read for input
// rule idx), marked most recently used; new reports that it was created.
// Values that are the event's own strings find their group by identity
// in c.groups first; otherwise, or when that misses, the group key is
// built in scratch space and looked up (the values are copied only for
// a new group).
func (c *correlation) group(g *Engine, idx int, vals []string) (gr *group, new bool) {
	cache := c.owned[idx].byGroup
	if cache {
		if gr := c.groups.find(vals); gr != nil {
			g.state.use(gr)
			return gr, false
		}
	}
	kb := append(g.keyBuf[:0], byte(c.id), byte(c.id>>8))
	for _, s := range vals {
		kb = append(append(kb, 0), s...)
	}
	g.keyBuf = kb
	gr, new = g.state.get(kb, c, vals)
	if cache {
		c.groups.store(vals, gr)
	}
	return gr, new
}

// groupCache remembers the groups of recent group-by values by the
// identity of the strings (as memo does): a slot holds the values and
// their group, valid while the group is held (not dropped).
type groupCache struct {
	vals   []string // groupCacheSlots slots of len(groupBy) values, allocated on first use
	groups []*group
}

const groupCacheSlots = 64 // a power of two

func (gc *groupCache) find(vals []string) *group {
	if gc.groups == nil {
		return nil
	}
	slot := identitySlot(vals, groupCacheSlots)
	k := len(vals)
	if gr := gc.groups[slot]; gr != nil && !gr.dropped && sameStrings(gc.vals[slot*k:slot*k+k], vals) {
		return gr
	}
	return nil
}

func (gc *groupCache) store(vals []string, gr *group) {
	k := len(vals)
	if gc.groups == nil {
		gc.vals = make([]string, groupCacheSlots*k)
		gc.groups = make([]*group, groupCacheSlots)
	}
	slot := identitySlot(vals, groupCacheSlots)
	copy(gc.vals[slot*k:slot*k+k], vals)
	gc.groups[slot] = gr
}

// valueText renders a value for grouping: lists as their elements joined.
func valueText(v sigma.Value) string {
	if v.Kind != sigma.List {
		return v.S
	}
	parts := make([]string, len(v.L))
	for i, x := range v.L {
		parts[i] = x.S
	}
	return strings.Join(parts, ",")
}

func (c *correlation) newValue(g *Engine, idx int, values []string, it item, out func(*Alert)) {
	if c.learnEnd.IsZero() {
		c.learnEnd = it.t.Add(c.learn)
	}
	gr, new := c.group(g, idx, values)
	if !new {
		return
	}
	gr.newest = it.t
	if it.t.After(c.learnEnd) {
		g.emit(c.alert(g, gr, []item{it}, 1), out)
	}
}

func (gr *group) insert(it item) {
	if !it.t.Before(gr.newest) || len(gr.items) == 0 {
		gr.items = append(gr.items, it)
		gr.newest = it.t
		if !gr.dirty {
			gr.enter(it)
		}
		return
	}
	i := sort.Search(len(gr.items), func(i int) bool { return gr.items[i].t.After(it.t) })
	gr.items = append(gr.items, item{})
	copy(gr.items[i+1:], gr.items[i:])
	gr.items[i] = it
	gr.dirty = true
}

// enter adds an item to the trailing window's aggregates and slides the
// window's start past items older than span before the newest.
func (gr *group) enter(it item) {
	gr.account(it, 1)
	limit := gr.newest.Add(-gr.c.span)
	for gr.lo < len(gr.items) && gr.items[gr.lo].t.Before(limit) {
		gr.account(gr.items[gr.lo], -1)
		gr.lo++
	}
}

func (gr *group) account(it item, d int) { gr.agg.step(it, d) }

// rebuild recomputes the trailing window after an out-of-order event.
func (gr *group) rebuild() {
	gr.lo = len(gr.items)
	gr.agg.reset(len(gr.c.inputs), gr.c.typ == "value_count")
	limit := gr.newest.Add(-gr.c.span)
	for gr.lo > 0 && !gr.items[gr.lo-1].t.Before(limit) {
		gr.lo--
		gr.account(gr.items[gr.lo], 1)
	}
	gr.dirty = false
}

// dropFront removes the n oldest items.
func (gr *group) dropFront(n int) {
	gr.items = gr.items[n:]
	if gr.lo -= n; gr.lo < 0 {
		gr.dirty = true
		gr.lo = 0
	}
}

// reset empties the group after an alert: the events it used start afresh.
func (gr *group) reset() {
	gr.items = gr.items[:0]
	gr.lo = 0
	gr.agg.reset(len(gr.c.inputs), gr.c.typ == "value_count")
	gr.dirty = false
}

// eager reports a condition that can be met as events arrive (more than,
// at least); the others are decided when a window closes.
func (c *correlation) eager() bool {
	if c.thr == nil {
		return true
	}
	switch c.thr.Op {
	case "gt", "gte":
		return true
	}
	return false
}

// evaluate checks the windows the new item at t may complete, and closes
// windows the watermark has passed.
func (c *correlation) evaluate(g *Engine, gr *group, t time.Time, inOrder bool, out func(*Alert)) {
	horizon := g.state.horizon()
	// Close windows that can receive no more events.
	for len(gr.items) > 0 && gr.items[0].t.Add(c.span).Before(horizon) {
		c.closeFirst(g, gr, out)
	}
	if len(gr.items) == 0 {
		if gr.quiet.Before(horizon) {
			g.state.drop(gr)
		}
		return
	}
	if !c.eager() {
		return
	}
	if inOrder && !gr.dirty {
		// The new item is the newest: the only window it can complete is
		// the trailing one, whose aggregates are current.
		if agg, ok := c.checkTrailing(gr); ok {
			c.fireWindow(g, gr, gr.lo, len(gr.items), agg, out)
		}
		return
	}
	// Out of order: every window [s, s+span] that contains t, swept with
	// two pointers and running aggregates (linear in the group's items).
	if c.typ == "temporal_ordered" || c.typ == "value_percentile" {
		for i := range gr.items {
			if gr.items[i].t.Before(t.Add(-c.span)) {
				continue
			}
			if gr.items[i].t.After(t) {
				break
			}
			end := windowEnd(gr.items, i, c.span)
			if agg, ok := c.check(g, gr.items[i:end]); ok {
				c.fireWindow(g, gr, i, end, agg, out)
				return
			}
		}
		gr.rebuild()
		return
	}
	w := &g.win
	w.reset(len(c.inputs), c.typ == "value_count")
	j := 0
	for i := range gr.items {
		if gr.items[i].t.Before(t.Add(-c.span)) {
			continue
		}
		if gr.items[i].t.After(t) {
			break
		}
		if j < i {
			j = i
			w.reset(len(c.inputs), c.typ == "value_count")
		}
		limit := gr.items[i].t.Add(c.span)
		for j < len(gr.items) && !gr.items[j].t.After(limit) {
			w.add(gr.items[j])
			j++
		}
		if agg, ok := w.holds(c); ok {
			c.fireWindow(g, gr, i, j, agg, out)
			return
		}
		w.remove(gr.items[i])
	}
	gr.rebuild()
}

// fireWindow raises the alert of items[i:end] and drops those items.
// The group stays quiet for a timespan after the alert.
func (c *correlation) fireWindow(g *Engine, gr *group, i, end int, agg float64, out func(*Alert)) {
	a := c.alert(g, gr, gr.items[i:end], agg)
	g.emit(a, out)
	gr.quiet = a.Time.Add(c.span)
	rest := len(gr.items) - end
	copy(gr.items[i:], gr.items[end:])
	gr.items = gr.items[:i+rest]
	gr.dirty = true
	if len(gr.items) == 0 {
		gr.reset()
		return
	}
	gr.rebuild()
}

// window holds running aggregates over a sliding window of items; the
// engine keeps one, reused.
type window struct {
	n        int
	distinct map[string]int
	sum      float64
	nums     int
	perInput []int
}

// reset empties the window; distinct values are tracked only when asked
// (value_count), as a map per group would weigh on high-cardinality state.
func (w *window) reset(inputs int, distinct bool) {
	w.n, w.sum, w.nums = 0, 0, 0
	if distinct && w.distinct == nil {
		w.distinct = map[string]int{}
	}
	clear(w.distinct) // keeps its buckets: no allocation per window
	if cap(w.perInput) < inputs {
		w.perInput = make([]int, inputs)
	}
	w.perInput = w.perInput[:inputs]
	clear(w.perInput)
}

func (w *window) add(it item)    { w.step(it, 1) }
func (w *window) remove(it item) { w.step(it, -1) }

func (w *window) step(it item, d int) {
	w.n += d
	w.perInput[it.input] += d
	if w.distinct != nil {
		if n := w.distinct[it.val] + d; n > 0 {
			w.distinct[it.val] = n
		} else {
			delete(w.distinct, it.val)
		}
	}
	if !math.IsNaN(it.num) && (it.num != 0 || it.val != "") {
		w.sum += float64(d) * it.num
		w.nums += d
	}
}

// holds evaluates an eager condition over the window.
func (w *window) holds(c *correlation) (float64, bool) {
	switch c.typ {
	case "event_count":
		return float64(w.n), c.thr.Holds(float64(w.n))
	case "value_count":
		d := float64(len(w.distinct))
		return d, c.thr.Holds(d)
	case "value_sum":
		return w.sum, w.nums > 0 && c.thr.Holds(w.sum)
	case "value_avg":
		if w.nums == 0 {
			return 0, false
		}
		avg := w.sum / float64(w.nums)
		return avg, c.thr.Holds(avg)
	case "temporal":
		k := 0
		for _, x := range w.perInput {
			if x > 0 {
				k++
			}
		}
		if c.thr != nil {
			return float64(k), c.thr.Holds(float64(k))
		}
		return float64(k), k == len(c.inputs)
	}
	return 0, false
}

// checkTrailing evaluates the condition over the trailing window from its
// running aggregates.
func (c *correlation) checkTrailing(gr *group) (float64, bool) {
	switch c.typ {
	case "temporal_ordered", "value_percentile":
		return c.check(nil, gr.items[gr.lo:])
	}
	return gr.agg.holds(c)
}

// closeFirst closes the oldest window of a group. Eager conditions (more
// than, at least) were decided as events came: the oldest item simply
// leaves. Other conditions (fewer than, exactly) are decided on tumbling
// windows anchored at their first event: the window is checked and all its
// items leave.
func (c *correlation) closeFirst(g *Engine, gr *group, out func(*Alert)) {
	if c.eager() {
		if gr.lo == 0 && !gr.dirty {
			gr.account(gr.items[0], -1)
			gr.lo = 1
		}
		gr.dropFront(1)
		return
	}
	end := windowEnd(gr.items, 0, c.span)
	if agg, ok := c.check(g, gr.items[:end]); ok {
		g.emit(c.alert(g, gr, gr.items[:end], agg), out)
	}
	gr.dropFront(end)
	gr.dirty = true
}

// windowEnd returns the index after the last item within span of items[i].
func windowEnd(items []item, i int, span time.Duration) int {
	limit := items[i].t.Add(span)
	j := i
	for j < len(items) && !items[j].t.After(limit) {
		j++
	}
	return j
}

// check evaluates the condition over one window's items; agg is the
// aggregate the alert reports (count, distinct values, sum...).
func (c *correlation) check(g *Engine, w []item) (float64, bool) {
	switch c.typ {
	case "event_count":
		return float64(len(w)), c.thr.Holds(float64(len(w)))
	case "value_count":
		seen := map[string]struct{}{}
		if g != nil {
			seen = g.scratchSet
			clear(seen)
		}
		for _, it := range w {
			seen[it.val] = struct{}{}
		}
		n := float64(len(seen))
		return n, c.thr.Holds(n)
	case "value_sum", "value_avg", "value_percentile":
		var nums []float64
		for _, it := range w {
			if !math.IsNaN(it.num) {
				nums = append(nums, it.num)
			}
		}
		if len(nums) == 0 {
			return 0, false
		}
		var agg float64
		switch c.typ {
		case "value_sum", "value_avg":
			for _, x := range nums {
				agg += x
			}
			if c.typ == "value_avg" {
				agg /= float64(len(nums))
			}
		default:
			sort.Float64s(nums)
			p := c.thr.Percentile
			k := int(math.Ceil(p/100*float64(len(nums)))) - 1
			agg = nums[max(0, min(k, len(nums)-1))]
		}
		return agg, c.thr.Holds(agg)
	case "temporal":
		seen := make([]bool, len(c.inputs))
		n := 0
		for _, it := range w {
			if !seen[it.input] {
				seen[it.input] = true
				n++
			}
		}
		if c.thr != nil {
			return float64(n), c.thr.Holds(float64(n))
		}
		return float64(n), n == len(c.inputs)
	case "temporal_ordered":
		next := 0
		for _, it := range w {
			if it.input == next {
				next++
				if next == len(c.inputs) {
					return float64(next), true
				}
			}
		}
		return float64(next), false
	}
	return 0, false
}

func (c *correlation) flush(g *Engine, out func(*Alert)) {
	for _, gr := range g.state.of(c) {
		for len(gr.items) > 0 {
			c.closeFirst(g, gr, out)
		}
		g.state.drop(gr)
	}
}

func (c *correlation) alert(g *Engine, gr *group, w []item, agg float64) *Alert {
	a := &Alert{Rule: c.rule, Time: w[len(w)-1].t, Aggregate: agg}
	for i, f := range c.groupBy {
		a.GroupBy = append(a.GroupBy, KV{Key: f, Value: gr.values[i]})
	}
	// The items of one event (a list's elements, value_count) are next to
	// each other: the alert counts and lists the event once.
	evs := make([]*event.Event, 0, len(w))
	for i, it := range w {
		if i == 0 || it.ev != w[i-1].ev {
			evs = append(evs, it.ev)
		}
	}
	a.Count = len(evs)
	from := 0
	if len(evs) > g.cfg.MaxAlertEvents {
		from = len(evs) - g.cfg.MaxAlertEvents
	}
	a.Events = append(a.Events, evs[from:]...)
	a.EventsDropped = from
	return a
}

// groupState holds every correlation group, bounded by a cap with least
// recently used eviction.
type groupState struct {
	m          map[string]*group
	head, tail *group // head: most recently used
	cap        int
	stats      *Stats
	// watermark is the newest event time seen; lateness how far behind
	// it an event may come and still be correlated: Config.Lateness at
	// first, grown (up to Config.MaxLateness) to the delay of an event
	// that came later than that, so that an unsorted input loses only
	// its first event out of order, not every later one.
	watermark time.Time
	lateness  time.Duration
}

func newGroupState(cap int, lateness time.Duration, st *Stats) *groupState {
	return &groupState{m: map[string]*group{}, cap: cap, lateness: lateness, stats: st}
}

// horizon is the time before which no more events are correlated: the
// windows that end before it are closed.
func (s *groupState) horizon() time.Time { return s.watermark.Add(-s.lateness) }

// place gives the time an event is correlated at, advancing the
// watermark: its own time; for an event without a time (a record whose
// timestamp could not be read) the watermark, the time of the events
// around it (counted Untimed), and none before any event had a time. An
// event older than the horizon grows the lateness to its delay (counted
// Reordered) unless that exceeds max; ok is false for an event that
// cannot be placed.
func (s *groupState) place(t time.Time, max time.Duration) (time.Time, bool) {
	if t.IsZero() {
		if s.watermark.IsZero() {
			return t, false
		}
		s.stats.Untimed++
		return s.watermark, true
	}
	if t.After(s.watermark) {
		s.watermark = t
		return t, true
	}
	delay := s.watermark.Sub(t)
	if delay <= s.lateness {
		return t, true
	}
	if delay > max {
		return t, false
	}
	s.lateness = delay
	s.stats.Reordered++
	s.stats.Lateness = delay
	return t, true
}

func (s *groupState) len() int { return len(s.m) }

// use marks a held group most recently used.
func (s *groupState) use(gr *group) {
	if s.head != gr {
		s.unlink(gr)
		s.pushFront(gr)
	}
}

// get returns the group for key, marked most recently used, creating it
// (and evicting the least recently used group beyond the cap); new
// reports that it was created.
func (s *groupState) get(key []byte, c *correlation, values []string) (gr *group, new bool) {
	if gr := s.m[string(key)]; gr != nil {
		s.use(gr)
		return gr, false
	}
	for len(s.m) >= s.cap && s.tail != nil {
		s.drop(s.tail)
		s.stats.Evicted++
	}
	vals := make([]string, len(values))
	for i, v := range values {
		vals[i] = strings.Clone(v)
	}
	gr = &group{key: string(key), c: c, values: vals}
	s.m[gr.key] = gr
	s.pushFront(gr)
	return gr, true
}

func (s *groupState) drop(gr *group) {
	if s.m[gr.key] != gr {
		return
	}
	delete(s.m, gr.key)
	s.unlink(gr)
	gr.dropped = true
}

func (s *groupState) of(c *correlation) []*group {
	var out []*group
	for gr := s.head; gr != nil; gr = gr.next {
		if gr.c == c {
			out = append(out, gr)
		}
	}
	return out
}

func (s *groupState) pushFront(gr *group) {
	gr.prev, gr.next = nil, s.head
	if s.head != nil {
		s.head.prev = gr
	}
	s.head = gr
	if s.tail == nil {
		s.tail = gr
	}
}

func (s *groupState) unlink(gr *group) {
	if gr.prev != nil {
		gr.prev.next = gr.next
	} else if s.head == gr {
		s.head = gr.next
	}
	if gr.next != nil {
		gr.next.prev = gr.prev
	} else if s.tail == gr {
		s.tail = gr.prev
	}
	gr.prev, gr.next = nil, nil
}
