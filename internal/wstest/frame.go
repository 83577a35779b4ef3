package wstest

import (
	"crypto/rand"
	"encoding/binary"
)

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xa
)

// Bits of a frame's first header byte.
const (
	// Fin marks the final fragment of a message.
	Fin byte = 0x80
	// RSV1 marks a compressed message (permessage-deflate).
	RSV1 byte = 0x40
)

// MaxFramePayload bounds the payload a server frame may declare before
// ReadFrame refuses it, so that a broken length never allocates.
const MaxFramePayload = 64 << 20

// Frame is one frame read from the server.
type Frame struct {
	Fin     bool
	Op      byte
	Payload []byte
}

// AppendFrame appends one client frame to dst: the first header byte b0
// (Fin, RSV bits and opcode, as the caller sets them), then the payload
// masked with a random key, as RFC 6455 requires of clients.
func AppendFrame(dst []byte, b0 byte, payload []byte) []byte {
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	dst = appendHeader(dst, b0, uint64(len(payload)), mask)
	for i, b := range payload {
		dst = append(dst, b^mask[i%4])
	}
	return dst
}

// FrameHeader returns the header of a client frame whose first byte is b0
// and whose payload is n bytes long. Its mask key is zero, so the payload
// goes on the wire as it is, in later writes or never: for headers that
// claim more than the peer will ever send.
func FrameHeader(b0 byte, n uint64) []byte {
	return appendHeader(make([]byte, 0, 14), b0, n, [4]byte{})
}

func appendHeader(dst []byte, b0 byte, n uint64, mask [4]byte) []byte {
	dst = append(dst, b0)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xffff:
		dst = append(dst, 0x80|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, n)
	}
	return append(dst, mask[:]...)
}

// CloseCode returns the status code and reason of a close frame's
// payload; a payload without a code means 1005 (no status received).
func CloseCode(payload []byte) (code uint16, reason string) {
	if len(payload) < 2 {
		return 1005, ""
	}
	return binary.BigEndian.Uint16(payload), string(payload[2:])
}
