package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// An op is one write as the log holds it: its kind and its arguments,
// everything that running it on the bbolt file depends on besides the
// file itself (entry times come from the entries, never from the clock),
// so that running it again at recovery, or when the open transaction is
// rebuilt, changes the file as it did the first time.
//
// Payloads are a kind byte, then the fields of the kind in order:
// strings and byte strings length-prefixed (uvarint), numbers uvarint.
//
//	opAppend    room, entry (encodeEntry), flags, [update seq, update],
//	            [room record (msgpack)], [reader, read seq]
//	opRead      room, user, seq
//	opSettings  room, user, settings byte
//	opTrim      rule count, [kind, before, keep]..., room count, [room]...
type op struct {
	kind byte
	room string

	// opAppend.
	w      chat.Write
	entry  []byte // w.Entry encoded
	update []byte // w.Update encoded
	info   []byte // w.Room encoded
	readK  []byte // the receipt key of w.Read

	// opRead and opSettings.
	user     string
	seq      uint64
	settings chat.Settings

	// opTrim.
	rules map[string]chat.TrimRule
	rooms [][]byte

	// Set by the writer: the op's number since Open, and the log
	// position after its record (generation, offset).
	lsn uint64
	gen uint64
	end int64
	// keys are what the op changes, for reads (see read.go): its room,
	// and for an Append its client message id and the entry it updates;
	// 0: none. all: it changes what any read may see (a user's inbox
	// index, several rooms).
	keys [3]uint64
	all  bool
	// checked: the writer checked the op (check.go), so applying it need
	// not look for its client message id again; false in a replay.
	checked bool
	// readMoves: the writer found that the op's receipt (w.Read) moves
	// the read seq forward, so applying it need not read the seq again;
	// set only if checked.
	readMoves bool

	// Results, set from scratch each time the op runs.
	dup     *chat.Message // Append found the client message id stored: the stored entry
	readSeq uint64        // SetRead's read seq
	removed int           // Trim's removed entries
	err     error         // Trim's error, from the applier
}

// Op kinds.
const (
	opAppend   = 'a'
	opRead     = 'r'
	opSettings = 's'
	opTrim     = 't'
)

// Flags of an opAppend payload.
const (
	appendUpdate = 1 << iota
	appendRoom
	appendRead
)

// refusal is the error of an op that refused before changing the
// transaction: the writer answers it without rebuilding the transaction.
type refusal struct{ err error }

func (r refusal) Error() string { return r.err.Error() }
func (r refusal) Unwrap() error { return r.err }

// refuse wraps err as a refusal.
func refuse(err error) error { return refusal{err} }

// unrefuse returns the error a caller sees, and whether it was a refusal.
func unrefuse(err error) (error, bool) {
	var r refusal
	if errors.As(err, &r) {
		return r.err, true
	}
	return err, false
}

// apply runs o in tx. An op other than an append first writes out what
// the appends before it left in s.cache (apply.go).
func (s *Store) apply(tx *bolt.Tx, o *op) error {
	if o.kind != opAppend {
		if err := s.cache.flush(tx); err != nil {
			return err
		}
	}
	switch o.kind {
	case opAppend:
		return s.applyAppend(tx, o)
	case opRead:
		var err error
		o.readSeq, err = setRead(tx, o.room, o.user, o.seq)
		return err
	case opSettings:
		return applySettings(tx, o.room, o.user, o.settings)
	case opTrim:
		o.removed = 0
		for _, room := range o.rooms {
			k, err := trimRoom(tx, string(room), o.rules)
			if err != nil {
				return err
			}
			o.removed += k
		}
		return nil
	}
	return fmt.Errorf("boltstore: unknown op %q", o.kind)
}

// payload appends o's payload to b.
func (o *op) payload(b []byte) []byte {
	b = append(b, o.kind)
	switch o.kind {
	case opAppend:
		b = key(b, o.room)
		b = bkey(b, o.entry)
		var flags byte
		if o.w.Update != nil {
			flags |= appendUpdate
		}
		if o.w.Room != nil {
			flags |= appendRoom
		}
		if o.w.Read != nil {
			flags |= appendRead
		}
		b = append(b, flags)
		if o.w.Update != nil {
			b = binary.AppendUvarint(b, o.w.Update.Seq)
			b = bkey(b, o.update)
		}
		if o.w.Room != nil {
			b = bkey(b, o.info)
		}
		if o.w.Read != nil {
			b = key(b, o.w.Read.User)
			b = binary.AppendUvarint(b, o.w.Read.Seq)
		}
	case opRead:
		b = key(key(b, o.room), o.user)
		b = binary.AppendUvarint(b, o.seq)
	case opSettings:
		b = key(key(b, o.room), o.user)
		b = append(b, encodeSettings(o.settings))
	case opTrim:
		b = binary.AppendUvarint(b, uint64(len(o.rules)))
		for kind, r := range o.rules {
			b = key(b, kind)
			b = binary.AppendUvarint(b, uint64(r.Before))
			b = binary.AppendUvarint(b, r.Keep)
		}
		b = binary.AppendUvarint(b, uint64(len(o.rooms)))
		for _, room := range o.rooms {
			b = bkey(b, room)
		}
	}
	return b
}

// bkey appends v to b length-prefixed, like key.
func bkey(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// errBadOp: a payload that does not decode.
var errBadOp = errors.New("boltstore: malformed log record")

// reader decodes a payload's fields; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errBadOp, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err, r.b = errBadOp, nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.err = errBadOp
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) string() string { return string(r.bytes()) }

// decodeOp decodes a payload. The op's byte fields share p's memory.
func decodeOp(p []byte) (*op, error) {
	r := &reader{b: p}
	o := &op{kind: r.byte()}
	switch o.kind {
	case opAppend:
		o.room = r.string()
		o.entry = r.bytes()
		flags := r.byte()
		if r.err != nil {
			return nil, r.err
		}
		e, err := decodeEntry(o.room, o.entry)
		if err != nil {
			return nil, err
		}
		o.w.Entry = e
		if flags&appendUpdate != 0 {
			o.w.Update = &chat.Message{Room: o.room, Seq: r.uvarint()}
			o.update = r.bytes()
		}
		if flags&appendRoom != 0 {
			o.info = r.bytes()
			var info chat.RoomInfo
			if r.err == nil {
				if err := codec.UnmarshalData(o.info, &info); err != nil {
					return nil, err
				}
			}
			o.w.Room = &info
		}
		if flags&appendRead != 0 {
			o.w.Read = &chat.Receipt{User: r.string(), Seq: r.uvarint()}
			o.readK = readKey(o.room, o.w.Read.User)
		}
	case opRead:
		o.room, o.user, o.seq = r.string(), r.string(), r.uvarint()
	case opSettings:
		o.room, o.user = r.string(), r.string()
		o.settings = decodeSettings([]byte{r.byte()})
	case opTrim:
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			return nil, errBadOp
		}
		o.rules = make(map[string]chat.TrimRule, n)
		for range n {
			kind := r.string()
			o.rules[kind] = chat.TrimRule{Before: int64(r.uvarint()), Keep: r.uvarint()}
		}
		n = r.uvarint()
		if n > uint64(len(r.b)) {
			return nil, errBadOp
		}
		for range n {
			o.rooms = append(o.rooms, r.bytes())
		}
	default:
		return nil, fmt.Errorf("boltstore: unknown op %q", o.kind)
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errBadOp
	}
	return o, nil
}
