package codec

import (
	"encoding/binary"
	"sync"
	"unicode/utf8"
)

// Field length limits enforced while decoding frames. Longer values are
// rejected with ErrFieldTooLong before anything reaches a room.
const (
	// MaxIDLen bounds room, session, user and client message ids.
	MaxIDLen = 128
	// MaxNameLen bounds kinds, event names, codes and the client name.
	MaxNameLen = 64
	// MaxTextLen bounds error messages and left reasons.
	MaxTextLen = 1024
)

// DecodeMessage validates a whole WebSocket message holding at most
// maxFrames frames (0: no limit) and calls fn for each decoded frame in
// order. Nothing is decoded unless the whole message is well-formed; a
// well-formed value that is not a valid frame stops decoding with an error
// after the frames before it were passed to fn. DecodeMessage stops at the
// first error from fn and returns it.
//
// The *Frame passed to fn is only valid until fn returns: it is reused for
// the next frame and then recycled for other messages, and its raw fields
// alias msg. Copy what must outlive the call (the string fields may be
// kept; they never alias msg).
func DecodeMessage(msg []byte, maxFrames int, fn func(*Frame) error) error {
	return DecodeMessageInterned(msg, maxFrames, nil, fn)
}

// DecodeMessageInterned is DecodeMessage for a server's read loop: the
// room id and event name of send frames come from in (when not nil), so
// that a connection sending to the same room and events does not allocate
// them anew for every frame.
func DecodeMessageInterned(msg []byte, maxFrames int, in *Interner, fn func(*Frame) error) error {
	if _, err := ValidateMessage(msg, maxFrames); err != nil {
		return err
	}
	// The frame escapes through fn; pooling it saves an allocation of a
	// few hundred bytes per message.
	f := framePool.Get().(*Frame)
	defer func() {
		*f = Frame{}
		framePool.Put(f)
	}()
	for pos := 0; pos < len(msg); {
		n, err := decodeFrame(msg[pos:], f, in)
		if err != nil {
			return err
		}
		pos += n
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

var framePool = sync.Pool{New: func() any { return new(Frame) }}

// DecodeFrame validates b as exactly one frame and decodes it into f.
func DecodeFrame(b []byte, f *Frame) error {
	if err := Validate(b); err != nil {
		return err
	}
	_, err := decodeFrame(b, f, nil)
	return err
}

// decodeFrame reads one frame from validated bytes and returns its length.
// in, if not nil, interns the room id and event name of a send.
func decodeFrame(b []byte, f *Frame, in *Interner) (int, error) {
	*f = Frame{}
	r := reader{b: b}
	n, ok := r.arrayHeader()
	if !ok || n < 1 {
		return 0, ErrNotFrame
	}
	t, ok := r.uint()
	if !ok || t == 0 || t >= uint64(len(minFields)) {
		return 0, ErrNotFrame
	}
	f.Type = Type(t)
	if n < minFields[t] {
		return 0, ErrNotFrame
	}
	var err error
	switch f.Type {
	case TypeConnect:
		f.Ref = r.need(r.uint())
		f.Client = r.str(MaxNameLen)
		if n > 3 {
			f.Token = r.optStr(MaxIDLen)
		}
		if n > 4 {
			f.Features = r.need(r.uint())
		}
	case TypeConnected:
		f.Ref = r.need(r.uint())
		f.Session = r.str(MaxIDLen)
		f.User = r.str(MaxIDLen)
		hb := r.need(r.uint())
		if hb > 1<<32-1 {
			r.err = ErrFieldType
		}
		f.HeartbeatMS = uint32(hb)
		if n > 5 {
			f.Token = r.optStr(MaxIDLen)
		}
		if n > 6 {
			f.Resumed = r.bool()
		}
	case TypeJoin:
		f.Ref = r.need(r.uint())
		f.Kind = r.str(MaxNameLen)
		f.Params = r.raw()
		if n > 4 {
			f.Epoch = r.optStr(MaxIDLen)
		}
		if n > 5 {
			f.Seq = r.need(r.uint())
		}
	case TypeJoined:
		f.Ref = r.need(r.uint())
		f.Room = r.str(MaxIDLen)
		f.Seq = r.need(r.uint())
		f.Snapshot = r.raw()
		if n > 5 {
			f.Epoch = r.optStr(MaxIDLen)
		}
		if n > 6 {
			f.Recovered = r.bool()
		}
	case TypeLeave:
		f.Ref = r.need(r.uint())
		f.Room = r.str(MaxIDLen)
	case TypeSend:
		f.Ref = r.need(r.uint())
		f.Room = r.strIn(MaxIDLen, in)
		f.Event = r.strIn(MaxNameLen, in)
		f.Data = r.raw()
		if n >= 6 {
			f.ClientMsgID = r.optStr(MaxIDLen)
		}
	case TypeReply:
		f.Ref = r.need(r.uint())
		f.Code = Code(r.str(MaxNameLen))
		f.Message = r.str(MaxTextLen)
		f.Data = r.raw()
	case TypeEvent:
		f.Room = r.str(MaxIDLen)
		f.Seq = r.need(r.uint())
		f.Event = r.str(MaxNameLen)
		f.Data = r.raw()
	case TypeError:
		f.Code = Code(r.str(MaxNameLen))
		f.Message = r.str(MaxTextLen)
	case TypeLeft:
		f.Room = r.str(MaxIDLen)
		f.Reason = r.str(MaxTextLen)
	}
	if r.err != nil {
		return 0, r.err
	}
	// Skip fields appended by later protocol revisions.
	for i := knownFields[t]; i < n; i++ {
		r.raw()
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.pos, err
}

// reader reads msgpack values from bytes that passed validation. It records
// the first error and returns zero values afterwards.
type reader struct {
	b   []byte
	pos int
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// need turns a failed read into ErrFieldType.
func (r *reader) need(v uint64, ok bool) uint64 {
	if !ok {
		r.fail(ErrFieldType)
	}
	return v
}

func (r *reader) arrayHeader() (int, bool) {
	if r.err != nil || r.pos >= len(r.b) {
		return 0, false
	}
	c := r.b[r.pos]
	switch {
	case c >= 0x90 && c <= 0x9f:
		r.pos++
		return int(c & 0x0f), true
	case c == 0xdc:
		n := int(binary.BigEndian.Uint16(r.b[r.pos+1:]))
		r.pos += 3
		return n, true
	case c == 0xdd:
		n := int(binary.BigEndian.Uint32(r.b[r.pos+1:]))
		r.pos += 5
		return n, true
	}
	return 0, false
}

// uint reads a non-negative integer in any msgpack integer encoding.
func (r *reader) uint() (uint64, bool) {
	if r.err != nil || r.pos >= len(r.b) {
		return 0, false
	}
	b := r.b[r.pos:]
	c := b[0]
	switch {
	case c <= 0x7f:
		r.pos++
		return uint64(c), true
	case c == 0xcc:
		r.pos += 2
		return uint64(b[1]), true
	case c == 0xcd:
		r.pos += 3
		return uint64(binary.BigEndian.Uint16(b[1:])), true
	case c == 0xce:
		r.pos += 5
		return uint64(binary.BigEndian.Uint32(b[1:])), true
	case c == 0xcf:
		r.pos += 9
		return binary.BigEndian.Uint64(b[1:]), true
	case c == 0xd0, c == 0xd1, c == 0xd2, c == 0xd3:
		var v int64
		switch c {
		case 0xd0:
			v = int64(int8(b[1]))
			r.pos += 2
		case 0xd1:
			v = int64(int16(binary.BigEndian.Uint16(b[1:])))
			r.pos += 3
		case 0xd2:
			v = int64(int32(binary.BigEndian.Uint32(b[1:])))
			r.pos += 5
		default:
			v = int64(binary.BigEndian.Uint64(b[1:]))
			r.pos += 9
		}
		if v < 0 {
			return 0, false
		}
		return uint64(v), true
	}
	return 0, false
}

// strBytes reads a str value and returns its bytes.
func (r *reader) strBytes() ([]byte, bool) {
	if r.err != nil || r.pos >= len(r.b) {
		return nil, false
	}
	b := r.b[r.pos:]
	c := b[0]
	var n, h int
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n, h = int(c&0x1f), 1
	case c == 0xd9:
		n, h = int(b[1]), 2
	case c == 0xda:
		n, h = int(binary.BigEndian.Uint16(b[1:])), 3
	case c == 0xdb:
		n, h = int(binary.BigEndian.Uint32(b[1:])), 5
	default:
		return nil, false
	}
	r.pos += h + n
	return b[h : h+n], true
}

// str reads a required UTF-8 string of at most max bytes.
func (r *reader) str(max int) string { return r.strIn(max, nil) }

// strIn is str taking the string from in, when not nil.
func (r *reader) strIn(max int, in *Interner) string {
	s, ok := r.strBytes()
	if !ok {
		r.fail(ErrFieldType)
		return ""
	}
	if len(s) > max {
		r.fail(ErrFieldTooLong)
		return ""
	}
	if !utf8.Valid(s) {
		r.fail(ErrFieldType)
		return ""
	}
	if in != nil {
		return in.String(s)
	}
	return string(s)
}

// bool reads a msgpack boolean.
func (r *reader) bool() bool {
	if r.err != nil || r.pos >= len(r.b) {
		r.fail(ErrFieldType)
		return false
	}
	switch r.b[r.pos] {
	case 0xc2:
		r.pos++
		return false
	case 0xc3:
		r.pos++
		return true
	}
	r.fail(ErrFieldType)
	return false
}

// optStr reads a string that may also be nil.
func (r *reader) optStr(max int) string {
	if r.err == nil && r.pos < len(r.b) && r.b[r.pos] == 0xc0 {
		r.pos++
		return ""
	}
	return r.str(max)
}

// raw returns the next value's bytes without decoding them.
func (r *reader) raw() []byte {
	if r.err != nil {
		return nil
	}
	n, err := ValidateValue(r.b[r.pos:], MaxDepth)
	if err != nil {
		r.fail(err)
		return nil
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}
