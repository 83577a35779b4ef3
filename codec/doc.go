// Package codec implements the parlor.v1 wire protocol: the frames exchanged
// between clients and the engine, their msgpack encoding, and a validator
// that checks untrusted bytes before anything is decoded.
//
// A WebSocket message carries one or more frames back to back. Each frame is
// a msgpack array whose first element is the frame [Type]. docs/protocol.md is
// the normative description; testdata/vectors.json holds test vectors that
// every implementation (Go and the browser SDK) must pass.
//
// Encoding appends to caller-supplied buffers and does not allocate.
// Decoding first runs [ValidateMessage], a non-recursive structural check
// that bounds nesting depth and rejects any length or element count larger
// than the bytes that remain, then reads frames into the concrete [Frame]
// type. Module payloads are decoded with [UnmarshalData], which applies the
// same check before handing bytes to msgpack.
package codec
