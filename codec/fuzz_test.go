package codec_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// fuzzTarget is a payload type with map, slice and struct fields, the
// shapes where msgpack/v5 takes its riskier decoding paths.
type fuzzTarget struct {
	M   map[string]any            `msgpack:"m"`
	L   []any                     `msgpack:"l"`
	S   []string                  `msgpack:"s"`
	N   map[string]map[string]int `msgpack:"n"`
	Sub *fuzzTarget               `msgpack:"sub"`
	B   []byte                    `msgpack:"b"`
	I   int64                     `msgpack:"i"`
}

func FuzzDecode(f *testing.F) {
	vf := loadVectors(f)
	for _, v := range vf.Valid {
		f.Add(mustHex(f, v.Hex))
	}
	for _, v := range vf.Invalid {
		f.Add(mustHex(f, v.Hex))
	}
	be32 := func(c byte, n uint32) []byte { return binary.BigEndian.AppendUint32([]byte{c}, n) }
	f.Add(be32(0xdd, 0xffffffff))
	f.Add(be32(0xc6, 256<<20))
	f.Add(be32(0xdb, 0xffffffff))
	f.Add(be32(0xdf, 0xffffffff))
	f.Add(bytes.Repeat([]byte{0x91}, 2<<20))
	f.Add([]byte{0x94, 0xd6, 0xff, 0x81, 0xa0, 0xdd, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff})

	f.Fuzz(func(t *testing.T, b []byte) {
		var frames []codec.Frame
		err := codec.DecodeMessage(b, 64, func(fr *codec.Frame) error {
			frames = append(frames, cloneFrame(fr))
			return nil
		})
		checkCoded(t, "DecodeMessage", err)
		n, verr := codec.ValidateMessage(b, 64)
		if err == nil {
			if verr != nil || n != len(frames) {
				t.Fatalf("DecodeMessage gave %d frames, ValidateMessage (%d, %v)", len(frames), n, verr)
			}
			// Round trip: re-encoding a decoded frame and decoding it again
			// gives the same frame, and the canonical form is a fixed point.
			var batch []byte
			for i := range frames {
				fr := &frames[i]
				enc := codec.AppendFrame(nil, fr)
				var again codec.Frame
				if err := codec.DecodeFrame(enc, &again); err != nil {
					t.Fatalf("re-encoded %v frame %x does not decode: %v", fr.Type, enc, err)
				}
				if !reflect.DeepEqual(*fr, cloneFrame(&again)) {
					t.Fatalf("round trip changed the frame\n was %+v\n now %+v", *fr, again)
				}
				if enc2 := codec.AppendFrame(nil, &again); !bytes.Equal(enc, enc2) {
					t.Fatalf("canonical encoding is not stable: %x vs %x", enc, enc2)
				}
				for _, raw := range [][]byte{fr.Params, fr.Snapshot, fr.Data} {
					if raw != nil {
						if err := codec.Validate(raw); err != nil {
							t.Fatalf("decoded raw field %x does not validate: %v", raw, err)
						}
					}
				}
				batch = append(batch, enc...)
			}
			again, err := decodeAll(batch, 64)
			if err != nil || !reflect.DeepEqual(again, frames) {
				t.Fatalf("re-encoded batch: %v", err)
			}
		} else if verr == nil && n == 0 {
			t.Fatalf("ValidateMessage accepted zero frames")
		}

		// The validator agrees with msgpack/v5 on where a value ends.
		if vn, err := codec.ValidateValue(b, 0); err == nil {
			r := bytes.NewReader(b)
			if err := msgpack.NewDecoder(r).Skip(); err != nil || len(b)-r.Len() != vn {
				t.Fatalf("validator length %d, msgpack skip %d (%v)", vn, len(b)-r.Len(), err)
			}
		}

		var anyV any
		checkCoded(t, "UnmarshalData(any)", codec.UnmarshalData(b, &anyV))
		var m map[string]any
		checkCoded(t, "UnmarshalData(map)", codec.UnmarshalData(b, &m))
		var s []map[string]any
		checkCoded(t, "UnmarshalData(slice)", codec.UnmarshalData(b, &s))
		var ft fuzzTarget
		checkCoded(t, "UnmarshalData(struct)", codec.UnmarshalData(b, &ft))
	})
}

// checkCoded fails unless err is nil or a typed error with a client-facing
// code other than internal.
func checkCoded(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *codec.Error
	if !errors.As(err, &ce) {
		t.Fatalf("%s: untyped error %v", what, err)
	}
	if ce.Code != codec.CodeBadRequest && ce.Code != codec.CodeTooLarge {
		t.Fatalf("%s: code %q", what, ce.Code)
	}
}
