package engine

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
