package main

import (
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// progressMin is the input size from which scan shows a progress bar.
const progressMin = 64 << 20

// bytesReader is what the progress bar watches.
type bytesReader interface{ BytesRead() int64 }

type progress struct {
	done chan struct{}
	wg   sync.WaitGroup
	w    io.Writer
}

// startProgress shows a progress bar on w while the input is read, when w
// is a terminal and the input is large; stop removes it.
func startProgress(w io.Writer, paths []string, r bytesReader) *progress {
	p := &progress{w: w}
	if !isTerminal(w) {
		return p
	}
	total := inputSize(paths)
	if total < progressMin {
		return p
	}
	p.done = make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		start := time.Now()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(w, "\r"+progressLine(r.BytesRead(), total, time.Since(start)))
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	if p.done != nil {
		close(p.done)
		p.wg.Wait()
	}
}

// progressLine renders e.g. "[=========>          ]  45%  1.2 GB / 2.6 GB  38 MB/s".
func progressLine(done, total int64, el time.Duration) string {
	const width = 30
	frac := float64(done) / float64(total)
	if frac > 1 {
		frac = 1
	}
	n := int(frac * width)
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	rate := float64(done) / el.Seconds()
	return fmt.Sprintf("[%s] %3.0f%%  %s / %s  %s/s", bar, frac*100, size(float64(done)), size(float64(total)), size(rate))
}

func size(b float64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// inputSize sums the sizes of the regular files under paths.
func inputSize(paths []string) int64 {
	var total int64
	for _, p := range paths {
		if p == "-" {
			continue
		}
		filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				if info, err := d.Info(); err == nil {
					total += info.Size()
				}
			}
			return nil
		})
	}
	return total
}
