package chat

import (
	"github.com/parlorhq/parlor/codec"
	"github.com/vmihailenco/msgpack/v5"
)

// strictPayload decodes a client's payload into its request type and
// refuses any field the type does not have (bad_request), so that nothing
// a client adds to a request is stored, logged or sent on. The payload is
// validated by codec.UnmarshalData first. A room keeps one and uses it on
// its goroutine, so decoding costs no allocation beyond the request's own.
type strictPayload struct{ v any }

// DecodeMsgpack implements msgpack.CustomDecoder: it turns on the
// decoder's unknown-field check (the decoder is reset before each use, so
// the check ends with this payload) and decodes into the request.
func (p *strictPayload) DecodeMsgpack(d *msgpack.Decoder) error {
	d.DisallowUnknownFields(true)
	return d.Decode(p.v)
}

// decode decodes raw into v, a pointer to a request type, refusing
// unknown fields. An empty raw leaves v unchanged.
func (p *strictPayload) decode(raw []byte, v any) error {
	p.v = v
	err := codec.UnmarshalData(raw, p)
	p.v = nil
	return err
}

// decodeStrict is strictPayload.decode for callers outside a room, such as
// a module's Resolve.
func decodeStrict(raw []byte, v any) error {
	var p strictPayload
	return p.decode(raw, v)
}
