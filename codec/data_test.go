package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

type chatMsg struct {
	Text  string   `msgpack:"t"`
	At    int64    `msgpack:"at"`
	Tags  []string `msgpack:"tags,omitempty"`
	Reply *chatMsg `msgpack:"re,omitempty"`
}

type move struct {
	_msgpack struct{} `msgpack:",as_array"`
	From     string
	To       string
	Promo    string
}

type withMap struct {
	Meta  map[string]any `msgpack:"meta"`
	Items []any          `msgpack:"items"`
}

func TestUnmarshalDataStructs(t *testing.T) {
	in := chatMsg{Text: "héllo", At: 1700000000000, Tags: []string{"a", "b"}, Reply: &chatMsg{Text: "q"}}
	raw, err := codec.MarshalData(in)
	if err != nil {
		t.Fatal(err)
	}
	var out chatMsg
	if err := codec.UnmarshalData(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Text != in.Text || out.At != in.At || len(out.Tags) != 2 || out.Reply == nil || out.Reply.Text != "q" {
		t.Fatalf("got %+v", out)
	}

	m := move{From: "e2", To: "e4"}
	raw, err = codec.MarshalData(&m)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 0x93 {
		t.Fatalf("as_array struct encoded as %x", raw)
	}
	var m2 move
	if err := codec.UnmarshalData(raw, &m2); err != nil || m2.From != "e2" || m2.To != "e4" {
		t.Fatalf("got %+v, %v", m2, err)
	}

	// Raw data taken from a decoded frame decodes directly.
	frame := codec.AppendSend(nil, 1, "r", "msg", mustMarshal(t, map[string]any{"t": "hi", "at": 5}), "")
	var f codec.Frame
	if err := codec.DecodeFrame(frame, &f); err != nil {
		t.Fatal(err)
	}
	var msg chatMsg
	if err := codec.UnmarshalData(f.Data, &msg); err != nil || msg.Text != "hi" || msg.At != 5 {
		t.Fatalf("got %+v, %v", msg, err)
	}
}

func mustMarshal(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := codec.MarshalData(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestUnmarshalDataEmptyLeavesValue(t *testing.T) {
	v := chatMsg{Text: "keep"}
	if err := codec.UnmarshalData(nil, &v); err != nil || v.Text != "keep" {
		t.Fatalf("nil raw: %+v, %v", v, err)
	}
	if err := codec.UnmarshalData([]byte{}, &v); err != nil || v.Text != "keep" {
		t.Fatalf("empty raw: %+v, %v", v, err)
	}
}

// anySlice holds a list of anything, as a module's payload may.
type anySlice struct {
	L []any `msgpack:"l"`
}

func TestUnmarshalDataRejects(t *testing.T) {
	nested := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n), 0xc0) }
	tests := []struct {
		name string
		raw  []byte
		into func() any
		err  error // a sentinel, or nil to check the code only
		code codec.Code
	}{
		{"array32 bomb into slice", mustHex(t, "dd7fffffff"), func() any { return new([]any) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"array32 bomb into any", mustHex(t, "ddffffffff"), func() any { return new(any) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"map32 bomb", mustHex(t, "dfffffffff"), func() any { return new(map[string]any) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"bin32 bomb", mustHex(t, "c610000000"), func() any { return new([]byte) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"str32 bomb", mustHex(t, "dbffffffff"), func() any { return new(string) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"too deep", nested(33), func() any { return new(any) }, codec.ErrTooDeep, codec.CodeTooLarge},
		{"truncated", mustHex(t, "82a174"), func() any { return new(map[string]any) }, codec.ErrCountTooLarge, codec.CodeBadRequest},
		{"trailing", mustHex(t, "c0c0"), func() any { return new(any) }, codec.ErrTrailingBytes, codec.CodeBadRequest},
		{"c1", mustHex(t, "c1"), func() any { return new(any) }, codec.ErrInvalidByte, codec.CodeBadRequest},
		{"type mismatch", mustHex(t, "a26869"), func() any { return new(int) }, nil, codec.CodeBadRequest},
		{"struct from array", mustHex(t, "92c0c0"), func() any { return new(chatMsg) }, nil, codec.CodeBadRequest},
		{"non-string map key", mustHex(t, "8101c0"), func() any { return new(map[string]any) }, nil, codec.CodeBadRequest},
		// Ext values are refused in payloads: msgpack/v5 treats an ext header
		// in front of a map as transparent and would parse the unvalidated
		// ext bytes, and the bytes after them, as msgpack.
		{"ext smuggles array32 bomb", mustHex(t, "94d6ff81a0dd7fffffffffff"), func() any { return new([]map[string]any) }, nil, codec.CodeBadRequest},
		{"ext smuggles map32 bomb", mustHex(t, "c70605dfffffffff00"), func() any { return new(map[string]any) }, nil, codec.CodeBadRequest},
		{"ext in struct map field", mustHex(t, "82a46d657461d6ff81a0dd7fa56974656d73"+"90"), func() any { return new(withMap) }, nil, codec.CodeBadRequest},
		{"timestamp ext", mustHex(t, "d6ff00000000"), func() any { return new(any) }, nil, codec.CodeBadRequest},
		// msgpack/v5 panics on this valid map: "l" twice, each an array of
		// arrays, into a []any field (a fuzzing find).
		{"repeated key into []any", []byte("\x82\xa1l\x91\x91\xa6000000\xa1l\x91\x91\x30"), func() any { return new(anySlice) }, nil, codec.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codec.UnmarshalData(tt.raw, tt.into())
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.err != nil && err != tt.err {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var ce *codec.Error
			if !errors.As(err, &ce) || ce.Code != tt.code {
				t.Fatalf("err %v (%T), want code %q", err, err, tt.code)
			}
			if len(ce.Message) > 200 {
				t.Fatalf("message too long (%d bytes): %q", len(ce.Message), ce.Message)
			}
		})
	}
}

// The message of a decode error is bounded even when msgpack quotes input.
func TestUnmarshalDataErrorTrimmed(t *testing.T) {
	raw := mustMarshal(t, map[string]any{strings.Repeat("k", 500): 1})
	var v map[int]int
	err := codec.UnmarshalData(raw, &v)
	if err == nil {
		t.Fatal("accepted")
	}
	if ce := codec.AsError(err); ce.Code != codec.CodeBadRequest || len(ce.Message) > 40+120 {
		t.Fatalf("%q", ce.Message)
	}
}

func TestUnmarshalDataGeneric(t *testing.T) {
	raw := mustMarshal(t, map[string]any{"a": []any{int8(1), "x", nil, true, 1.5}, "b": map[string]any{"c": []byte{1, 2}}})
	var anyV any
	if err := codec.UnmarshalData(raw, &anyV); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := codec.UnmarshalData(raw, &m); err != nil || len(m) != 2 {
		t.Fatalf("%v %v", m, err)
	}
	var s []any
	if err := codec.UnmarshalData(mustMarshal(t, []any{1, "two", []any{3}}), &s); err != nil || len(s) != 3 {
		t.Fatalf("%v %v", s, err)
	}
	// Depth limit applies to the payload on its own: 32 levels are fine.
	var deep any
	if err := codec.UnmarshalData(append(bytes.Repeat([]byte{0x91}, 32), 0xc0), &deep); err != nil {
		t.Fatal(err)
	}
}

func TestMarshalDataRoundTrip(t *testing.T) {
	for _, v := range []any{nil, 1, -1, "s", []int{1, 2}, map[string]int{"a": 1}} {
		raw, err := codec.MarshalData(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := codec.Validate(raw); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		want, _ := msgpack.Marshal(v)
		if !bytes.Equal(raw, want) {
			t.Fatalf("%v: %x vs %x", v, raw, want)
		}
	}
	if _, err := codec.MarshalData(make(chan int)); err == nil {
		t.Fatal("channel marshalled")
	}
}

// MarshalData encodes into a pooled buffer: each result is its own copy,
// left alone by later encodes and by an encode that fails.
func TestMarshalDataPooledBuffer(t *testing.T) {
	first, err := codec.MarshalData(chatMsg{Text: strings.Repeat("a", 300), At: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(first)
	for i := range 50 {
		if _, err := codec.MarshalData(chatMsg{Text: strings.Repeat("b", i), At: int64(i)}); err != nil {
			t.Fatal(err)
		}
		_, _ = codec.MarshalData(make(chan int))
	}
	if !bytes.Equal(first, want) {
		t.Fatal("a result changed under later encodes")
	}
	big, err := codec.MarshalData(strings.Repeat("c", 100<<10))
	if err != nil || len(big) < 100<<10 {
		t.Fatalf("large payload: %d bytes, %v", len(big), err)
	}
}

func TestError(t *testing.T) {
	e := &codec.Error{Code: codec.CodeForbidden, Message: "not a member"}
	if e.Error() != "forbidden: not a member" {
		t.Errorf("Error() = %q", e.Error())
	}
	if got := (&codec.Error{Code: codec.CodeNotFound}).Error(); got != "not_found" {
		t.Errorf("Error() without message = %q", got)
	}
	if !errors.Is(e, &codec.Error{Code: codec.CodeForbidden}) {
		t.Error("errors.Is by code failed")
	}
	if errors.Is(e, &codec.Error{Code: codec.CodeNotFound}) {
		t.Error("errors.Is matched another code")
	}
	wrapped := fmt.Errorf("room r1: %w", e)
	if !errors.Is(wrapped, &codec.Error{Code: codec.CodeForbidden}) {
		t.Error("errors.Is through wrapping failed")
	}
	if errors.Is(wrapped, errors.New("forbidden")) {
		t.Error("matched a plain error")
	}
	if got := codec.AsError(wrapped); got != e {
		t.Errorf("AsError(wrapped) = %v, want the typed error", got)
	}
	if got := codec.AsError(codec.ErrTooDeep); got.Code != codec.CodeTooLarge {
		t.Errorf("AsError(ErrTooDeep) = %v", got)
	}
	secret := errors.New("dial tcp 10.0.0.3:5432: password authentication failed")
	got := codec.AsError(fmt.Errorf("store: %w", secret))
	if got.Code != codec.CodeInternal || got.Message != "internal error" || strings.Contains(got.Error(), "password") {
		t.Errorf("AsError(untyped) = %v, must not leak", got)
	}
	ef := codec.Errorf(codec.CodeTooMany, "at most %d rooms", 8)
	if ef.Code != codec.CodeTooMany || ef.Message != "at most 8 rooms" {
		t.Errorf("Errorf = %+v", ef)
	}
	if custom := (&codec.Error{Code: "not_your_turn"}); !errors.Is(fmt.Errorf("x: %w", custom), &codec.Error{Code: "not_your_turn"}) {
		t.Error("module codes must match too")
	}
}

func TestErrorCodes(t *testing.T) {
	// The code strings are part of the protocol.
	want := map[codec.Code]string{
		codec.CodeBadRequest: "bad_request", codec.CodeUnauthorized: "unauthorized", codec.CodeForbidden: "forbidden",
		codec.CodeNotFound: "not_found", codec.CodeConflict: "conflict", codec.CodeRateLimited: "rate_limited",
		codec.CodeTooLarge: "too_large", codec.CodeTooMany: "too_many", codec.CodeUnavailable: "unavailable",
		codec.CodeInternal: "internal",
	}
	if len(want) != 10 {
		t.Fatal("duplicate code")
	}
	for c, s := range want {
		if string(c) != s {
			t.Errorf("%q != %q", c, s)
		}
		if len(s) > codec.MaxNameLen {
			t.Errorf("%q longer than MaxNameLen", s)
		}
	}
}
