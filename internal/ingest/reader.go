package ingest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/valyala/fastjson"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/source"
)

// Limits on input that would otherwise exhaust memory.
const (
	MaxRecordBytes   = 64 << 20 // one line or one JSON document
	maxEnvelopeDepth = 4
	// problemsPerFile caps detailed messages per file and reason; all are counted.
	problemsPerFile = 20
)

// Settings configure a Reader.
type Settings struct {
	// Formats are the known formats in detection order: the first whose
	// Detect accepts a record reads it.
	Formats []source.Format
	// Force, when set, reads every record with this format, no detection.
	Force source.Format
	// KeepRaw keeps each record's original bytes on its events.
	KeepRaw bool
	// OnProblem is called for each reported problem (it may be nil).
	OnProblem func(Problem)
}

// Reader reads inputs and emits normalized events. A Reader is not safe for
// concurrent use.
type Reader struct {
	set     Settings
	text    []source.TextFormat
	stats   *Stats
	parsers [maxEnvelopeDepth + 2]fastjson.Parser
	emit    source.Emit
	sink    source.Emit // r.deliver, bound once so parsing allocates no closure per record
	emitted int         // events delivered by the record being parsed
	rec     source.Record
	file    string
	shown   map[string]int
	lineBuf []byte
	read    atomic.Int64 // bytes read from streams (compressed size), for progress
}

// BytesRead returns the bytes read so far (before decompression). Safe to
// call from another goroutine, e.g. a progress display.
func (r *Reader) BytesRead() int64 { return r.read.Load() }

// counter counts the bytes read through it.
type counter struct {
	r io.Reader
	n *atomic.Int64
}

func (c counter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// NewReader returns a Reader.
func NewReader(s Settings) *Reader {
	r := &Reader{set: s, stats: newStats()}
	r.sink = r.deliver
	for _, f := range s.Formats {
		if tf, ok := f.(source.TextFormat); ok {
			r.text = append(r.text, tf)
		}
	}
	return r
}

// Stats returns the counts so far.
func (r *Reader) Stats() *Stats { return r.stats }

// ReadPaths reads every path: files, directories (recursively, in name
// order) and "-" for standard input. Inside a directory, hidden files and
// directories and documentation (README, *.md) are passed over and counted
// as ignored; a file named on the command line is always read.
func (r *Reader) ReadPaths(paths []string, emit source.Emit) {
	for _, in := range r.Inputs(paths) {
		if in == "-" {
			r.ReadStream("-", os.Stdin, emit)
			continue
		}
		r.ReadFile(in, emit)
	}
}

// Inputs expands paths into the files to read, in order ("-" stays as it
// is); unreadable paths are reported and counted.
func (r *Reader) Inputs(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "-" {
			out = append(out, p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			r.unreadable(p, err)
			continue
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				r.unreadable(path, err)
				return nil
			}
			if path != p && skipInWalk(d.Name()) {
				r.stats.Ignored["documentation-or-hidden"]++
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			r.unreadable(p, err)
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out
}

// skipInWalk reports a directory entry that is not a log: hidden files and
// directories, and documentation kept beside sample logs.
func skipInWalk(name string) bool {
	if strings.HasPrefix(name, ".") {
		return true
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".md" || ext == ".markdown" || strings.EqualFold(strings.TrimSuffix(name, filepath.Ext(name)), "README")
}

func (r *Reader) unreadable(path string, err error) {
	r.stats.Unread[path] = err
	r.problem(Problem{Origin: event.Origin{File: path, Index: -1}, Reason: ReasonRead, Err: err}, false)
}

// ReadFile reads one file.
func (r *Reader) ReadFile(path string, emit source.Emit) {
	f, err := os.Open(path)
	if err != nil {
		r.unreadable(path, err)
		return
	}
	defer f.Close()
	r.ReadStream(path, f, emit)
}

// ReadStream reads one named stream, transparently decompressing gzip.
func (r *Reader) ReadStream(name string, in io.Reader, emit source.Emit) {
	r.stats.Files++
	r.emit, r.file, r.shown = emit, name, map[string]int{}
	br := getBuf(counter{in, &r.read})
	defer bufPool.Put(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			r.problem(Problem{Origin: r.at(0, -1), Reason: ReasonRead, Err: fmt.Errorf("gzip: %w", err)}, true)
			return
		}
		defer zr.Close()
		zbr := getBuf(zr)
		defer bufPool.Put(zbr)
		br = zbr
	}
	r.readFramed(br)
}

// bufPool recycles the read buffers of streams, which are large enough
// that allocating one per file would dominate reading many small files.
var bufPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256<<10) }}

func getBuf(in io.Reader) *bufio.Reader {
	br := bufPool.Get().(*bufio.Reader)
	br.Reset(in)
	return br
}

