package games

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"

	"github.com/parlorhq/parlor/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// Every payload a client sends a game module is decoded into the module's
// own type for it, and a payload with anything that type does not have is
// refused with bad_request. Nothing a client adds to a move, a challenge
// or an offer is therefore stored, logged, or sent on to other members.

// decodeStrict validates raw and decodes it into v (a pointer), refusing
// map keys that v's type has no field for. An empty raw leaves v unchanged.
func decodeStrict(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	// Validate first (bounded lengths, no ext values), as every payload
	// decode must; this also decodes leniently.
	if err := codec.UnmarshalData(raw, v); err != nil {
		return err
	}
	d := msgpack.GetDecoder()
	defer msgpack.PutDecoder(d)
	d.Reset(bytes.NewReader(raw))
	d.DisallowUnknownFields(true)
	if err := d.Decode(v); err != nil {
		return codec.Errorf(codec.CodeBadRequest, "payload has fields it may not have: %s", trimErr(err.Error()))
	}
	return nil
}

// trimErr bounds a decoder error's text, which quotes client input, to
// 120 bytes of valid UTF-8.
func trimErr(s string) string {
	if len(s) > 120 {
		s = s[:120]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(s, "")
}

// errNoPayload refuses data sent with an event that takes none.
var errNoPayload = codec.Errorf(codec.CodeBadRequest, "this event takes no payload")

// noPayload checks the payload of an event that takes none: empty, nil or
// an empty map.
func noPayload(raw []byte) error {
	switch {
	case len(raw) == 0, len(raw) == 1 && (raw[0] == 0xc0 || raw[0] == 0x80):
		return nil
	}
	return errNoPayload
}

// plyKey is the msgpack encoding of the string "ply".
const plyKey = "\xa3ply"

// decodeMove checks a move payload against the module's limits and the
// game's move type. It returns the move re-encoded from that type (what
// Apply, the log and the broadcasts get) and the toolkit's optional "ply"
// key, which is not part of the game's move.
func (m *Module) decodeMove(raw []byte) (move []byte, ply *int, err error) {
	if len(raw) == 0 {
		return nil, nil, codec.Errorf(codec.CodeBadRequest, "move required")
	}
	if len(raw) > m.cfg.MaxMoveBytes {
		return nil, nil, codec.Errorf(codec.CodeTooLarge, "a move is at most %d bytes", m.cfg.MaxMoveBytes)
	}
	if err := codec.Validate(raw); err != nil {
		return nil, nil, err
	}
	body, plyRaw, err := splitPly(raw)
	if err != nil {
		return nil, nil, err
	}
	if plyRaw != nil {
		if err := codec.UnmarshalData(plyRaw, &ply); err != nil {
			return nil, nil, codec.Errorf(codec.CodeBadRequest, "ply must be an integer")
		}
	}
	v := m.game.NewMove()
	if err := decodeStrict(body, v); err != nil {
		return nil, nil, err
	}
	move, err = codec.MarshalData(v)
	if err != nil {
		return nil, nil, codec.Errorf(codec.CodeBadRequest, "move does not encode")
	}
	return move, ply, nil
}

// splitPly returns a validated payload without its top-level "ply" key,
// and that key's value (nil if none). Payloads that are not maps are
// returned as they are.
func splitPly(raw []byte) (body, ply []byte, err error) {
	var n, pos int
	switch b := raw[0]; {
	case b >= 0x80 && b <= 0x8f:
		n, pos = int(b&0x0f), 1
	case b == 0xde:
		n, pos = int(binary.BigEndian.Uint16(raw[1:3])), 3
	case b == 0xdf:
		n, pos = int(binary.BigEndian.Uint32(raw[1:5])), 5
	default:
		return raw, nil, nil
	}
	hdr := pos
	from, to := -1, -1
	for range n {
		kn, err := codec.ValidateValue(raw[pos:], 0)
		if err != nil {
			return nil, nil, err
		}
		vn, err := codec.ValidateValue(raw[pos+kn:], 0)
		if err != nil {
			return nil, nil, err
		}
		if string(raw[pos:pos+kn]) == plyKey {
			if from >= 0 {
				return nil, nil, codec.Errorf(codec.CodeBadRequest, "ply given twice")
			}
			from, to = pos, pos+kn+vn
			ply = raw[pos+kn : to]
		}
		pos += kn + vn
	}
	if from < 0 {
		return raw, nil, nil
	}
	body = codec.AppendMapHeader(make([]byte, 0, len(raw)), n-1)
	body = append(body, raw[hdr:from]...)
	body = append(body, raw[to:]...)
	return body, ply, nil
}
