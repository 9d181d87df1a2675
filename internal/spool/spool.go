// Package spool is an output's durable queue: a write-ahead log of
// records in segment files on disk, each record framed with its length, a
// CRC-32C checksum, a sequence number and the time it was spooled. One
// consumer reads from the acknowledged cursor and advances it only when
// the destination has confirmed, so what was not confirmed before a crash
// or a restart is read again (at-least-once). The spool holds at most a
// byte cap; when it is full an append either blocks until the consumer
// frees space or drops the oldest records (counted).
//
// On disk, Options.Dir holds segment files named by the sequence number
// of their first record (00000000000000000001.seg) and a file "cursor"
// holding the last acknowledged sequence number. A record that was being
// written when the process died (a torn tail) is cut off when the spool is
// opened; a damaged record inside a segment ends what can be read of that
// segment, and both are counted.
package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sync says when appended records are forced to disk.
type Sync int

const (
	// SyncBatch: on Sync calls (an output syncs after each batch it
	// spools) and at Close.
	SyncBatch Sync = iota
	// SyncAlways: after every Append.
	SyncAlways
	// SyncNever: left to the operating system (a crash of the machine,
	// not of the process, can lose the newest records).
	SyncNever
)

// When full, an append blocks or drops the oldest records.
const (
	Block      = "block"
	DropOldest = "drop_oldest"
)

// Options configure a spool.
type Options struct {
	Dir          string
	MaxBytes     int64  // cap on the bytes of unacknowledged records; 0: none
	WhenFull     string // Block (default) or DropOldest
	SegmentBytes int64  // a segment is closed past this size (default 16 MiB)
	Sync         Sync
}

// Record is one spooled record.
type Record struct {
	Seq  uint64
	Time time.Time // when it was spooled
	Data []byte
}

// Stats are a spool's counters.
type Stats struct {
	Records   int64     // unacknowledged records
	Bytes     int64     // their size on disk
	Oldest    time.Time // spool time of the oldest of them (zero if none)
	Appended  int64     // records appended since Open
	Acked     int64     // records acknowledged since Open
	Dropped   int64     // records dropped when full (DropOldest)
	Truncated int64     // bytes of a torn tail cut off at Open
	Corrupt   int64     // damaged records found at Open (and what followed them in their segment)
}

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool: closed")

// headerLen is a record's frame: length, CRC-32C (of seq, time and
// data), sequence number, spool time in Unix nanoseconds.
const headerLen = 4 + 4 + 8 + 8

// maxRecord bounds one record, so that a damaged length cannot make the
// reader allocate without bound.
const maxRecord = 64 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type segment struct {
	first, last uint64 // sequence numbers of its first and last records (last < first: empty)
	path        string
	size        int64
	sizes       []int64 // per record, in order: the frame size
	times       []int64 // per record: spool time
}

// Spool is a durable queue. Append may be called from several goroutines;
// Peek and Ack by one consumer.
type Spool struct {
	o        Options
	mu       sync.Mutex
	space    *sync.Cond // signalled when records are acknowledged or dropped
	segs     []*segment
	w        *os.File // the last segment, open for appending
	next     uint64   // sequence number of the next record
	acked    uint64   // last acknowledged sequence number
	pending  int64    // bytes of unacknowledged records
	closed   bool
	stats    Stats
	frameBuf []byte
}

// Open opens (creating it if needed) the spool in o.Dir and recovers its
// records.
func Open(o Options) (*Spool, error) {
	if o.Dir == "" {
		return nil, errors.New("spool: no directory")
	}
	switch o.WhenFull {
	case "":
		o.WhenFull = Block
	case Block, DropOldest:
	default:
		return nil, fmt.Errorf("spool: when_full %q: want %s or %s", o.WhenFull, Block, DropOldest)
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 16 << 20
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &Spool{o: o}
	s.space = sync.NewCond(&s.mu)
	if err := s.recover(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Spool) recover() error {
	if b, err := os.ReadFile(filepath.Join(s.o.Dir, "cursor")); err == nil {
		n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr != nil {
			return fmt.Errorf("spool: %s: %v", filepath.Join(s.o.Dir, "cursor"), perr)
		}
		s.acked = n
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: %w", err)
	}
	names, err := filepath.Glob(filepath.Join(s.o.Dir, "*.seg"))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	slices.Sort(names)
	s.next = s.acked + 1
	for i, name := range names {
		first, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), ".seg"), 10, 64)
		if err != nil {
			continue // not a segment of ours
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		recs, valid, scanErr := scan(data)
		seg := &segment{first: first, last: first - 1, path: name}
		for _, r := range recs {
			if r.seq != seg.last+1 {
				scanErr = fmt.Errorf("record %d out of sequence", r.seq)
				valid = r.off
				break
			}
			seg.last = r.seq
			seg.sizes = append(seg.sizes, r.size)
			seg.times = append(seg.times, r.time)
		}
		seg.size = valid
		if scanErr != nil {
			if i == len(names)-1 && errors.Is(scanErr, errTorn) {
				s.stats.Truncated += int64(len(data)) - valid
			} else {
				s.stats.Corrupt++
			}
			if err := os.Truncate(name, valid); err != nil {
				return fmt.Errorf("spool: %w", err)
			}
		}
		if seg.last >= seg.first && seg.last >= s.next {
			s.next = seg.last + 1
		}
		s.segs = append(s.segs, seg)
	}
	for _, seg := range s.segs {
		for i, size := range seg.sizes {
			if seg.first+uint64(i) > s.acked {
				s.pending += size
				s.stats.Records++
			}
		}
	}
	s.removeAcked()
	return nil
}

