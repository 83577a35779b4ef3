package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The log file (Open's path + ".log") holds the writes the bbolt file may
// not have yet. It is preallocated with zeros to Options.LogSize, so that
// appending to it changes no file metadata and one fdatasync makes a
// batch durable. It is used in two halves, in turn: the writer fills one
// with a generation's records, then starts the next generation at the top
// of the other, once the bbolt file has applied what that half held.
// Records are framed as
//
//	length  uint32  length of payload
//	crc     uint32  CRC-32C of generation ‖ payload
//	gen     uint64  the log's generation
//	payload         an op (see op.go)
//
// all little-endian, one after the other from the top of a half. Each
// time a half is used again it takes a new generation, so the records of
// an older generation left further on are not read as this one's: a scan
// stops at the first record that is torn, fails its CRC, belongs to
// another generation or would cross the end of the half.

// frameSize is the size of a record's frame before its payload.
const frameSize = 16

// crcTable is the CRC-32C (Castagnoli) table of the records.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// logFile is the open log file.
type logFile struct {
	f    *os.File
	size int64 // the size in use
	old  bool  // the file was there already: it may hold records
	want int64 // with old, the size asked for, taken by reset
}

// openLog opens the log file at path, or creates it preallocated to size
// bytes of zeros. A file that was there keeps its size until reset (its
// records are where its own size put them).
func openLog(path string, size int64, mode os.FileMode) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, mode)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if have := st.Size(); have > 0 {
		return &logFile{f: f, size: have, old: true, want: size}, nil
	}
	if err := zeroFill(f, 0, size); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("preallocate: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &logFile{f: f, size: size}, nil
}

// reset clears a log that was there at open, once its records are
// applied, and takes the size asked for.
func (l *logFile) reset() error {
	if !l.old {
		return nil
	}
	if err := zeroFill(l.f, 0, max(l.size, l.want)); err != nil {
		return err
	}
	l.size, l.old = l.want, false
	return nil
}

// zeroFill writes zeros to f from offset from to to and syncs it: written
// blocks, unlike a hole or fallocate's unwritten extents, need no
// metadata update when a record later overwrites them.
func zeroFill(f *os.File, from, to int64) error {
	zeros := make([]byte, 1<<20)
	for off := from; off < to; {
		n := min(int64(len(zeros)), to-off)
		if _, err := f.WriteAt(zeros[:n], off); err != nil {
			return err
		}
		off += n
	}
	return f.Sync()
}

// syncDir syncs a directory, so that a file created in it stays.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// appendRecord appends the framed record of payload in generation gen to
// buf.
func appendRecord(buf []byte, gen uint64, payload []byte) []byte {
	var g [8]byte
	binary.LittleEndian.PutUint64(g[:], gen)
	crc := crc32.Update(crc32.Checksum(g[:], crcTable), crcTable, payload)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint32(buf, crc)
	buf = append(buf, g[:]...)
	return append(buf, payload...)
}

// recordSize is the size of payload's record, framed.
func recordSize(payload []byte) int64 { return frameSize + int64(len(payload)) }

// errEndOfLog ends a scan: the bytes at the offset are not a whole,
// intact record of the generation scanned.
var errEndOfLog = errors.New("boltstore: end of log")

// half returns the bounds of half h (0 or 1) of the log.
func (l *logFile) half(h int) (start, end int64) {
	mid := l.size / 2
	if h == 0 {
		return 0, mid
	}
	return mid, 2 * mid
}

// readRecord reads the record at off, which must end by limit. It
// returns its generation, its payload and the offset after it, or
// errEndOfLog if there is no intact record at off.
func (l *logFile) readRecord(r io.ReaderAt, off, limit int64) (gen uint64, payload []byte, next int64, err error) {
	var fr [frameSize]byte
	if off+frameSize > limit {
		return 0, nil, 0, errEndOfLog
	}
	if _, err := r.ReadAt(fr[:], off); err != nil {
		return 0, nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(fr[0:4]))
	crc := binary.LittleEndian.Uint32(fr[4:8])
	gen = binary.LittleEndian.Uint64(fr[8:16])
	if n == 0 || off+frameSize+n > limit {
		return 0, nil, 0, errEndOfLog
	}
	payload = make([]byte, n)
	if _, err := r.ReadAt(payload, off+frameSize); err != nil {
		return 0, nil, 0, err
	}
	if crc32.Update(crc32.Checksum(fr[8:16], crcTable), crcTable, payload) != crc {
		return 0, nil, 0, errEndOfLog
	}
	return gen, payload, off + frameSize + n, nil
}

// scan returns the payloads of generation gen's records from off on, up
// to the first that is torn, fails its CRC, is of another generation or
// crosses limit, and the offset after the last one read.
func (l *logFile) scan(gen uint64, off, limit int64) (payloads [][]byte, end int64, err error) {
	for {
		g, p, next, err := l.readRecord(l.f, off, limit)
		if errors.Is(err, errEndOfLog) || err == nil && g != gen {
			return payloads, off, nil
		}
		if err != nil {
			return nil, 0, err
		}
		payloads = append(payloads, p)
		off = next
	}
}

// firstGen returns the generation of the first record of half h, and
// false if there is no intact one.
func (l *logFile) firstGen(h int) (uint64, bool, error) {
	start, end := l.half(h)
	g, _, _, err := l.readRecord(l.f, start, end)
	if errors.Is(err, errEndOfLog) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return g, true, nil
}

// write writes b at off and syncs the file's data.
func (l *logFile) write(b []byte, off int64) error {
	if _, err := l.f.WriteAt(b, off); err != nil {
		return err
	}
	return fdatasync(l.f)
}

// close closes the file.
func (l *logFile) close() error { return l.f.Close() }
