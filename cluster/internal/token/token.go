// Package token turns room ids and node names into NATS subject tokens and
// JetStream KV keys.
package token

import (
	"crypto/sha256"
	"encoding/hex"
)

// maxPlain is the longest id used as it is. Room ids are 64 hex digits;
// anything longer is hashed so that subjects stay short.
const maxPlain = 128

// For returns s itself when s is 1 to 128 characters of [0-9A-Za-z_-] and
// does not start with '_'; otherwise '_' followed by the hex SHA-256 of s.
// The result is a valid NATS subject token and a valid KV key, and two
// different inputs give two different results: a plain result never starts
// with '_' and a hashed one always does.
func For(s string) string {
	if Plain(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "_" + hex.EncodeToString(sum[:])
}

// Plain reports whether For(s) is s itself.
func Plain(s string) bool {
	if len(s) == 0 || len(s) > maxPlain || s[0] == '_' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
