package codec

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// MarshalData encodes a module payload with msgpack. Structs are encoded
// as maps keyed by their msgpack tags unless they opt into as_array.
//
// It encodes into a pooled buffer and returns an exact copy: one
// allocation for the result, where encoding into a fresh buffer grew it
// two to four times for a chat message.
func MarshalData(v any) ([]byte, error) {
	d := dataEncoders.Get().(*dataEncoder)
	d.buf.Reset()
	d.enc.Reset(&d.buf) // default flags, as msgpack.Marshal's
	var out []byte
	err := d.enc.Encode(v)
	if err == nil {
		out = bytes.Clone(d.buf.Bytes())
	}
	if d.buf.Cap() <= maxPooledData {
		dataEncoders.Put(d)
	}
	return out, err
}

// maxPooledData bounds the buffer a pooled data encoder keeps: one that
// grew for a large payload is dropped rather than held.
const maxPooledData = 16 << 10

// dataEncoder is MarshalData's pooled encoder and buffer.
type dataEncoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

var dataEncoders = sync.Pool{New: func() any {
	d := &dataEncoder{}
	d.enc = msgpack.NewEncoder(&d.buf)
	return d
}}

// UnmarshalData validates raw as exactly one msgpack value and then decodes
// it into v, which should be a pointer to a concrete type. Validation runs
// first so that hostile length headers cannot make the decoder allocate
// more than the input justifies. An empty raw leaves v unchanged.
//
// Payloads must not contain ext values (including the timestamp
// extension): they are rejected with CodeBadRequest. The msgpack decoder
// reads an ext header in front of a value decoded into a map or struct as
// transparent and then parses the ext's opaque bytes, and the bytes after
// it, as msgpack that was never validated; a ten-byte input could make it
// allocate gigabytes or recurse without bound.
//
// The decoder preallocates a slice from its declared element count, so
// memory stays proportional to the input but scales with the target's
// element size: prefer small element types in payloads that hold lists.
func UnmarshalData(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := validate(raw, false); err != nil {
		return err
	}
	if err := unmarshal(raw, v); err != nil {
		return &Error{Code: CodeBadRequest, Message: "codec: payload does not match: " + trimErr(err.Error())}
	}
	return nil
}

// unmarshal is msgpack.Unmarshal with the decoder's panics turned into
// errors. msgpack/v5 (v5.4.1) panics on some valid input: a map that
// repeats a key, whose first value filled a []any field with arrays and
// whose second is an array of arrays too, makes it set an element it
// cannot address. Such a payload is refused like any that does not
// match; v may be partly filled.
func unmarshal(raw []byte, v any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decoder panic: %v", p)
		}
	}()
	return msgpack.Unmarshal(raw, v)
}

// trimErr bounds a decoder error's text; it may quote input.
func trimErr(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}