func (r *Reader) at(line, index int) event.Origin {
	return event.Origin{File: r.file, Line: line, Index: index}
}

// problem reports p; count says whether it is a skipped record.
func (r *Reader) problem(p Problem, count bool) {
	if count {
		r.stats.Skipped[p.Reason]++
	}
	if r.set.OnProblem == nil {
		return
	}
	if r.shown == nil {
		r.shown = map[string]int{}
	}
	r.shown[p.Reason]++
	switch n := r.shown[p.Reason]; {
	case n <= problemsPerFile:
		r.set.OnProblem(p)
	case n == problemsPerFile+1:
		r.set.OnProblem(Problem{Origin: event.Origin{File: r.file, Index: -1}, Reason: p.Reason, Err: errors.New("further problems of this kind in this file are counted but not shown")})
	}
}

// readLine returns the next line without its newline, reading lines of any
// length up to MaxRecordBytes. tooLong reports a line that was cut.
func (r *Reader) readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	line, err = br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.lineBuf = append(r.lineBuf[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = br.ReadSlice('\n')
			if len(r.lineBuf) < MaxRecordBytes {
				r.lineBuf = append(r.lineBuf, line...)
			} else {
				tooLong = true
			}
		}
		line = r.lineBuf
	}
	line = bytes.TrimRight(line, "\r\n")
	return line, tooLong, err
}

func (r *Reader) readFramed(br *bufio.Reader) {
	// Skip a UTF-8 byte order mark and leading blank space to see what kind of file this is.
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xef, 0xbb, 0xbf}) {
		br.Discard(3)
	}
	lineNo := 0
	var first []byte
	for {
		line, tooLong, err := r.readLine(br)
		if len(bytes.TrimSpace(line)) > 0 || err != nil {
			lineNo++
			first = append([]byte(nil), line...)
			if tooLong {
				r.stats.Records++
				r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonTooLong, Err: fmt.Errorf("line longer than %d bytes", MaxRecordBytes)}, true)
				first = nil
			}
			if err != nil && err != io.EOF {
				r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonRead, Err: err}, false)
			}
			if err != nil && len(bytes.TrimSpace(first)) == 0 {
				return
			}
			if len(bytes.TrimSpace(first)) > 0 {
				break
			}
			continue
		}
		lineNo++
	}
	trimmed := bytes.TrimSpace(first)
	switch {
	case trimmed[0] == '{' || trimmed[0] == '[':
		r.readJSON(br, first, lineNo)
	case bytes.IndexByte(first, 0) >= 0:
		r.stats.Records++
		r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonUnknownFormat, Err: errors.New("binary data, not a log file")}, true)
	default:
		r.readText(br, first, lineNo)
	}
}

// readJSON reads a file that starts with '{' or '['. When its first line is
// a complete JSON value it is read as JSON lines (one record per line, so a
// bad line costs only itself); otherwise the whole file is read as a
// sequence of JSON documents (pretty-printed or concatenated).
func (r *Reader) readJSON(br *bufio.Reader, first []byte, lineNo int) {
	p := &r.parsers[0]
	if v, err := p.ParseBytes(first); err == nil {
		r.handle(v, first, r.at(lineNo, -1), 0)
		r.readJSONLines(br, lineNo)
		return
	}
	// Document mode.
	var buf bytes.Buffer
	buf.Write(first)
	buf.WriteByte('\n')
	_, err := io.Copy(&buf, io.LimitReader(br, MaxRecordBytes*4))
	if err != nil {
		r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonRead, Err: fmt.Errorf("reading stopped: %w; the complete documents before the break are still read", err)}, false)
	}
	r.readDocuments(buf.Bytes(), lineNo)
}

func (r *Reader) readJSONLines(br *bufio.Reader, lineNo int) {
	for {
		line, tooLong, err := r.readLine(br)
		if len(line) > 0 || err == nil {
			lineNo++
		}
		switch {
		case tooLong:
			r.stats.Records++
			r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonTooLong, Err: fmt.Errorf("line longer than %d bytes", MaxRecordBytes)}, true)
		case len(bytes.TrimSpace(line)) == 0:
		default:
			v, perr := r.parsers[0].ParseBytes(line)
			if perr != nil {
				r.stats.Records++
				r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonMalformedJSON, Err: perr}, true)
			} else {
				r.handle(v, line, r.at(lineNo, -1), 0)
			}
		}
		if err != nil {
			if err != io.EOF {
				r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonRead, Err: fmt.Errorf("%w; records after this point are lost", err)}, false)
			}
			return
		}
	}
}

