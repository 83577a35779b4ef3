package main

import (
	"bytes"
	"strconv"
	"time"
)

// textKey is the msgpack fixstr "text", the key of echo.Said.Text.
var textKey = []byte("\xa4text")

// sentAt extracts the send time from a said event's payload without a
// full decode; ok is false if the fast path does not apply.
func sentAt(data []byte) (int64, bool) {
	i := bytes.Index(data, textKey)
	if i < 0 {
		return 0, false
	}
	rest := data[i+len(textKey):]
	switch {
	case len(rest) > 1 && rest[0] >= 0xa0 && rest[0] <= 0xbf:
		rest = rest[1:]
	case len(rest) > 2 && rest[0] == 0xd9:
		rest = rest[2:]
	case len(rest) > 3 && rest[0] == 0xda:
		rest = rest[3:]
	default:
		return 0, false
	}
	return parseStamp(rest)
}

// parseStamp reads "@<digits>" at the start of b.
func parseStamp(b []byte) (int64, bool) {
	if len(b) < 2 || b[0] != '@' {
		return 0, false
	}
	var v int64
	n := 0
	for _, c := range b[1:] {
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
		n++
	}
	return v, n > 0
}

// makeText builds a say text of size bytes starting with the send time.
func makeText(buf []byte, size int, now time.Time) []byte {
	buf = append(buf[:0], '@')
	buf = strconv.AppendInt(buf, now.UnixNano(), 10)
	buf = append(buf, ' ')
	for len(buf) < size {
		buf = append(buf, 'x')
	}
	return buf
}
