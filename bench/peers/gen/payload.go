package main

import (
	"bytes"
	"strconv"
)

// marker starts every payload. Receivers find payloads by scanning a
// message for it, so the same code reads every protocol's framing (a
// msgpack string, a JSON string, a bare text frame) and every batch of
// several payloads in one message.
var marker = []byte("~pb~")

// appendPayload appends a payload of size bytes (more if the header does
// not fit): the marker, the broadcast's sequence number and its send time
// in Unix nanoseconds, then padding. Every byte is plain ASCII that needs
// no escaping in JSON or msgpack.
func appendPayload(dst []byte, size int, seq uint64, sentNS int64) []byte {
	start := len(dst)
	dst = append(dst, marker...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, '~')
	dst = strconv.AppendInt(dst, sentNS, 10)
	dst = append(dst, '~')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// nextPayload finds the first payload in msg. It returns the payload's
// sequence number and send time and the rest of msg after the payload's
// header; found is false when msg holds no further marker, ok is false
// when a marker is not followed by a well-formed header.
func nextPayload(msg []byte) (seq uint64, sentNS int64, rest []byte, found, ok bool) {
	i := bytes.Index(msg, marker)
	if i < 0 {
		return 0, 0, nil, false, false
	}
	rest = msg[i+len(marker):]
	seq, rest, ok = digits(rest)
	if !ok {
		return 0, 0, rest, true, false
	}
	var ts uint64
	ts, rest, ok = digits(rest)
	return seq, int64(ts), rest, true, ok
}

// digits reads decimal digits ended by '~'.
func digits(b []byte) (v uint64, rest []byte, ok bool) {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		v = v*10 + uint64(b[n]-'0')
		n++
	}
	if n == 0 || n > 19 || n == len(b) || b[n] != '~' {
		return 0, b[n:], false
	}
	return v, b[n+1:], true
}
