package boltstore

import (
	"bytes"
	"encoding/binary"
	"slices"
)

// key appends s to b as uvarint(len(s)) ‖ s. Length-prefixed parts make
// composite keys unambiguous and prefix-free: the keys of one room (or
// user) are exactly those starting with key(nil, room), and no other
// room's keys share that prefix.
func key(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// part decodes one length-prefixed part that must fill b.
func part(b []byte) (string, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) != n {
		return "", false
	}
	return string(b[w:]), true
}

// twoParts splits a key made of two length-prefixed parts.
func twoParts(b []byte) (string, string, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || uint64(len(b)-w) < n {
		return "", "", false
	}
	first := string(b[w : w+int(n)])
	second, ok := part(b[w+int(n):])
	return first, second, ok
}

// Room numbers. The log and cmids buckets key a room's entries with a
// prefix of 8 bytes, the room's number big-endian, rather than with its
// id: room ids are usually 64-character hashes, and shorter keys put
// more of them in each B+tree branch page, so that a commit that appends
// to many rooms rewrites fewer branch pages. A room is numbered when its
// first entry is stored (meta.num, from the counter keyRoomNum).
//
// Rooms a file had before rooms were numbered keep key(nil, room) as
// their prefix. The two kinds never collide: a number is below
// maxRoomNum, so its first byte is 0, and key(nil, room) starts with the
// length of a non-empty id. Both are prefix-free among their kind.

// maxRoomNum bounds room numbers, so that their first byte is 0.
const maxRoomNum = 1 << 56

// logPrefix is the prefix of room's keys in the log and cmids buckets,
// for a room whose log state is m.
func logPrefix(room string, m meta) []byte {
	if m.num != 0 {
		return binary.BigEndian.AppendUint64(make([]byte, 0, 8), m.num)
	}
	return key(make([]byte, 0, len(room)+2), room)
}

// entryKey is prefix ‖ seq, with seq big-endian so entries sort by seq.
func entryKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(slices.Clip(prefix), seq)
}

// cmidKey is prefix ‖ from ‖ id.
func cmidKey(prefix []byte, from, id string) []byte {
	return key(key(slices.Clip(prefix), from), id)
}

func readKey(room, user string) []byte { return key(key(nil, room), user) }

func userKey(user, room string) []byte { return key(key(nil, user), room) }

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func getUint(v []byte) uint64 {
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func hasPrefix(k, prefix []byte) bool { return bytes.HasPrefix(k, prefix) }