// readDocuments splits data into top-level JSON values and handles each.
func (r *Reader) readDocuments(data []byte, firstLine int) {
	line := firstLine
	off := 0
	for {
		start := skipSpace(data, off)
		line += bytes.Count(data[off:start], []byte{'\n'})
		if start >= len(data) {
			return
		}
		end, ok := valueEnd(data, start)
		doc := data[start:end]
		if !ok {
			r.stats.Records++
			r.problem(Problem{Origin: r.at(line, -1), Reason: ReasonMalformedJSON, Err: errors.New("truncated JSON document: input ends inside it")}, true)
			return
		}
		if v, err := r.parsers[0].ParseBytes(doc); err != nil {
			r.stats.Records++
			r.problem(Problem{Origin: r.at(line, -1), Reason: ReasonMalformedJSON, Err: err}, true)
		} else {
			text := doc
			if bytes.IndexByte(doc, '\n') >= 0 {
				text = nil // pretty-printed: Raw re-serializes compactly
			}
			r.handle(v, text, r.at(line, -1), 0)
		}
		line += bytes.Count(doc, []byte{'\n'})
		off = end
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// valueEnd returns the end of the JSON value starting at b[i]: the matching
// close for objects and arrays, the next space for anything else. ok is
// false when b ends inside the value.
func valueEnd(b []byte, i int) (end int, ok bool) {
	if b[i] != '{' && b[i] != '[' {
		for i < len(b) && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
			i++
		}
		return i, true
	}
	depth := 0
	inStr := false
	for ; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return len(b), false
}

// handle routes one parsed JSON value: envelopes are unwrapped, digests
// ignored, and records detected and parsed.
func (r *Reader) handle(v *fastjson.Value, text []byte, at event.Origin, depth int) {
	switch v.Type() {
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for i, el := range arr {
			sub := at
			sub.Index = i
			r.handle(el, nil, sub, depth+1)
		}
		return
	case fastjson.TypeObject:
	default:
		r.stats.Records++
		r.problem(Problem{Origin: at, Reason: ReasonNotObject, Err: fmt.Errorf("got a JSON %s", v.Type())}, true)
		return
	}
	if depth < maxEnvelopeDepth {
		if r.unwrap(v, at, depth) {
			return
		}
	}
	r.stats.Records++
	f := r.set.Force
	if f == nil {
		f = r.detect(v)
		if f == nil {
			r.problem(Problem{Origin: at, Reason: ReasonUnknownFormat, Err: errors.New("no known log format matches this record (use --format to force one)")}, true)
			return
		}
	}
	r.parse(f, r.record(v, text, at))
}

func (r *Reader) detect(v *fastjson.Value) source.Format {
	for _, f := range r.set.Formats {
		if f.Detect(v) {
			return f
		}
	}
	return nil
}

// unwrap handles generic envelopes and reports whether v was one.
func (r *Reader) unwrap(v *fastjson.Value, at event.Origin, depth int) bool {
	o, _ := v.Object()
	// One pass over the keys finds every envelope marker; looking each up
	// would scan all keys of every ordinary record several times.
	var digestStart, digestEnd bool
	var recs, entries, msg *fastjson.Value
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch string(k) {
		case "digestStartTime":
			digestStart = true
		case "digestEndTime":
			digestEnd = true
		case "Records", "records":
			if recs == nil && x.Type() == fastjson.TypeArray {
				recs = x
			}
		case "entries", "logEntries":
			if x.Type() == fastjson.TypeArray {
				entries = x
			}
		case "message":
			msg = x
		}
	})
	// CloudTrail digest files are integrity metadata, not activity.
	if digestStart && digestEnd {
		r.stats.Ignored["cloudtrail-digest"]++
		return true
	}
	// Cloud Logging API answers ({"entries":[...],"nextPageToken":...})
	// and exporters' batches of LogEntries ({"logEntries":[...], ...}).
	if recs == nil && entries != nil && (o.Len() <= 2 || logEntry(entries.Get("0"))) {
		recs = entries
	}
	if recs != nil && (o.Len() <= 2 || recs == entries) {
		arr, _ := recs.Array()
		for i, el := range arr {
			sub := at
			sub.Index = i
			r.handle(el, nil, sub, depth+1)
		}
		return true
	}
	// Pub/Sub push and pull messages: {"message":{"data":"<base64>"}, "subscription":...}.
	if msg != nil && msg.Type() == fastjson.TypeObject {
		data := msg.Get("data")
		if data == nil || data.Type() != fastjson.TypeString {
			return false
		}
		b64, _ := data.StringBytes()
		raw, err := decodeBase64(b64)
		if err != nil {
			r.stats.Records++
			r.problem(Problem{Origin: at, Reason: ReasonEnvelope, Err: fmt.Errorf("field \"message.data\": not base64: %v", err)}, true)
			return true
		}
		inner, err := r.parsers[depth+1].ParseBytes(raw)
		if err != nil {
			r.stats.Records++
			r.problem(Problem{Origin: at, Reason: ReasonEnvelope, Err: fmt.Errorf("field \"message.data\": decoded data is not JSON: %v", err)}, true)
			return true
		}
		r.handle(inner, raw, at, depth+1)
		return true
	}
	return false
}

