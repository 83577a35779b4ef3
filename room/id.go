package room

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
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
	sorted := slices.Clone(members)
	slices.Sort(sorted)
	mac := hmac.New(sha256.New, secret)
	var lenBuf [binary.MaxVarintLen64]byte
	write := func(s string) {
		n := binary.PutUvarint(lenBuf[:], uint64(len(s)))
		mac.Write(lenBuf[:n])
		mac.Write([]byte(s))
	}
	write(kind)
	n := binary.PutUvarint(lenBuf[:], uint64(len(sorted)))
	mac.Write(lenBuf[:n])
	for _, m := range sorted {
		write(m)
	}
	return hex.EncodeToString(mac.Sum(nil))
}
