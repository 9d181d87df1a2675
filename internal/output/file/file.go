// Package file writes alerts to a local file, one per line, rotated by
// size: when the file would pass its size, it is renamed FILE.1 (FILE.1 to
// FILE.2, ...; the oldest beyond the kept count removed) and a new one is
// started. A batch counts as delivered once it is written and synced to
// disk.
package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vigilsec/vigil/internal/config"
	"github.com/vigilsec/vigil/internal/delivery"
)

// Config configures the file.
type Config struct {
	Path     string
	MaxBytes int64 // rotate past this size (default 100 MiB)
	Keep     int   // rotated files kept (default 5)
}

// File is a delivery.Destination.
type File struct {
	c    Config
	f    *os.File
	size int64
}

// New opens (or creates) the file for appending.
func New(c Config) (*File, error) {
	if c.Path == "" || !filepath.IsAbs(c.Path) {
		return nil, fmt.Errorf("path %q: want an absolute file path", c.Path)
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = 100 << 20
	}
	if c.Keep <= 0 {
		c.Keep = 5
	}
	d := &File{c: c}
	if err := d.open(); err != nil {
		return nil, err
	}
	return d, nil
}

// FromConfig returns the file of a configuration file's output: its url
// is file:///ABSOLUTE/PATH; spool.max_bytes does not apply to it.
func FromConfig(o config.Output) (delivery.Destination, error) {
	p, ok := strings.CutPrefix(o.URL, "file://")
	if !ok {
		return nil, fmt.Errorf("url %q: want file:///absolute/path", o.URL)
	}
	return New(Config{Path: p})
}

func (d *File) open() error {
	f, err := os.OpenFile(d.c.Path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	d.f, d.size = f, fi.Size()
	return nil
}

func (d *File) rotate() error {
	if err := d.f.Close(); err != nil {
		return err
	}
	os.Remove(fmt.Sprintf("%s.%d", d.c.Path, d.c.Keep))
	for i := d.c.Keep - 1; i >= 1; i-- {
		if err := os.Rename(fmt.Sprintf("%s.%d", d.c.Path, i), fmt.Sprintf("%s.%d", d.c.Path, i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(d.c.Path, d.c.Path+".1"); err != nil {
		return err
	}
	return d.open()
}

// Send implements delivery.Destination.
func (d *File) Send(_ context.Context, batch [][]byte) ([]error, error) {
	for _, rec := range batch {
		if d.size > 0 && d.size+int64(len(rec))+1 > d.c.MaxBytes {
			if err := d.f.Sync(); err != nil {
				return nil, err
			}
			if err := d.rotate(); err != nil {
				return nil, err
			}
		}
		line := append(append(make([]byte, 0, len(rec)+1), rec...), '\n')
		n, err := d.f.Write(line)
		d.size += int64(n)
		if err != nil {
			return nil, err
		}
	}
	if err := d.f.Sync(); err != nil {
		return nil, err
	}
	return make([]error, len(batch)), nil
}
