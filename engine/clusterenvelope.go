package engine

import (
	"encoding/binary"

	"github.com/parlorhq/parlor/codec"
)

// The envelope: how a room's owner addresses one remote session on the
// room's topic. A payload on a room topic is either a broadcast, as it is
// (encoded frames, which always start with a msgpack array header), or an
// envelope, which starts with envMagic (0xc1, a byte msgpack never uses):
//
//	0xc1 | kind (1 byte) | len(session) (1 byte) | session | body
//
// kinds:
//   - envFrames: body is encoded frames for that session only (joined,
//     replies, replays, left, per-user events);
//   - envAttach: from now on the session gets the room's broadcasts
//     (sent where a local session would be attached to the room);
//   - envLeft: the session is out of the room; body is the leave reason.
//
// Both kinds travel on the same topic from the same room goroutine, so the
// member's node sees them in the order the room sent them.

const envMagic = 0xc1

const (
	envFrames byte = iota + 1
	envAttach
	envLeft
)

// appendEnvelope encodes an envelope for session sid.
func appendEnvelope(dst []byte, kind byte, sid string, body []byte) []byte {
	dst = append(dst, envMagic, kind, byte(len(sid)))
	dst = append(dst, sid...)
	return append(dst, body...)
}

// parseEnvelope splits an envelope; ok is false for a broadcast or a
// malformed envelope.
func parseEnvelope(p []byte) (kind byte, sid string, body []byte, ok bool) {
	if len(p) < 3 || p[0] != envMagic {
		return 0, "", nil, false
	}
	n := int(p[2])
	if len(p) < 3+n {
		return 0, "", nil, false
	}
	return p[1], string(p[3 : 3+n]), p[3+n:], true
}

// isEnvelope reports whether a room topic payload is an envelope.
func isEnvelope(p []byte) bool { return len(p) > 0 && p[0] == envMagic }

// eventSeq reads the seq of an encoded event frame (codec.AppendEvent),
// without decoding the rest. ok is false for anything else. The owner's
// frames are trusted to be well formed; this only has to be cheap.
func eventSeq(p []byte) (seq uint64, ok bool) {
	if len(p) < 2 || p[0] != 0x95 || p[1] != byte(codec.TypeEvent) {
		return 0, false
	}
	i, ok := skipStr(p, 2)
	if !ok {
		return 0, false
	}
	seq, _, ok = readUint(p, i)
	return seq, ok
}

// joinedSeq reads the seq of an encoded joined frame (codec.AppendJoined).
func joinedSeq(p []byte) (seq uint64, ok bool) {
	_, seq, ok = joinedFrame(p)
	return seq, ok
}

// joinedFrame reads the ref and the seq of an encoded joined frame
// (codec.AppendJoined).
func joinedFrame(p []byte) (ref, seq uint64, ok bool) {
	if len(p) < 2 || p[0] != 0x97 || p[1] != byte(codec.TypeJoined) {
		return 0, 0, false
	}
	ref, i, ok := readUint(p, 2)
	if !ok {
		return 0, 0, false
	}
	if i, ok = skipStr(p, i); !ok {
		return 0, 0, false
	}
	seq, _, ok = readUint(p, i)
	return ref, seq, ok
}

// skipStr returns the index after the msgpack string at p[i].
func skipStr(p []byte, i int) (int, bool) {
	if i >= len(p) {
		return 0, false
	}
	var n int
	switch b := p[i]; {
	case b >= 0xa0 && b <= 0xbf:
		n, i = int(b&0x1f), i+1
	case b == 0xd9 && len(p) > i+1:
		n, i = int(p[i+1]), i+2
	case b == 0xda && len(p) > i+2:
		n, i = int(binary.BigEndian.Uint16(p[i+1:])), i+3
	default:
		return 0, false
	}
	return i + n, i+n <= len(p)
}

// readUint reads the msgpack unsigned integer at p[i].
func readUint(p []byte, i int) (v uint64, next int, ok bool) {
	if i >= len(p) {
		return 0, 0, false
	}
	switch b := p[i]; {
	case b <= 0x7f:
		return uint64(b), i + 1, true
	case b == 0xcc && len(p) > i+1:
		return uint64(p[i+1]), i + 2, true
	case b == 0xcd && len(p) > i+2:
		return uint64(binary.BigEndian.Uint16(p[i+1:])), i + 3, true
	case b == 0xce && len(p) > i+4:
		return uint64(binary.BigEndian.Uint32(p[i+1:])), i + 5, true
	case b == 0xcf && len(p) > i+8:
		return binary.BigEndian.Uint64(p[i+1:]), i + 9, true
	}
	return 0, 0, false
}
