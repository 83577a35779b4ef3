package wal

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
)

// FrameSize is the size of a record's frame before its payload.
const FrameSize = 16

// crcTable is the CRC-32C (Castagnoli) table of the records.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrEndOfLog ends a scan: the bytes at the offset are not a whole,
// intact record.
var ErrEndOfLog = errors.New("wal: end of log")

// AppendRecord appends the framed record of payload in generation gen to
// buf.
func AppendRecord(buf []byte, gen uint64, payload []byte) []byte {
	var g [8]byte
	binary.LittleEndian.PutUint64(g[:], gen)
	crc := crc32.Update(crc32.Checksum(g[:], crcTable), crcTable, payload)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(payload)))
	buf = binary.LittleEndian.AppendUint32(buf, crc)
	buf = append(buf, g[:]...)
	return append(buf, payload...)
}

// RecordSize is the size of payload's record, framed.
func RecordSize(payload []byte) int64 { return FrameSize + int64(len(payload)) }

// ReadRecord reads the record at off in r, which must end by limit. It
// returns its generation, its payload and the offset after it, or
// ErrEndOfLog if there is no intact record at off.
func ReadRecord(r io.ReaderAt, off, limit int64) (gen uint64, payload []byte, next int64, err error) {
	var fr [FrameSize]byte
	if off+FrameSize > limit {
		return 0, nil, 0, ErrEndOfLog
	}
	if _, err := r.ReadAt(fr[:], off); err != nil {
		return 0, nil, 0, err
	}
	n := int64(binary.LittleEndian.Uint32(fr[0:4]))
	crc := binary.LittleEndian.Uint32(fr[4:8])
	gen = binary.LittleEndian.Uint64(fr[8:16])
	if n == 0 || off+FrameSize+n > limit {
		return 0, nil, 0, ErrEndOfLog
	}
	payload = make([]byte, n)
	if _, err := r.ReadAt(payload, off+FrameSize); err != nil {
		return 0, nil, 0, err
	}
	if crc32.Update(crc32.Checksum(fr[8:16], crcTable), crcTable, payload) != crc {
		return 0, nil, 0, ErrEndOfLog
	}
	return gen, payload, off + FrameSize + n, nil
}