// errTorn: the data ends inside a record.
var errTorn = errors.New("torn record")

type scanned struct {
	seq       uint64
	time      int64
	off, size int64
	data      []byte
}

// scan reads the records of a segment's bytes: those that are whole and
// whose checksum holds, and the length of the valid prefix; err says why
// it stopped before the end (errTorn for a record cut short).
func scan(data []byte) (recs []scanned, valid int64, err error) {
	off := int64(0)
	for off < int64(len(data)) {
		rest := data[off:]
		if len(rest) < headerLen {
			return recs, off, errTorn
		}
		n := int64(binary.LittleEndian.Uint32(rest))
		if n > maxRecord {
			return recs, off, fmt.Errorf("record at %d: length %d", off, n)
		}
		if int64(len(rest)) < headerLen+n {
			return recs, off, errTorn
		}
		sum := binary.LittleEndian.Uint32(rest[4:])
		if crc32.Checksum(rest[8:headerLen+n], castagnoli) != sum {
			return recs, off, fmt.Errorf("record at %d: checksum", off)
		}
		recs = append(recs, scanned{seq: binary.LittleEndian.Uint64(rest[8:]), time: int64(binary.LittleEndian.Uint64(rest[16:])),
			off: off, size: headerLen + n, data: rest[headerLen : headerLen+n]})
		off += headerLen + n
	}
	return recs, off, nil
}

func frame(b []byte, seq uint64, t int64, data []byte) []byte {
	start := len(b)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(t))
	b = append(b, data...)
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(b[start+8:], castagnoli))
	return b
}

