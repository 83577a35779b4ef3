package pgutil

import (
	"strings"
	"unicode/utf8"
)

// Storable reports whether PostgreSQL can store s as text: valid UTF-8
// without NUL bytes.
func Storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// AllStorable reports whether every string of list is Storable.
func AllStorable(list []string) bool {
	for _, s := range list {
		if !Storable(s) {
			return false
		}
	}
	return true
}