// logEntry reports a Cloud Logging LogEntry: every one has a logName and
// an insertId.
func logEntry(v *fastjson.Value) bool {
	return v != nil && v.Type() == fastjson.TypeObject && v.Get("logName") != nil && v.Get("insertId") != nil
}

func decodeBase64(b []byte) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out := make([]byte, enc.DecodedLen(len(b)))
		n, err := enc.Decode(out, b)
		if err == nil {
			return out[:n], nil
		}
	}
	_, err := base64.StdEncoding.DecodeString(string(b))
	return nil, err
}

// count finishes an event the way every format's events are finished and
// counts it.
func (r *Reader) count(e *event.Event) {
	e.Action = event.CanonicalAction(e.Dataset, e.Action)
	r.stats.Events++
	r.stats.ByDataset[e.Dataset]++
	if e.Time.IsZero() {
		r.stats.NoTime++
	}
}

// deliver counts and passes on one event of the record being parsed.
func (r *Reader) deliver(e *event.Event) {
	r.emitted++
	r.count(e)
	r.emit(e)
	e.Record = nil // its parser is reused for the next record
}

// record returns the reusable Record, reset; formats do not keep it past
// Parse.
func (r *Reader) record(v *fastjson.Value, text []byte, at event.Origin) *source.Record {
	r.rec = source.Record{JSON: v, Text: text, Origin: at, KeepRaw: r.set.KeepRaw}
	return &r.rec
}

// failed accounts for a record whose parse produced no event: ignored on
// purpose, or a problem.
func (r *Reader) failed(name string, at event.Origin, err error) {
	var ign source.Ignore
	if errors.As(err, &ign) {
		r.stats.Ignored[ign.Reason]++
		return
	}
	r.problem(Problem{Origin: at, Reason: ReasonInvalid, Err: fmt.Errorf("%s: %w", name, err)}, true)
}

func (r *Reader) parse(f source.Format, rec *source.Record) {
	r.stats.ByFormat[f.Name()]++
	r.emitted = 0
	if err := f.Parse(rec, r.sink); err != nil && r.emitted == 0 {
		r.failed(f.Name(), rec.Origin, err)
	}
}

// readText reads a line-oriented file with the first text format that
// recognizes its first line.
func (r *Reader) readText(br *bufio.Reader, first []byte, lineNo int) {
	var tf source.TextFormat
	if r.set.Force != nil {
		var ok bool
		if tf, ok = r.set.Force.(source.TextFormat); !ok {
			r.stats.Records++
			r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonUnknownFormat, Err: fmt.Errorf("format %s reads JSON, and this file is text", r.set.Force.Name())}, true)
			return
		}
	} else {
		for _, t := range r.text {
			if t.DetectText(first) {
				tf = t
				break
			}
		}
	}
	if tf == nil {
		n := 1
		for {
			line, _, err := r.readLine(br)
			if len(bytes.TrimSpace(line)) > 0 {
				n++
			}
			if err != nil {
				break
			}
		}
		r.stats.Records += n
		r.stats.Skipped[ReasonUnknownFormat] += n
		r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonUnknownFormat, Err: fmt.Errorf("text in no known format (%d lines skipped): %.80q", n, first)}, false)
		return
	}
	dec, header := tf.NewTextDecoder(first)
	if !header {
		r.textRecord(tf, dec, first, lineNo)
	}
	for {
		line, tooLong, err := r.readLine(br)
		if len(line) > 0 || err == nil {
			lineNo++
		}
		switch {
		case tooLong:
			r.stats.Records++
			r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonTooLong, Err: fmt.Errorf("line longer than %d bytes", MaxRecordBytes)}, true)
		case len(bytes.TrimSpace(line)) > 0:
			r.textRecord(tf, dec, line, lineNo)
		}
		if err != nil {
			if err != io.EOF {
				r.problem(Problem{Origin: r.at(lineNo, -1), Reason: ReasonRead, Err: fmt.Errorf("%w; records after this point are lost", err)}, false)
			}
			return
		}
	}
}

func (r *Reader) textRecord(tf source.TextFormat, dec source.TextDecoder, line []byte, lineNo int) {
	r.stats.Records++
	r.stats.ByFormat[tf.Name()]++
	rec := r.record(nil, line, r.at(lineNo, -1))
	r.emitted = 0
	if err := dec.ParseLine(rec, r.sink); err != nil && r.emitted == 0 {
		r.failed(tf.Name(), rec.Origin, err)
	}
}
