package boltstore

import (
	"io"
	"os"

	"github.com/parlorhq/parlor/internal/wal"
)

// The log file (Open's path + ".log") holds the writes the bbolt file may
// not have yet: internal/wal frames, syncs and scans it (its package
// comment describes the file); the payloads are ops (see op.go).

// frameSize is the size of a record's frame before its payload.
const frameSize = wal.FrameSize

// errEndOfLog ends a scan: the bytes at the offset are not a whole,
// intact record.
var errEndOfLog = wal.ErrEndOfLog

// logFile is the store's open log, with its file and its size at open at
// hand for the tests that read, damage or close it.
type logFile struct {
	*wal.Log
	f    *os.File
	size int64
}

// openLog opens the log file at path, or creates it preallocated to size
// bytes of zeros (see wal.Open).
func openLog(path string, size int64, mode os.FileMode) (*logFile, error) {
	l, err := wal.Open(path, size, mode)
	if err != nil {
		return nil, err
	}
	return &logFile{Log: l, f: l.File(), size: l.Size()}, nil
}

// readRecord reads the record at off in r, which must end by limit (see
// wal.ReadRecord).
func (l *logFile) readRecord(r io.ReaderAt, off, limit int64) (gen uint64, payload []byte, next int64, err error) {
	return wal.ReadRecord(r, off, limit)
}

// close closes the file.
func (l *logFile) close() error { return l.Close() }
