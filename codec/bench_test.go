package codec_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// benchData is a ~100-byte chat payload: {"t": text, "at": millis, "id": id}.
var benchData = func() []byte {
	b := codec.AppendMapHeader(nil, 3)
	b = codec.AppendString(b, "t")
	b = codec.AppendString(b, strings.Repeat("hello parlor ", 6))
	b = codec.AppendString(b, "at")
	b = codec.AppendUint(b, 1732600000000)
	b = codec.AppendString(b, "id")
	b = codec.AppendString(b, "m_01JDQ3R8")
	return b
}()

const benchRoom = "5f2b9c1e0a7d4c3b8e6f1a2d9c0b7e4f"

func BenchmarkEncodeEvent(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.SetBytes(int64(len(codec.AppendEvent(nil, benchRoom, 1<<20, "msg", benchData))))
	for i := 0; b.Loop(); i++ {
		buf = codec.AppendEvent(buf[:0], benchRoom, uint64(i), "msg", benchData)
	}
	_ = buf
}

func BenchmarkEncodeReply(b *testing.B) {
	buf := make([]byte, 0, 512)
	ack := codec.AppendMapHeader(nil, 1)
	ack = codec.AppendString(ack, "seq")
	ack = codec.AppendUint(ack, 1234)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = codec.AppendReply(buf[:0], uint64(i), "", "", ack)
		buf = codec.AppendReply(buf, uint64(i), codec.CodeForbidden, "not a member", nil)
	}
	_ = buf
}

func BenchmarkDecodeSend(b *testing.B) {
	msg := codec.AppendSend(nil, 42, benchRoom, "msg", benchData, "c-01JDQ3R8XYZ")
	var sink int
	fn := func(f *codec.Frame) error {
		sink += len(f.Room) + len(f.Data)
		return nil
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := codec.DecodeMessage(msg, 64, fn); err != nil {
			b.Fatal(err)
		}
	}
	_ = sink
}

// nestedPayload builds a msgpack value of about size bytes with maps and
// arrays nested several levels deep.
func nestedPayload(size int) []byte {
	rng := rand.New(rand.NewPCG(7, 7))
	var build func(b []byte, depth int) []byte
	build = func(b []byte, depth int) []byte {
		if depth >= 6 || rng.IntN(3) == 0 {
			switch rng.IntN(4) {
			case 0:
				return codec.AppendUint(b, rng.Uint64N(100000))
			case 1:
				return codec.AppendString(b, strings.Repeat("x", rng.IntN(12)))
			case 2:
				return codec.AppendBool(b, true)
			default:
				return codec.AppendInt(b, -rng.Int64N(1000))
			}
		}
		n := 1 + rng.IntN(4)
		if rng.IntN(2) == 0 {
			b = codec.AppendArrayHeader(b, n)
			for range n {
				b = build(b, depth+1)
			}
			return b
		}
		b = codec.AppendMapHeader(b, n)
		for k := range n {
			b = codec.AppendString(b, "k"+string(rune('a'+k)))
			b = build(b, depth+1)
		}
		return b
	}
	var items [][]byte
	total := 3
	for total < size-16 {
		it := build(nil, 1)
		if total+len(it) > size {
			continue
		}
		items = append(items, it)
		total += len(it)
	}
	out := codec.AppendArrayHeader(nil, len(items))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

func BenchmarkValidate(b *testing.B) {
	payload := nestedPayload(1024)
	if err := codec.Validate(payload); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if err := codec.Validate(payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBatch16(b *testing.B) {
	var msg []byte
	for i := range 16 {
		msg = codec.AppendEvent(msg, benchRoom, uint64(1000+i), "msg", benchData)
	}
	var sink int
	fn := func(f *codec.Frame) error {
		sink += int(f.Seq)
		return nil
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := codec.DecodeMessage(msg, 64, fn); err != nil {
			b.Fatal(err)
		}
	}
	_ = sink
}
