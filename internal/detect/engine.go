package detect

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/sigma"
)

// Config tunes the engine.
type Config struct {
	// Placeholders are the values of %name% placeholders for the expand
	// modifier (builtin defaults are merged under these).
	Placeholders map[string][]string
	// StateCap bounds the correlation groups held at once, over all
	// correlation rules; the least recently used group is evicted beyond
	// it, and evictions are counted. Default 1,000,000.
	StateCap int
	// Lateness is how far behind the newest event time an event may arrive
	// and still be correlated in order. Default 5 minutes.
	Lateness time.Duration
	// MaxLateness bounds how far the lateness grows when an event comes
	// later than it (an unsorted file): such an event is still
	// correlated, and the lateness becomes its delay, holding windows
	// open that much longer. Events later than MaxLateness are counted
	// late and not correlated. Default 24 hours; never below Lateness.
	MaxLateness time.Duration
	// MaxAlertEvents caps the events an alert carries. Default 20.
	MaxAlertEvents int
}

func (c *Config) defaults() {
	if c.StateCap <= 0 {
		c.StateCap = 1_000_000
	}
	if c.Lateness <= 0 {
		c.Lateness = 5 * time.Minute
	}
	if c.MaxLateness <= 0 {
		c.MaxLateness = 24 * time.Hour
	}
	if c.MaxLateness < c.Lateness {
		c.MaxLateness = c.Lateness
	}
	if c.MaxAlertEvents <= 0 {
		c.MaxAlertEvents = 20
	}
}

// File is one rule file to load.
type File struct {
	Name    string
	Data    []byte
	Builtin bool
}

// Engine matches events against loaded rules. It is not safe for
// concurrent use: run one engine per event stream.
type Engine struct {
	cfg   Config
	rules []*Rule
	corrs []*correlation

	vendor   map[string][]*bucket // by vendor_product
	vigilAll *bucket
	byDS     map[event.Dataset]*bucket

	// routes caches the buckets of recent products and datasets, most
	// recent first: events come in runs of a few kinds.
	routes [4]route
	doc    Doc
	gen    uint64
	seen   dedupe
	slots  slots // cached vendor field reads
	// scratch for correlations: group keys and values, distinct sets
	keyBuf     []byte
	valBuf     []string
	scratchSet map[string]struct{}
	win        window
	state      *groupState
	stats      Stats
	// single is the alert of single-event matches, reused (see Alert).
	single Alert
}

// Stats counts what the engine did.
type Stats struct {
	Events      int
	Matches     int            // single-event rule matches
	Alerts      map[string]int // by level
	Duplicates  int            // CloudTrail events seen before (same eventID), not matched again
	Late        int            // events too late to correlate, or without a time before any had one
	Reordered   int            // events later than the lateness, correlated after it grew
	Untimed     int            // events without a time, correlated at the time of the events around them
	Lateness    time.Duration  // the lateness grown to, when Reordered > 0
	Suppressed  int            // correlated events absorbed by a group's recent alert
	Evicted     int            // correlation groups evicted at the state cap
	Groups      int            // correlation groups held now
	RulesLoaded int
	RulesIdle   int // loaded rules vigil has no events for
}

// New loads and compiles the rules of files. Rules that fail to load are
// reported (each error names file, line and reason) and left out; the
// others load.
func New(cfg Config, files []File) (*Engine, []error) {
	cfg.defaults()
	g := &Engine{cfg: cfg, vendor: map[string][]*bucket{}, byDS: map[event.Dataset]*bucket{}}
	g.scratchSet = map[string]struct{}{}
	g.state = newGroupState(cfg.StateCap, cfg.Lateness, &g.stats)
	var errs []error
	var corrRules []*Rule
	for _, f := range files {
		rules, perrs := sigma.ParseFile(f.Name, f.Data)
		errs = append(errs, perrs...)
		for _, sr := range rules {
			r := &Rule{Rule: sr, File: f.Name, Builtin: f.Builtin, level: strings.ToLower(sr.Level)}
			if sr.Correlation != nil {
				corrRules = append(corrRules, r)
				continue
			}
			if err := g.compile(r); err != nil {
				errs = append(errs, err)
				continue
			}
			g.rules = append(g.rules, r)
		}
	}
	for _, r := range corrRules {
		if err := g.link(r); err != nil {
			errs = append(errs, err)
			continue
		}
		g.rules = append(g.rules, r)
	}
	g.index()
	for i := range g.routes {
		g.routes[i] = g.routeOf("", "")
	}
	g.doc.size(g.slots.n)
	g.stats.RulesLoaded = len(g.rules)
	for _, r := range g.rules {
		if !r.Active() {
			g.stats.RulesIdle++
		}
	}
	return g, errs
}

