package boltstore

import (
	"bytes"
	"encoding/binary"
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

// logKey is room ‖ seq, with seq big-endian so entries sort by seq.
func logKey(room string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(key(make([]byte, 0, len(room)+10), room), seq)
}

func cmidKey(room, from, id string) []byte {
	return key(key(key(nil, room), from), id)
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
