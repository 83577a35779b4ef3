package codec_test

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// compact encodes v with msgpack/v5 using its shortest integer forms.
func compact(tb testing.TB, v any) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var uintBoundaries = []uint64{
	0, 1, 127, 128, 255, 256, math.MaxUint16 - 1, math.MaxUint16, math.MaxUint16 + 1,
	math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32 + 1, 1<<53 - 1, 1 << 53, math.MaxInt64, math.MaxUint64 - 1, math.MaxUint64,
}

var intBoundaries = []int64{
	0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxInt32, math.MaxInt64,
	-1, -31, -32, -33, -127, -128, -129, -32767, -32768, -32769,
	math.MinInt32 + 1, math.MinInt32, math.MinInt32 - 1, math.MinInt64 + 1, math.MinInt64,
}

func TestAppendUintRoundTrip(t *testing.T) {
	wantLen := func(v uint64) int {
		switch {
		case v < 128:
			return 1
		case v <= math.MaxUint8:
			return 2
		case v <= math.MaxUint16:
			return 3
		case v <= math.MaxUint32:
			return 5
		}
		return 9
	}
	for _, v := range uintBoundaries {
		b := codec.AppendUint([]byte{0xee}, v)[1:] // appends, keeping dst
		if len(b) != wantLen(v) {
			t.Errorf("AppendUint(%d) = %x: not the shortest form", v, b)
		}
		if want := compact(t, v); !bytes.Equal(b, want) {
			t.Errorf("AppendUint(%d) = %x, msgpack compact %x", v, b, want)
		}
		var got uint64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("msgpack decodes AppendUint(%d) as %d, %v", v, got, err)
		}
		// Vice versa: msgpack's encodings, compact or fixed-width, decode as a ref.
		plain, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range [][]byte{plain, compact(t, v)} {
			msg := append([]byte{0x93, byte(codec.TypeLeave)}, enc...)
			msg = codec.AppendString(msg, "r")
			var f codec.Frame
			if err := codec.DecodeFrame(msg, &f); err != nil || f.Ref != v {
				t.Errorf("ref %x decoded as %d, %v", enc, f.Ref, err)
			}
		}
	}
}

func TestAppendIntRoundTrip(t *testing.T) {
	for _, v := range intBoundaries {
		b := codec.AppendInt(nil, v)
		if want := compact(t, v); !bytes.Equal(b, want) {
			t.Errorf("AppendInt(%d) = %x, msgpack compact %x", v, b, want)
		}
		var got int64
		if err := msgpack.Unmarshal(b, &got); err != nil || got != v {
			t.Errorf("msgpack decodes AppendInt(%d) as %d, %v", v, got, err)
		}
		if v >= 0 && !bytes.Equal(b, codec.AppendUint(nil, uint64(v))) {
			t.Errorf("AppendInt(%d) differs from AppendUint", v)
		}
		// Signed encodings of non-negative values are accepted as refs;
		// negative ones are not.
		plain, _ := msgpack.Marshal(v)
		msg := append([]byte{0x93, byte(codec.TypeLeave)}, plain...)
		msg = codec.AppendString(msg, "r")
		var f codec.Frame
		err := codec.DecodeFrame(msg, &f)
		if v >= 0 && (err != nil || f.Ref != uint64(v)) {
			t.Errorf("ref %x decoded as %d, %v", plain, f.Ref, err)
		}
		if v < 0 && err != codec.ErrFieldType {
			t.Errorf("negative ref %x: err %v, want ErrFieldType", plain, err)
		}
	}
}

func TestAppendStringRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536, 70000} {
		s := strings.Repeat("é", n/2) + strings.Repeat("x", n%2)
		b := codec.AppendString(nil, s)
		if want := compact(t, s); !bytes.Equal(b, want) {
			t.Errorf("AppendString(len %d) header %x, msgpack %x", n, b[:min(len(b), 5)], want[:min(len(want), 5)])
		}
		var got string
		if err := msgpack.Unmarshal(b, &got); err != nil || got != s {
			t.Errorf("msgpack decodes AppendString(len %d): %v", n, err)
		}
		if err := codec.Validate(b); err != nil {
			t.Errorf("AppendString(len %d) does not validate: %v", n, err)
		}
		if bb := codec.AppendStringBytes([]byte{0xc0}, []byte(s)); !bytes.Equal(bb[1:], b) || bb[0] != 0xc0 {
			t.Errorf("AppendStringBytes(len %d) = %x..., AppendString %x...", n, bb[:min(len(bb), 6)], b[:min(len(b), 5)])
		}
	}
	// msgpack's own string encodings decode as frame fields.
	for _, n := range []int{0, 5, 31, 32, 128} {
		s := strings.Repeat("r", n)
		enc, _ := msgpack.Marshal(s)
		msg := append([]byte{0x93, byte(codec.TypeLeave), 0x01}, enc...)
		var f codec.Frame
		if err := codec.DecodeFrame(msg, &f); err != nil || f.Room != s {
			t.Errorf("room of %d bytes: %q, %v", n, f.Room, err)
		}
	}
}

func TestAppendHeadersRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 255, 65535, 65536, 70000} {
		arr := codec.AppendArrayHeader(nil, n)
		m := codec.AppendMapHeader(nil, n)
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		_ = enc.EncodeArrayLen(n)
		if !bytes.Equal(arr, buf.Bytes()) {
			t.Errorf("AppendArrayHeader(%d) = %x, msgpack %x", n, arr, buf.Bytes())
		}
		buf.Reset()
		_ = enc.EncodeMapLen(n)
		if !bytes.Equal(m, buf.Bytes()) {
			t.Errorf("AppendMapHeader(%d) = %x, msgpack %x", n, m, buf.Bytes())
		}

		for i := 0; i < n; i++ {
			arr = codec.AppendUint(arr, uint64(i))
		}
		var list []uint64
		if err := msgpack.Unmarshal(arr, &list); err != nil || len(list) != n {
			t.Fatalf("array of %d: decoded %d, %v", n, len(list), err)
		}
		for i, v := range list {
			if v != uint64(i) {
				t.Fatalf("array of %d: element %d = %d", n, i, v)
			}
		}
		for i := 0; i < n; i++ {
			m = codec.AppendUint(codec.AppendString(m, strconv.Itoa(i)), uint64(i))
		}
		var mm map[string]uint64
		if err := msgpack.Unmarshal(m, &mm); err != nil || len(mm) != n {
			t.Fatalf("map of %d: decoded %d, %v", n, len(mm), err)
		}
	}
}

func TestAppendScalars(t *testing.T) {
	tests := []struct {
		got  []byte
		want any
	}{
		{codec.AppendNil(nil), nil},
		{codec.AppendBool(nil, true), true},
		{codec.AppendBool(nil, false), false},
	}
	for _, tt := range tests {
		want, _ := msgpack.Marshal(tt.want)
		if !bytes.Equal(tt.got, want) {
			t.Errorf("%v: %x, msgpack %x", tt.want, tt.got, want)
		}
	}
	if got := codec.AppendRaw([]byte{1}, nil); !bytes.Equal(got, []byte{1, 0xc0}) {
		t.Errorf("AppendRaw(nil) = %x, want 01c0", got)
	}
	if got := codec.AppendRaw(nil, []byte{}); !bytes.Equal(got, []byte{0xc0}) {
		t.Errorf("AppendRaw(empty) = %x, want c0", got)
	}
	if got := codec.AppendRaw(nil, []byte{0x81, 0xa1, 't', 0x01}); !bytes.Equal(got, []byte{0x81, 0xa1, 't', 0x01}) {
		t.Errorf("AppendRaw copies its input: %x", got)
	}
}

