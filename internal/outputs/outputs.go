// Package outputs runs the alert outputs of a configuration file: for
// each, its spool, its destination (from components.Outputs) and the
// delivery loop between them; Send fans an alert out to every output
// whose minimum level it reaches, as an enqueue into its spool.
package outputs

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/vigilsec/vigil/internal/alert"
	"github.com/vigilsec/vigil/internal/components"
	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
	"github.com/vigilsec/vigil/internal/detect"
	"github.com/vigilsec/vigil/internal/output"
	"github.com/vigilsec/vigil/internal/spool"
)

// Set is the running outputs.
type Set struct {
	list   []*entry
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type entry struct {
	cfg config.Output
	sp  *spool.Spool
	out *delivery.Output
}

// Start opens each output's spool (what an earlier run left in it is
// delivered too) and starts its delivery loop.
func Start(cfg *config.Config) (*Set, error) {
	s := &Set{}
	factories := components.Outputs()
	for _, o := range cfg.Outputs {
		dest, err := factories[o.Type](o)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %v", o.Where, err)
		}
		policy := map[string]spool.Sync{"": spool.SyncBatch, "batch": spool.SyncBatch, "always": spool.SyncAlways, "never": spool.SyncNever}[o.Spool.Sync]
		sp, err := spool.Open(spool.Options{Dir: o.Spool.Dir, MaxBytes: o.Spool.MaxBytes, WhenFull: o.Spool.WhenFull, Sync: policy})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("%s.spool: %v", o.Where, err)
		}
		out, err := delivery.New(o.Name, dest, sp, delivery.Options{DeadLetter: filepath.Join(o.Spool.Dir, "dead-letter.jsonl")})
		if err != nil {
			sp.Close()
			s.Close()
			return nil, err
		}
		s.list = append(s.list, &entry{cfg: o, sp: sp, out: out})
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for _, e := range s.list {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); e.out.Run(ctx) }()
	}
	return s, nil
}

// Send enqueues the alert for every output whose min_level it reaches.
func (s *Set) Send(ctx context.Context, a *alert.Alert) error {
	for _, e := range s.list {
		if e.cfg.MinLevel != "" && !detect.LevelAtLeast(a.Rule.Level, e.cfg.MinLevel) {
			continue
		}
		rec, err := output.EncodeAlert(e.cfg.Format, a)
		if err != nil {
			return fmt.Errorf("output %s: %v", e.cfg.Name, err)
		}
		if err := e.out.Enqueue(ctx, rec); err != nil {
			return fmt.Errorf("output %s: %v", e.cfg.Name, err)
		}
	}
	return nil
}

// Sync forces what was enqueued to disk.
func (s *Set) Sync() error {
	for _, e := range s.list {
		if err := e.out.Sync(); err != nil {
			return fmt.Errorf("output %s: %v", e.cfg.Name, err)
		}
	}
	return nil
}

// Drain waits until every output has delivered its spool or ctx ends,
// and returns the alerts left unconfirmed per output.
func (s *Set) Drain(ctx context.Context) map[string]int64 {
	left := map[string]int64{}
	for _, e := range s.list {
		if n := e.out.Drain(ctx); n > 0 {
			left[e.cfg.Name] = n
		}
	}
	return left
}

// Status is one output's state.
type Status struct {
	Name      string
	Stats     delivery.Stats
	LastError string
}

// Status returns every output's counters.
func (s *Set) Status() []Status {
	var out []Status
	for _, e := range s.list {
		out = append(out, Status{Name: e.cfg.Name, Stats: e.out.Stats(), LastError: e.out.LastError()})
	}
	return out
}

// Close stops the delivery loops and closes the spools (what is left in
// them is sent by the next run).
func (s *Set) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	var first error
	for _, e := range s.list {
		if err := e.sp.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
