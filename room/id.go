package room

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
	"sync"
)

// KeyedID returns the room id for a kind and a set of members:
//
//	hex(HMAC-SHA256(secret, kind ‖ n ‖ len(m1) ‖ m1 ‖ … ‖ len(mn) ‖ mn))
//
// where members are sorted, and kind, counts and lengths are length-prefixed
// (uvarint), so no two different member lists share an encoding: ("a_b","c")
// and ("a","b_c") give different ids. The order of members does not matter.
// Without the secret an id cannot be computed from public user ids; even so,
// an id is never a capability, and rooms always check membership.
func KeyedID(secret []byte, kind string, members ...string) string {
	var small [4]string
	sorted := append(small[:0], members...)
	slices.Sort(sorted)
	m := getKeyedMAC(secret)
	msg := appendField(m.msg[:0], kind)
	msg = binary.AppendUvarint(msg, uint64(len(sorted)))
	for _, s := range sorted {
		msg = appendField(msg, s)
	}
	m.h.Reset()
	m.h.Write(msg)
	var text [2 * sha256.Size]byte
	hex.Encode(text[:], m.h.Sum(m.sum[:0]))
	m.msg = msg
	putKeyedMAC(m)
	return string(text[:])
}

// appendField appends s, prefixed with its length.
func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// keyedMAC is an HMAC-SHA256 under one secret with its scratch space,
// reused through keyedMACs: hmac.New builds two hash states and their
// buffers (about 0.3 KiB), which every join of a keyed room would
// otherwise leave as garbage. A process mostly has one secret (its
// engine's); a MAC under another one is made anew.
type keyedMAC struct {
	secret []byte
	h      hash.Hash
	msg    []byte
	sum    [sha256.Size]byte
}

var keyedMACs sync.Pool

func getKeyedMAC(secret []byte) *keyedMAC {
	if m, _ := keyedMACs.Get().(*keyedMAC); m != nil && bytes.Equal(m.secret, secret) {
		return m
	}
	return &keyedMAC{secret: bytes.Clone(secret), h: hmac.New(sha256.New, secret)}
}

func putKeyedMAC(m *keyedMAC) {
	if cap(m.msg) <= 1024 {
		keyedMACs.Put(m)
	}
}