// Rules returns the loaded rules, in load order.
func (g *Engine) Rules() []*Rule { return g.rules }

// Stats returns the counts so far.
func (g *Engine) Stats() Stats {
	s := g.stats
	s.Groups = g.state.len()
	s.Alerts = map[string]int{}
	for _, r := range g.rules {
		if r.Alerts > 0 {
			s.Alerts[r.level] += r.Alerts
		}
	}
	return s
}

func ruleError(r *Rule, format string, args ...any) error {
	return &sigma.Error{Pos: r.Pos, RuleID: r.Key(), Msg: fmt.Sprintf(format, args...)}
}

// resolver returns the field resolver of a logsource.
func (g *Engine) resolver(src *source) sigma.Resolver[*Doc] {
	return src.resolver(&g.slots)
}

func (g *Engine) compile(r *Rule) error {
	r.src = sourceFor(r.Logsource)
	src := r.src
	if src == nil {
		// vigil has no events for this logsource: compile against a
		// permissive resolver so syntax and modifiers are still checked.
		src = &source{key: "idle", vendor: true}
	}
	m, err := sigma.Compile[*Doc](r.Rule, g.resolver(src), sigma.Options{Placeholders: g.cfg.Placeholders})
	if err != nil {
		return err
	}
	r.match = m
	r.memo = memoFor(r)
	return nil
}

// A bucket holds the active rules of one logsource, indexed.
type bucket struct {
	src     *source
	indexes []*valueIndex
	present []*presence
	always  []*Rule
}

func (g *Engine) index() {
	buckets := map[string]*bucket{}
	get := func(src *source) *bucket {
		b := buckets[src.key]
		if b == nil {
			b = &bucket{src: src}
			buckets[src.key] = b
			g.place(b)
		}
		return b
	}
	// Rules of vigil's logsource without a category apply to every
	// dataset: they are filed in each dataset's bucket as well as in the
	// bucket for events without one, so an event runs one vigil bucket
	// and probes each index once.
	var every []*Rule
	for _, r := range g.rules {
		if r.match != nil && r.src != nil && r.src.key == "vigil/" {
			every = append(every, r)
		}
	}
	if len(every) > 0 {
		for _, d := range event.Datasets {
			get(sourceFor(sigma.Logsource{Product: "vigil", Category: string(d)}))
		}
	}
	for _, r := range g.rules {
		if r.match == nil || r.src == nil {
			continue
		}
		g.file(get(r.src), r)
		if r.src.key == "vigil/" {
			for _, d := range event.Datasets {
				g.file(g.byDS[d], r)
			}
		}
	}
	// Indexes in the logsource's order of preference, for stable results.
	for _, b := range buckets {
		sort.SliceStable(b.indexes, func(i, j int) bool {
			return rankOf(b.src.prefer, b.indexes[i].field) < rankOf(b.src.prefer, b.indexes[j].field)
		})
	}
}

// file adds r to bucket b: under the literal values of its most
// selective field when it has one, else by the fields it requires.
func (g *Engine) file(b *bucket, r *Rule) {
	field, values, ok := r.match.Prefilter(r.src.prefer)
	if !ok {
		g.placeUnindexed(b, r)
		return
	}
	var ix *valueIndex
	for _, x := range b.indexes {
		if x.field == field {
			ix = x
		}
	}
	if ix == nil {
		get, err := g.resolver(r.src).Field(field)
		if err != nil {
			b.always = append(b.always, r)
			return
		}
		ix = &valueIndex{field: field, get: get}
		if f := event.Lookup(field); !r.src.vendor && f != nil && f.Kind == event.KindString {
			ix.model = f
		}
		if r.src.vendor {
			if f := copiedText(r.src, field); f != nil && f.Kind == event.KindString {
				ix.model, ix.fallback = f, true
			}
		}
		// The tags, read as they are, are the event's own strings.
		if _, plain := r.src.resolver(nil).(modelResolver); plain && field == "tags" {
			ix.owned = true
		}
		b.indexes = append(b.indexes, ix)
	}
	for _, v := range values {
		ix.rules.add(v, r)
	}
}

