package main

import "math"

// stampLen is the length of the stamp at the start of every message text:
// the send (or due) time in Unix nanoseconds, 19 digits with leading
// zeros, and a '|'.
const stampLen = 20

// appendStamp appends the stamp of t (Unix nanoseconds, at least 0) to b.
func appendStamp(b []byte, t int64) []byte {
	var digits [19]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + t%10)
		t /= 10
	}
	return append(append(b, digits[:]...), '|')
}

// parseStamp reads the stamp at the start of text; ok is false if there
// is none. It takes the text as bytes, as the read loops find it in the
// encoded message (scan.go), and allocates nothing.
func parseStamp[T string | []byte](text T) (t int64, ok bool) {
	if len(text) < stampLen || text[stampLen-1] != '|' {
		return 0, false
	}
	for i := range stampLen - 1 {
		c := text[i]
		if c < '0' || c > '9' || t > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		t = t*10 + int64(c-'0')
	}
	return t, true
}