// Every frame writer, with empty raw arguments, still produces a frame
// that decodes to what was written, with nil in place of missing payloads.
func TestAppendFramesEmptyRaw(t *testing.T) {
	frames := []codec.Frame{
		{Type: codec.TypeConnect, Ref: 1, Client: "go"},
		{Type: codec.TypeConnect, Ref: 1, Client: "go", Token: "t", Features: math.MaxUint64},
		{Type: codec.TypeConnected, Ref: 1, Session: "s", User: "u", HeartbeatMS: math.MaxUint32},
		{Type: codec.TypeJoin, Ref: 2, Kind: "chat.dm"},
		{Type: codec.TypeJoined, Ref: 2, Room: "r", Seq: math.MaxUint64},
		{Type: codec.TypeLeave, Ref: math.MaxUint64, Room: "r"},
		{Type: codec.TypeSend, Ref: 3, Room: "r", Event: "e", ClientMsgID: "c"},
		{Type: codec.TypeReply, Ref: 3, Code: codec.CodeConflict, Message: "m"},
		{Type: codec.TypeEvent, Room: "r", Seq: 0, Event: "e"},
		{Type: codec.TypeError, Code: codec.CodeInternal, Message: "x"},
		{Type: codec.TypeLeft, Room: "r", Reason: "gone"},
	}
	for _, f := range frames {
		b := codec.AppendFrame(nil, &f)
		var got codec.Frame
		if err := codec.DecodeFrame(b, &got); err != nil {
			t.Fatalf("%v: %v", f.Type, err)
		}
		want := f
		switch f.Type {
		case codec.TypeJoin:
			want.Params = []byte{0xc0}
		case codec.TypeJoined:
			want.Snapshot = []byte{0xc0}
		case codec.TypeSend, codec.TypeReply, codec.TypeEvent:
			want.Data = []byte{0xc0}
		}
		if !framesEqual(&got, &want) {
			t.Errorf("%v:\n got %+v\nwant %+v", f.Type, got, want)
		}
	}
	if b := codec.AppendFrame([]byte{7}, &codec.Frame{Type: 0}); !bytes.Equal(b, []byte{7}) {
		t.Errorf("unknown type appended %x", b)
	}
	if b := codec.AppendFrame(nil, &codec.Frame{Type: 200}); len(b) != 0 {
		t.Errorf("unknown type appended %x", b)
	}
}

func framesEqual(a, b *codec.Frame) bool {
	return a.Type == b.Type && a.Ref == b.Ref && a.Client == b.Client && a.Session == b.Session &&
		a.User == b.User && a.HeartbeatMS == b.HeartbeatMS && a.Kind == b.Kind &&
		bytes.Equal(a.Params, b.Params) && a.Room == b.Room && a.Seq == b.Seq &&
		bytes.Equal(a.Snapshot, b.Snapshot) && a.Event == b.Event && bytes.Equal(a.Data, b.Data) &&
		a.ClientMsgID == b.ClientMsgID && a.Code == b.Code && a.Message == b.Message && a.Reason == b.Reason &&
		a.Token == b.Token && a.Features == b.Features
}

func TestAppendDoesNotAllocate(t *testing.T) {
	data := []byte{0x81, 0xa1, 't', 0xa2, 'h', 'i'}
	buf := make([]byte, 0, 1024)
	f := codec.Frame{Type: codec.TypeSend, Ref: 9, Room: "r1", Event: "msg", Data: data, ClientMsgID: "c1"}
	allocs := testing.AllocsPerRun(100, func() {
		b := codec.AppendEvent(buf[:0], "r1", 1<<40, "msg", data)
		b = codec.AppendReply(b, 1, codec.CodeForbidden, "no", nil)
		b = codec.AppendConnected(b, 1, "s", "u", 25000, "tok", true)
		b = codec.AppendJoined(b, 1, "r1", 3, data, "ep", false)
		b = codec.AppendFrame(b, &f)
		b = codec.AppendInt(b, math.MinInt64)
		_ = codec.AppendMapHeader(b, 70000)
	})
	if allocs != 0 {
		t.Fatalf("frame writers allocated %v times per run", allocs)
	}
}

func TestBufferPool(t *testing.T) {
	b := codec.GetBuffer()
	if len(b.B) != 0 {
		t.Fatalf("new buffer has %d bytes", len(b.B))
	}
	b.B = codec.AppendEvent(b.B, "r", 1, "e", nil)
	codec.PutBuffer(b)
	b = codec.GetBuffer()
	if len(b.B) != 0 {
		t.Fatalf("pooled buffer not reset: %d bytes", len(b.B))
	}
	codec.PutBuffer(b)
	codec.PutBuffer(nil) // must not panic
	codec.PutBuffer(&codec.Buffer{B: make([]byte, 0, 1<<20)})
}