// Append spools one record. When the spool is full it blocks until the
// consumer acknowledges enough (or ctx ends), or drops the oldest
// records, as Options.WhenFull says.
func (s *Spool) Append(ctx context.Context, data []byte) error {
	if len(data) > maxRecord {
		return fmt.Errorf("spool: record of %d bytes (at most %d)", len(data), maxRecord)
	}
	size := int64(headerLen + len(data))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.o.MaxBytes > 0 && size > s.o.MaxBytes {
		return fmt.Errorf("spool: record of %d bytes exceeds the cap of %d", size, s.o.MaxBytes)
	}
	for !s.closed && s.o.MaxBytes > 0 && s.pending+size > s.o.MaxBytes {
		if s.o.WhenFull == DropOldest {
			if err := s.dropOldest(); err != nil {
				return err
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		stop := context.AfterFunc(ctx, func() {
			s.mu.Lock()
			s.space.Broadcast()
			s.mu.Unlock()
		})
		s.space.Wait()
		stop()
	}
	if s.closed {
		return ErrClosed
	}
	if err := s.writer(); err != nil {
		return err
	}
	now := time.Now().UnixNano()
	s.frameBuf = frame(s.frameBuf[:0], s.next, now, data)
	if _, err := s.w.Write(s.frameBuf); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	seg := s.segs[len(s.segs)-1]
	seg.last = s.next
	seg.size += size
	seg.sizes = append(seg.sizes, size)
	seg.times = append(seg.times, now)
	s.next++
	s.pending += size
	s.stats.Records++
	s.stats.Appended++
	if s.o.Sync == SyncAlways {
		if err := s.w.Sync(); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	return nil
}

// writer makes sure the last segment is open for appending and below the
// segment size, starting a new one past it.
func (s *Spool) writer() error {
	if s.w != nil {
		if s.segs[len(s.segs)-1].size < s.o.SegmentBytes {
			return nil
		}
		if err := s.closeWriter(); err != nil {
			return err
		}
	}
	if n := len(s.segs); n > 0 && s.segs[n-1].size < s.o.SegmentBytes {
		f, err := os.OpenFile(s.segs[n-1].path, os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("spool: %w", err)
		}
		s.w = f
		return nil
	}
	path := filepath.Join(s.o.Dir, fmt.Sprintf("%020d.seg", s.next))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.w = f
	s.segs = append(s.segs, &segment{first: s.next, last: s.next - 1, path: path})
	return syncDir(s.o.Dir)
}

func (s *Spool) closeWriter() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Sync()
	if cerr := s.w.Close(); err == nil {
		err = cerr
	}
	s.w = nil
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Sync forces the appended records to disk.
func (s *Spool) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return nil
	}
	if err := s.w.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	return nil
}

// Peek returns up to max of the oldest unacknowledged records, in order,
// without consuming them: the consumer sends them and acknowledges the
// last one the destination confirmed.
func (s *Spool) Peek(max int) ([]Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	var out []Record
	si, i := s.locate(s.acked + 1)
	for ; si < len(s.segs) && len(out) < max; si, i = si+1, 0 {
		seg := s.segs[si]
		if i >= len(seg.sizes) {
			continue
		}
		var off, n int64
		for _, size := range seg.sizes[:i] {
			off += size
		}
		k := min(len(seg.sizes)-i, max-len(out))
		for _, size := range seg.sizes[i : i+k] {
			n += size
		}
		buf := make([]byte, n)
		if err := readAt(seg.path, buf, off); err != nil {
			return out, err
		}
		recs, _, err := scan(buf)
		if err != nil || len(recs) != k {
			return out, fmt.Errorf("spool: %s at %d: %d of %d records readable: %v", seg.path, off, len(recs), k, err)
		}
		for _, r := range recs {
			out = append(out, Record{Seq: r.seq, Time: time.Unix(0, r.time), Data: r.data})
		}
	}
	return out, nil
}

func readAt(path string, buf []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	if _, err := f.ReadAt(buf, off); err != nil {
		return fmt.Errorf("spool: %s: %w", path, err)
	}
	return nil
}

// Ack records that every record up to seq was confirmed: the cursor
// advances durably and segments wholly acknowledged are removed.
func (s *Spool) Ack(seq uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if seq <= s.acked {
		return nil
	}
	if seq >= s.next {
		return fmt.Errorf("spool: ack of %d, beyond the last record %d", seq, s.next-1)
	}
	n := s.advance(seq)
	s.stats.Acked += n
	return s.persist()
}

// advance moves the cursor to seq, accounting for the records it passes.
func (s *Spool) advance(seq uint64) int64 {
	var n int64
	si, i := s.locate(s.acked + 1)
	for ; si < len(s.segs); si, i = si+1, 0 {
		seg := s.segs[si]
		for ; i < len(seg.sizes); i++ {
			if seg.first+uint64(i) > seq {
				break
			}
			s.pending -= seg.sizes[i]
			s.stats.Records--
			n++
		}
		if seg.last > seq {
			break
		}
	}
	s.acked = seq
	s.space.Broadcast()
	return n
}

// locate returns the segment index and record index of sequence number
// seq, or of the first record after it.
func (s *Spool) locate(seq uint64) (si, i int) {
	si, _ = slices.BinarySearchFunc(s.segs, seq, func(seg *segment, q uint64) int {
		switch {
		case seg.last < q:
			return -1
		case seg.first > q:
			return 1
		}
		return 0
	})
	if si < len(s.segs) && seq > s.segs[si].first {
		i = int(seq - s.segs[si].first)
	}
	return si, i
}

// dropOldest drops the oldest segment's unacknowledged records (the
// whole segment, or the oldest record of the only one).
func (s *Spool) dropOldest() error {
	for _, seg := range s.segs {
		if seg.last < seg.first || seg.last <= s.acked {
			continue
		}
		upTo := seg.last
		if seg == s.segs[len(s.segs)-1] {
			upTo = s.acked + 1
		}
		s.stats.Dropped += s.advance(upTo)
		return s.persist()
	}
	return errors.New("spool: full with nothing to drop")
}

// persist writes the cursor (to a new file renamed over the old, synced)
// and removes acknowledged segments.
func (s *Spool) persist() error {
	tmp := filepath.Join(s.o.Dir, "cursor.tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	_, err = io.WriteString(f, strconv.FormatUint(s.acked, 10)+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.o.Dir, "cursor"))
	}
	if err == nil {
		err = syncDir(s.o.Dir)
	}
	if err != nil {
		return fmt.Errorf("spool: cursor: %w", err)
	}
	return s.removeAcked()
}

// removeAcked removes the segments whose records are all acknowledged,
// except the one being appended to.
func (s *Spool) removeAcked() error {
	keep := s.segs[:0]
	for i, seg := range s.segs {
		last := i == len(s.segs)-1
		if !last && seg.last <= s.acked {
			if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("spool: %w", err)
			}
			continue
		}
		keep = append(keep, seg)
	}
	s.segs = keep
	return nil
}

// Stats returns the spool's counters.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Bytes = s.pending
	for si, i := s.locate(s.acked + 1); si < len(s.segs); si, i = si+1, 0 {
		if i < len(s.segs[si].times) {
			st.Oldest = time.Unix(0, s.segs[si].times[i])
			break
		}
	}
	return st
}

// Close syncs and closes the spool; blocked appends return ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.space.Broadcast()
	return s.closeWriter()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
