package fanotify

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The layout of what read(2) returns on a fanotify descriptor
// (include/uapi/linux/fanotify.h). Numbers are in the CPU's byte order.
const (
	metadataVersion = 3  // FANOTIFY_METADATA_VERSION
	metadataLen     = 24 // sizeof(struct fanotify_event_metadata)
	infoHeaderLen   = 4  // sizeof(struct fanotify_event_info_header)
	fidHeaderLen    = 12 // info header + __kernel_fsid_t
	handleHeaderLen = 8  // struct file_handle without f_handle
	maxHandleBytes  = 128

	infoFID         = 1  // FAN_EVENT_INFO_TYPE_FID
	infoDFIDName    = 2  // FAN_EVENT_INFO_TYPE_DFID_NAME
	infoDFID        = 3  // FAN_EVENT_INFO_TYPE_DFID
	infoOldDFIDName = 10 // FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
	infoNewDFIDName = 12 // FAN_EVENT_INFO_TYPE_NEW_DFID_NAME
)

// Event masks (the kernel's FAN_* bits).
const (
	maskAccess     = 0x1
	maskModify     = 0x2
	maskAttrib     = 0x4
	maskCloseWrite = 0x8
	maskOpen       = 0x20
	maskOpenExec   = 0x1000
	maskMovedFrom  = 0x40
	maskMovedTo    = 0x80
	maskCreate     = 0x100
	maskDelete     = 0x200
	maskOverflow   = 0x4000
	maskRename     = 0x10000000
	maskOnDir      = 0x40000000
)

// fid is a file identifier from an info record: the filesystem id and a
// file handle. handle and raw point into the read buffer.
type fid struct {
	fsid   uint64 // __kernel_fsid_t as one number (val[0] in the low half)
	htype  int32  // the handle's type (FILEID_* of the filesystem)
	handle []byte // f_handle
	raw    []byte // struct file_handle as open_by_handle_at wants it: handle_bytes, handle_type, f_handle
}

func (f *fid) valid() bool { return f.raw != nil }

// event is one parsed fanotify event. Its slices point into the buffer it
// was parsed from and are valid until that buffer is reused.
type event struct {
	mask uint64
	fd   int32
	pid  int32

	// dir and name: the parent directory and the entry's name (DFID_NAME),
	// or the directory alone (DFID, name empty).
	dir  fid
	name []byte
	// file: the object itself (FID).
	file fid
	// rename's old and new parent and names (OLD_DFID_NAME, NEW_DFID_NAME).
	oldDir, newDir   fid
	oldName, newName []byte
}

func (e *event) reset() {
	*e = event{}
}

// Errors of parseEvent.
var (
	errShort   = errors.New("fanotify: truncated event")
	errVersion = errors.New("fanotify: unknown metadata version")
)

// parseEvent parses the first event in b into e and returns its length.
// Info records of types it does not know are skipped.
func parseEvent(b []byte, e *event) (int, error) {
	e.reset()
	if len(b) < metadataLen {
		return 0, errShort
	}
	ne := binary.NativeEndian
	evLen := int(ne.Uint32(b))
	vers := b[4]
	mdLen := int(ne.Uint16(b[6:]))
	if vers != metadataVersion {
		return 0, fmt.Errorf("%w %d", errVersion, vers)
	}
	if mdLen < metadataLen || evLen < mdLen || evLen > len(b) {
		return 0, fmt.Errorf("fanotify: event length %d, metadata length %d in %d bytes", evLen, mdLen, len(b))
	}
	e.mask = ne.Uint64(b[8:])
	e.fd = int32(ne.Uint32(b[16:]))
	e.pid = int32(ne.Uint32(b[20:]))
	info := b[mdLen:evLen]
	for len(info) > 0 {
		if len(info) < infoHeaderLen {
			return 0, fmt.Errorf("fanotify: %d stray bytes after info records", len(info))
		}
		typ := info[0]
		l := int(ne.Uint16(info[2:]))
		if l < infoHeaderLen || l > len(info) {
			return 0, fmt.Errorf("fanotify: info record of type %d has length %d in %d bytes", typ, l, len(info))
		}
		rec := info[:l]
		info = info[l:]
		switch typ {
		case infoFID, infoDFID, infoDFIDName, infoOldDFIDName, infoNewDFIDName:
		default:
			continue
		}
		f, name, err := parseFID(rec, typ != infoFID && typ != infoDFID)
		if err != nil {
			return 0, err
		}
		switch typ {
		case infoFID:
			e.file = f
		case infoDFID:
			e.dir = f
		case infoDFIDName:
			e.dir, e.name = f, name
		case infoOldDFIDName:
			e.oldDir, e.oldName = f, name
		case infoNewDFIDName:
			e.newDir, e.newName = f, name
		}
	}
	return evLen, nil
}

// parseFID parses a fanotify_event_info_fid record, and the name after its
// handle when withName is set.
func parseFID(rec []byte, withName bool) (fid, []byte, error) {
	ne := binary.NativeEndian
	if len(rec) < fidHeaderLen+handleHeaderLen {
		return fid{}, nil, fmt.Errorf("fanotify: fid record of type %d is %d bytes", rec[0], len(rec))
	}
	var f fid
	f.fsid = uint64(ne.Uint32(rec[4:])) | uint64(ne.Uint32(rec[8:]))<<32
	fh := rec[fidHeaderLen:]
	hb := int(ne.Uint32(fh))
	if hb > maxHandleBytes || handleHeaderLen+hb > len(fh) {
		return fid{}, nil, fmt.Errorf("fanotify: file handle of %d bytes in a %d-byte record", hb, len(rec))
	}
	f.htype = int32(ne.Uint32(fh[4:]))
	f.handle = fh[handleHeaderLen : handleHeaderLen+hb]
	f.raw = fh[:handleHeaderLen+hb]
	var name []byte
	if withName {
		rest := fh[handleHeaderLen+hb:]
		end := -1
		for i, c := range rest {
			if c == 0 {
				end = i
				break
			}
		}
		if end < 0 {
			return fid{}, nil, fmt.Errorf("fanotify: name in record of type %d is not terminated", rec[0])
		}
		name = rest[:end]
	}
	return f, name, nil
}
