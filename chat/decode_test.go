package chat

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// TestStrictPayloadAllocs: decoding a request strictly allocates no more
// than decoding it leniently with codec.UnmarshalData.
func TestStrictPayloadAllocs(t *testing.T) {
	raw, err := codec.MarshalData(EditRequest{Seq: 7, Text: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	var p strictPayload
	var req EditRequest
	strict := testing.AllocsPerRun(100, func() {
		if err := p.decode(raw, &req); err != nil {
			t.Fatal(err)
		}
	})
	lenient := testing.AllocsPerRun(100, func() {
		if err := codec.UnmarshalData(raw, &req); err != nil {
			t.Fatal(err)
		}
	})
	if req.Seq != 7 || req.Text != "hello" {
		t.Fatalf("decoded %+v", req)
	}
	if strict > lenient {
		t.Fatalf("strict decoding: %v allocations, lenient: %v", strict, lenient)
	}
}

// TestStrictPayloadRefuses: an unknown field, at the top or nested, is
// bad_request; a nil or empty payload decodes to the zero request.
func TestStrictPayloadRefuses(t *testing.T) {
	for _, v := range []any{
		map[string]any{"seq": 1, "text": "x", "extra": 1},
		map[string]any{"create": map[string]any{"name": "g", "extra": 1}},
	} {
		raw, err := codec.MarshalData(v)
		if err != nil {
			t.Fatal(err)
		}
		var edit EditRequest
		var group GroupParams
		target := any(&edit)
		if _, ok := v.(map[string]any)["create"]; ok {
			target = &group
		}
		err = decodeStrict(raw, target)
		if ce := codec.AsError(err); err == nil || ce.Code != codec.CodeBadRequest {
			t.Fatalf("%v: %v, want bad_request", v, err)
		}
	}
	for _, raw := range [][]byte{nil, {0xc0}, {0x80}} {
		var req SendRequest
		if err := decodeStrict(raw, &req); err != nil || req != (SendRequest{}) {
			t.Fatalf("% x: %+v, %v", raw, req, err)
		}
	}
}