// placeUnindexed files a rule no value index can hold: under a field it
// requires that most events lack, else with the rules run for every event.
func (g *Engine) placeUnindexed(b *bucket, r *Rule) {
	if !b.src.vendor {
		for _, f := range r.match.Requires() {
			if !sparse(f) {
				continue
			}
			for _, p := range b.present {
				if p.field == f {
					p.rules = append(p.rules, r)
					return
				}
			}
			if get, err := g.resolver(r.src).Field(f); err == nil {
				b.present = append(b.present, &presence{field: f, get: get, rules: []*Rule{r}})
				return
			}
		}
	}
	b.always = append(b.always, r)
}

func rankOf(prefer []string, f string) int {
	for i, p := range prefer {
		if p == f {
			return i
		}
	}
	return len(prefer)
}

// place registers a bucket on the routes of its logsource.
func (g *Engine) place(b *bucket) {
	if b.src.products == nil {
		cat := strings.TrimPrefix(b.src.key, "vigil/")
		if cat == "" {
			g.vigilAll = b
		} else {
			g.byDS[datasetOf(cat)] = b
		}
		return
	}
	for _, p := range b.src.products {
		g.vendor[p] = append(g.vendor[p], b)
	}
}

// Process matches one event and passes every alert it completes to out;
// an alert is valid only during the out call (Clone keeps one). Events
// should come roughly in time order; see Config.Lateness.
func (g *Engine) Process(e *event.Event, out func(*Alert)) {
	g.stats.Events++
	if e.VendorProduct == "AWS CloudTrail" && e.EventID != "" && g.seen.check(dedupeKey{e.EventID, e.EventName, e.Time.UnixNano()}) {
		g.stats.Duplicates++
		return
	}
	g.doc.reset(e)
	rt := g.route(e)
	for _, b := range rt.vendor {
		if b.src.accepts(e) {
			g.run(b, out)
		}
	}
	if b := rt.vigil; b != nil {
		// The dataset's rules and vigil's rules for every dataset.
		g.run(b, out)
	}
	g.doc.E = nil
}

// route is where events of one product and dataset go: the buckets of
// the product's vendor logsources and the vigil bucket of the dataset.
type route struct {
	product string
	dataset event.Dataset
	vendor  []*bucket
	vigil   *bucket
}

func (g *Engine) routeOf(product string, dataset event.Dataset) route {
	rt := route{product: product, dataset: dataset, vendor: g.vendor[product], vigil: g.byDS[dataset]}
	if rt.vigil == nil {
		rt.vigil = g.vigilAll
	}
	return rt
}

// route returns the route of e from the cache, moving it to the front.
func (g *Engine) route(e *event.Event) *route {
	rs := &g.routes
	for i := range rs {
		if rs[i].product == e.VendorProduct && rs[i].dataset == e.Dataset {
			if i > 0 {
				rt := rs[i]
				copy(rs[1:i+1], rs[:i])
				rs[0] = rt
			}
			return &rs[0]
		}
	}
	copy(rs[1:], rs[:len(rs)-1])
	rs[0] = g.routeOf(e.VendorProduct, e.Dataset)
	return &rs[0]
}

func (g *Engine) run(b *bucket, out func(*Alert)) {
	g.gen++
	for _, ix := range b.indexes {
		if ix.model != nil {
			if s := ix.model.String(g.doc.E); s != "" {
				g.tryOnce(ix.lookupOwned(s), out)
				continue
			}
			if !ix.fallback {
				continue
			}
		}
		v := ix.get(&g.doc)
		switch v.Kind {
		case sigma.String, sigma.Number, sigma.Bool:
			g.tryOnce(ix.lookup(v.S), out)
		case sigma.List:
			for _, x := range v.L {
				g.tryOnce(ix.lookup(x.S), out)
			}
		}
	}
	for _, p := range b.present {
		if p.get(&g.doc).Kind != sigma.Absent {
			g.tryOnce(p.rules, out)
		}
	}
	for _, r := range b.always {
		g.try(r, out)
	}
}

// tryOnce tries each rule not yet tried on this bucket run.
func (g *Engine) tryOnce(rules []*Rule, out func(*Alert)) {
	for _, r := range rules {
		if r.seen != g.gen {
			r.seen = g.gen
			g.try(r, out)
		}
	}
}

