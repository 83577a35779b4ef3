package codec_test

import (
	"fmt"
	"testing"

	"github.com/parlorhq/parlor/codec"
)

// A send decoded with a warm Interner allocates nothing; its room id and
// event name are still the frame's own, and stay valid after the message
// buffer is reused.
func TestDecodeInternedSendAllocatesNothing(t *testing.T) {
	msg := codec.AppendSend(nil, 42, "room-1", "say", codec.AppendString(nil, "hi"), "")
	var in codec.Interner
	var room, event string
	fn := func(f *codec.Frame) error {
		room, event = f.Room, f.Event
		return nil
	}
	if err := codec.DecodeMessageInterned(msg, 64, &in, fn); err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if err := codec.DecodeMessageInterned(msg, 64, &in, fn); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("an interned send decode allocates %v times", n)
	}
	clear(msg) // the pooled read buffer being reused
	if room != "room-1" || event != "say" {
		t.Fatalf("decoded room %q event %q after the buffer changed", room, event)
	}
}

// A client that sends to ever new names fills the Interner up to its bound
// and no further, and every frame still decodes to its own names.
func TestInternerIsBounded(t *testing.T) {
	var in codec.Interner
	for i := range 10 * codec.MaxInterned {
		room, event := fmt.Sprintf("room-%d", i), fmt.Sprintf("ev-%d", i)
		msg := codec.AppendSend(nil, 1, room, event, nil, "")
		err := codec.DecodeMessageInterned(msg, 64, &in, func(f *codec.Frame) error {
			if f.Room != room || f.Event != event {
				t.Fatalf("frame %d decoded as %q %q", i, f.Room, f.Event)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if in.Len() != codec.MaxInterned {
		t.Fatalf("Interner keeps %d strings, want %d", in.Len(), codec.MaxInterned)
	}
	// A second connection's Interner starts empty and is not affected.
	var other codec.Interner
	if other.String([]byte("x")) != "x" || other.Len() != 1 {
		t.Fatal("a fresh Interner is not independent")
	}
}

func BenchmarkDecodeSendInterned(b *testing.B) {
	msg := codec.AppendSend(nil, 42, benchRoom, "msg", benchData, "c-01JDQ3R8XYZ")
	var in codec.Interner
	var sink int
	fn := func(f *codec.Frame) error {
		sink += len(f.Room) + len(f.Data)
		return nil
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if err := codec.DecodeMessageInterned(msg, 64, &in, fn); err != nil {
			b.Fatal(err)
		}
	}
	_ = sink
}
