package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// An op is one write to the store, as the log records it and as it is
// applied to the bbolt file: a match's creation or an Append. Its payload
// (a log record's) is
//
//	kind    byte     opCreate or opAppend
//	match   uint16 length ‖ bytes
//	create: the MatchInfo, msgpack, to the end
//	append: count uint32, then per entry seq uint64 ‖ length uint32 ‖
//	        the Entry, msgpack; then length uint32 ‖ the FinishedGame,
//	        msgpack (length 0: none)
//
// integers big-endian.
type op struct {
	kind  byte
	match string
	info  []byte   // opCreate: the MatchInfo, encoded
	seqs  []uint64 // opAppend: the entries' seqs
	vals  [][]byte // opAppend: the entries, encoded
	fin   []byte   // opAppend: the FinishedGame, encoded, or nil

	// Set by the log writer: the op's number, its record's generation,
	// the offsets of the record and after it, the bytes the writer had
	// gone through after it (Store.written), and when the log's sync
	// covering it returned.
	lsn    uint64
	gen    uint64
	start  int64
	end    int64
	pos    int64
	logged time.Time
}

// Kinds of op.
const (
	opCreate = 'C'
	opAppend = 'A'
)

// errBadOp: a log record's payload does not decode as an op.
var errBadOp = errors.New("boltstore: bad log record")

// createOp returns the op that creates m.
func createOp(m *games.MatchInfo) (*op, error) {
	if err := checkIDs(m.ID, m.Players); err != nil {
		return nil, err
	}
	raw, err := msgpack.Marshal(m)
	if err != nil {
		return nil, err
	}
	return &op{kind: opCreate, match: m.ID, info: raw}, nil
}

// appendOp returns the op of w, encoded so that it shares nothing with w.
func appendOp(w *games.Write) (*op, error) {
	if err := checkIDs(w.Match, nil); err != nil {
		return nil, err
	}
	o := &op{kind: opAppend, match: w.Match, seqs: make([]uint64, len(w.Entries)), vals: make([][]byte, len(w.Entries))}
	for i := range w.Entries {
		raw, err := msgpack.Marshal(&w.Entries[i])
		if err != nil {
			return nil, err
		}
		o.seqs[i], o.vals[i] = w.Entries[i].Seq, raw
	}
	if w.Finished != nil {
		raw, err := msgpack.Marshal(w.Finished)
		if err != nil {
			return nil, err
		}
		if err := checkFinished(w.Match, w.Finished, raw); err != nil {
			return nil, err
		}
		o.fin = raw
	}
	return o, nil
}

// payload appends o's log payload to b.
func (o *op) payload(b []byte) []byte {
	b = append(b, o.kind)
	b = part(b, o.match)
	if o.kind == opCreate {
		return append(b, o.info...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(o.vals)))
	for i, v := range o.vals {
		b = binary.BigEndian.AppendUint64(b, o.seqs[i])
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(o.fin)))
	return append(b, o.fin...)
}

// decodeOp decodes a log payload.
func decodeOp(p []byte) (*op, error) {
	r := reader{b: p}
	o := &op{kind: r.byte()}
	o.match = string(r.bytes(int(r.uint16())))
	switch o.kind {
	case opCreate:
		o.info = r.bytes(len(r.b))
	case opAppend:
		n := int(r.uint32())
		if n > len(r.b)/12 {
			return nil, errBadOp
		}
		o.seqs, o.vals = make([]uint64, n), make([][]byte, n)
		for i := range n {
			o.seqs[i] = r.uint64()
			o.vals[i] = r.bytes(int(r.uint32()))
		}
		if f := r.bytes(int(r.uint32())); len(f) > 0 {
			o.fin = f
		}
	default:
		return nil, errBadOp
	}
	if r.bad || len(r.b) > 0 {
		return nil, errBadOp
	}
	return o, nil
}

// reader reads a payload; once it runs short it is bad and reads zeros.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.bad, r.b = true, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if v := r.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint16() uint16 {
	if v := r.bytes(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if v := r.bytes(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// apply applies o to the bbolt file in tx, checking it as Create and
// Append do (the writer checked it already against the writes before it).
// With replay, an op the file has already (a creation of a match it has,
// entries at or below the match's head) is skipped: a restart replays the
// log from before the oldest op the applier held, and the ops after that
// one may have been applied.
func (o *op) apply(tx *bolt.Tx, replay bool) error {
	id := []byte(o.match)
	matches := tx.Bucket(bucketMatches)
	if o.kind == opCreate {
		if matches.Get(id) != nil {
			if replay {
				return nil
			}
			return games.ErrMatchExists
		}
		return matches.Put(id, o.info)
	}
	if matches.Get(id) == nil {
		return games.ErrNotFound
	}
	heads := tx.Bucket(bucketHeads)
	head := storedHead(heads, id)
	if replay && len(o.seqs) > 0 && o.seqs[0] <= head {
		return nil // applied, with its finished game if any, in one transaction
	}
	for i, seq := range o.seqs {
		if seq != head+uint64(i)+1 {
			return games.ErrSeqConflict
		}
	}
	log := tx.Bucket(bucketLog)
	for i, v := range o.vals {
		if err := log.Put(logKey(o.match, o.seqs[i]), v); err != nil {
			return err
		}
	}
	if n := len(o.seqs); n > 0 {
		if err := heads.Put(id, binary.BigEndian.AppendUint64(nil, o.seqs[n-1])); err != nil {
			return err
		}
	}
	if o.fin == nil {
		return nil
	}
	var g games.FinishedGame
	if err := msgpack.Unmarshal(o.fin, &g); err != nil {
		return fmt.Errorf("boltstore: finished game of %q: %w", o.match, err)
	}
	return putFinished(tx, &g, o.fin)
}

// storedHead is the seq of the newest entry of match id in heads, 0 if
// none.
func storedHead(heads *bolt.Bucket, id []byte) uint64 {
	if v := heads.Get(id); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