func (g *Engine) try(r *Rule, out func(*Alert)) {
	if !r.matches(&g.doc) {
		return
	}
	g.stats.Matches++
	r.Hits++
	if !r.quiet {
		a := &g.single
		*a = Alert{Rule: r, Time: g.doc.E.Time}
		a.one[0] = g.doc.E
		a.Events = a.one[:]
		g.emit(a, out)
	}
	for _, c := range r.feeds {
		c.add(g, r, out)
	}
}

func (g *Engine) emit(a *Alert, out func(*Alert)) {
	a.Rule.Alerts++ // Stats sums these by level
	out(a)
}

// dedupe remembers recent CloudTrail event ids: the same event reaches
// vigil twice when both the trail's S3 files and EventBridge are read, and
// CloudTrail itself may deliver an event more than once. Two generations
// bound the memory: when the current one is full it becomes the previous.
// (Other ids are not unique per record: a Kubernetes auditID is shared by
// the stages of one request, Azure falls back to correlation ids.)
type dedupe struct {
	cur, prev hashSet
	seed      maphash.Seed
	started   bool
}

// dedupeKey is an event's id with its name and time: copies of one event
// agree on all three, where test fixtures and replays may reuse an id.
type dedupeKey struct {
	id, name string
	t        int64
}

const dedupeGeneration = 1 << 18

// check records the key and reports whether it was seen before. Keys are
// kept as 64-bit hashes (a false "seen" needs a collision among the
// 2×2^18 keys held: about one in 10^8 over 10^9 events).
func (d *dedupe) check(k dedupeKey) bool {
	if !d.started {
		d.started = true
		d.seed = maphash.MakeSeed()
	}
	// Three string hashes mixed: cheaper than streaming through a Hash.
	sum := maphash.String(d.seed, k.id)
	sum = (sum ^ maphash.String(d.seed, k.name)) * 0x9e3779b97f4a7c15
	sum = (sum ^ uint64(k.t)) * 0xff51afd7ed558ccd
	sum ^= sum >> 32
	if sum == 0 {
		sum = 1 // 0 marks an empty slot
	}
	if d.prev.has(sum) {
		return true
	}
	if d.cur.n >= dedupeGeneration && !d.cur.has(sum) {
		d.prev, d.cur = d.cur, d.prev
		d.cur.clear()
	}
	return !d.cur.insert(sum)
}

// hashSet is an open-addressing set of non-zero 64-bit hashes, kept at
// most half full: cheaper than a map for keys that are already hashes.
type hashSet struct {
	slots []uint64
	n     int
}

func (s *hashSet) has(h uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}

// insert adds h and reports whether it was not there yet, in one probe.
func (s *hashSet) insert(h uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for s.slots[i] != 0 {
		if s.slots[i] == h {
			return false
		}
		i = (i + 1) & mask
	}
	s.slots[i] = h
	s.n++
	return true
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	s.n = 0
	for _, x := range old {
		if x != 0 {
			s.insert(x)
		}
	}
}

func (s *hashSet) clear() {
	clear(s.slots)
	s.n = 0
}

// Advance tells the engine that time has reached now although no event
// may have come: a live source (the runtime sensor) calls it on a clock,
// so that windows that can only be decided at their end ("fewer than N
// events", an absence, a temporal rule's timeout) close on time instead of
// when a later event or Flush comes. Windows ending before now less the
// lateness are decided and their state dropped, as a later event would;
// a now before the newest event's time changes nothing.
func (g *Engine) Advance(now time.Time, out func(*Alert)) {
	if len(g.corrs) == 0 || !now.After(g.state.watermark) {
		return
	}
	g.state.watermark = now
	horizon := g.state.horizon()
	for gr := g.state.head; gr != nil; {
		next := gr.next
		c := gr.c
		if c.typ == "new_value" {
			gr = next // a value seen, not a window: kept until evicted
			continue
		}
		for len(gr.items) > 0 && gr.items[0].t.Add(c.span).Before(horizon) {
			c.closeFirst(g, gr, out)
		}
		if len(gr.items) == 0 && gr.quiet.Before(horizon) {
			g.state.drop(gr)
		}
		gr = next
	}
}

// Flush ends the input: correlations whose windows can still complete
// (e.g. "fewer than N events") are decided, and state is dropped.
func (g *Engine) Flush(out func(*Alert)) {
	for _, c := range g.corrs {
		c.flush(g, out)
	}
}
