package ingest

import (
	"container/heap"
	"os"
	"path/filepath"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// MaxLanes bounds the inputs ReadMerged reads side by side. With more
// files than this, each directory becomes one lane whose files are read in
// name order (log archives name files by time).
const MaxLanes = 128

// ReadMerged reads paths like ReadPaths but hands events to emit in event
// time order across inputs: a k-way merge in which every input (a file, or
// a directory's files in name order when there are more than MaxLanes
// files) is a lane read by its own Reader, and the lane whose next event is
// earliest goes on. Each input is taken to be roughly in time order, as log
// files are; events without a time pass at once. Correlation over
// several sources (an image pushed to a registry, then deployed to a
// cluster) needs this order.
//
// Lanes take turns: only one reads at any moment, and its event is emitted
// while the lane waits, so the event's Record is valid during emit as with
// ReadPaths. Stats of all lanes are added to r's.
func ReadMerged(r *Reader, paths []string, emit source.Emit) {
	inputs := r.Inputs(paths)
	groups := make([][]string, 0, len(inputs))
	if len(inputs) <= MaxLanes {
		for _, in := range inputs {
			groups = append(groups, []string{in})
		}
	} else {
		byDir := map[string]int{}
		for _, in := range inputs {
			d := filepath.Dir(in)
			i, ok := byDir[d]
			if !ok {
				i = len(groups)
				byDir[d] = i
				groups = append(groups, nil)
			}
			groups[i] = append(groups[i], in)
		}
	}
	h := &laneHeap{}
	var lanes []*lane
	for _, g := range groups {
		l := startLane(r.set, g)
		lanes = append(lanes, l)
		if l.next() {
			heap.Push(h, l)
		}
	}
	for h.Len() > 0 {
		l := (*h)[0]
		emit(l.head)
		if l.next() {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	for _, l := range lanes {
		r.stats.add(l.r.stats)
		r.read.Add(l.r.read.Load())
	}
}

// lane reads its inputs in a goroutine that hands over one event at a time.
type lane struct {
	r     *Reader
	ch    chan *event.Event
	ack   chan struct{}
	head  *event.Event
	taken bool // head was handed out and the reader waits for ack
}

func startLane(set Settings, inputs []string) *lane {
	l := &lane{r: NewReader(set), ch: make(chan *event.Event), ack: make(chan struct{})}
	go func() {
		defer close(l.ch)
		for _, in := range inputs {
			deliver := func(e *event.Event) {
				l.ch <- e
				<-l.ack // keep the record valid until the event is used
			}
			if in == "-" {
				l.r.ReadStream("-", os.Stdin, deliver)
			} else {
				l.r.ReadFile(in, deliver)
			}
		}
	}()
	return l
}

// next lets the lane's reader go on to its next event; false when the
// lane is done.
func (l *lane) next() bool {
	if l.taken {
		l.ack <- struct{}{}
	}
	e, ok := <-l.ch
	l.head, l.taken = e, ok
	return ok
}

type laneHeap []*lane

func (h laneHeap) Len() int { return len(h) }
func (h laneHeap) Less(i, j int) bool {
	a, b := h[i].head.Time, h[j].head.Time
	return a.Before(b)
}
func (h laneHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *laneHeap) Push(x any)   { *h = append(*h, x.(*lane)) }
func (h *laneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
