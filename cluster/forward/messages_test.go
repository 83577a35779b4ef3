package forward

import (
	"bytes"
	"errors"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// TestMessagesAreArrays: every message encodes as a msgpack array of its
// fields and decodes back to itself.
func TestMessagesAreArrays(t *testing.T) {
	tests := []struct {
		v      any
		fields int
		into   any
	}{
		{&Join{Room: "r", Kind: "chat", User: "u", Session: "s", Node: "n", Params: []byte{0x80}, Epoch: "e", Since: 7, Ref: 3}, 9, &Join{}},
		{&Send{Room: "r", User: "u", Session: "s", Node: "n", Event: "msg", Data: []byte{0xa1, 'x'}, ClientMsgID: "c", Ref: 4}, 8, &Send{}},
		{&Leave{Room: "r", User: "u", Session: "s", Node: "n", Disconnected: true}, 5, &Leave{}},
		{&Reply{Code: codec.CodeConflict, Message: "m", Seq: 9, Epoch: "e", Recovered: true, Snapshot: []byte{0x90}, Data: []byte{0xc0}}, 7, &Reply{}},
	}
	for _, tt := range tests {
		b, err := msgpack.Marshal(tt.v)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 0x90|byte(tt.fields) {
			t.Errorf("%T: header %#x, want a fixarray of %d", tt.v, b[0], tt.fields)
		}
		if err := codec.UnmarshalData(b, tt.into); err != nil {
			t.Fatalf("%T: %v", tt.v, err)
		}
		if !reflect.DeepEqual(tt.into, tt.v) {
			t.Errorf("%T: round trip gave %+v, want %+v", tt.v, tt.into, tt.v)
		}
	}
}

// TestDecodeRejectsHostileInput: bodies that are not a message, or that
// claim more than they hold, are bad requests, not allocations.
func TestDecodeRejectsHostileInput(t *testing.T) {
	for _, in := range [][]byte{
		nil,
		{0xdd, 0xff, 0xff, 0xff, 0xff},       // array32 of 4G elements
		{0x98, 0xc6, 0x7f, 0xff, 0xff, 0xff}, // bin32 of 2 GiB as Room
		{0x91, 0x91, 0x91},                   // truncated nesting
		{0x98, 0xa1, 'r', 0xa1, 'k', 0xc0, 0xc0, 0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}, // ext
	} {
		var j Join
		err := decode(in, &j)
		if !errors.Is(err, &codec.Error{Code: codec.CodeBadRequest}) && !errors.Is(err, &codec.Error{Code: codec.CodeTooLarge}) {
			t.Errorf("decode(% x) = %v, want bad_request", in, err)
		}
	}
}

func TestErrorReply(t *testing.T) {
	r := ErrorReply(&codec.Error{Code: codec.CodeForbidden, Message: "no"})
	if r.Code != codec.CodeForbidden || r.Message != "no" {
		t.Errorf("ErrorReply = %+v", r)
	}
	if r := ErrorReply(errors.New("secret detail")); r.Code != codec.CodeInternal || r.Message != "internal error" {
		t.Errorf("ErrorReply of a plain error = %+v, want internal without its text", r)
	}
	if (&Reply{}).Err() != nil {
		t.Error("a success reply has an error")
	}
}

func TestCheckNode(t *testing.T) {
	for node, ok := range map[string]bool{"n1": true, "node-a_2": true, "": false, "a.b": false, "a*": false, "_x": false} {
		if got := checkNode(node) == nil; got != ok {
			t.Errorf("checkNode(%q) ok = %v, want %v", node, got, ok)
		}
	}
}

// TestQuietReply: only SendAsync's reply subjects ask for refusals only;
// nats.go's request inboxes, and subjects that merely contain a q, do not.
func TestQuietReply(t *testing.T) {
	for reply, want := range map[string]bool{
		"_INBOX.abc.q.7":    true,
		"_INBOX.abc.q.1234": true,
		"_INBOX.abc.x7Kq":   false,
		"_INBOX.abc.q":      false,
		"_INBOX.abcq.7":     false,
		"q.7":               false,
		"":                  false,
	} {
		if got := quietReply(reply); got != want {
			t.Errorf("quietReply(%q) = %v, want %v", reply, got, want)
		}
	}
}

// TestCheckDecoding: a Check decodes back to itself, memberships or none,
// and one that names more than MaxCheckMembers memberships is refused
// before they are allocated: a request of a million empty memberships
// (1 MiB) costs the decoder next to nothing, where it took 92 MB.
func TestCheckDecoding(t *testing.T) {
	for _, want := range []*Check{
		{Node: "n", Members: []Member{{Room: "r1", Session: "s1"}, {Room: "r2", Session: "s2"}}, Wait: 1500 * time.Millisecond},
		{Node: "n"},
		{Node: "n", Members: make([]Member, 1024)},
	} {
		b, err := msgpack.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if b[0] != 0x93 {
			t.Fatalf("header %#x, want a fixarray of 3", b[0])
		}
		var got Check
		if err := decode(b, &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("round trip gave %+v, want %+v", got, want)
		}
	}
	// A later version's field after Wait is skipped.
	b, _ := msgpack.Marshal([]any{"n", []any{[]any{"r", "s"}}, int64(7), "later"})
	var got Check
	if err := decode(b, &got); err != nil || got.Node != "n" || len(got.Members) != 1 || got.Wait != 7 {
		t.Fatalf("with a later field: %+v, %v", got, err)
	}

	over, _ := msgpack.Marshal(&Check{Node: "n", Members: make([]Member, 1025)})
	if err := decode(over, &got); err == nil {
		t.Fatal("a check of 1,025 memberships was taken")
	}
	const n = 1 << 20
	hostile := []byte{0x93, 0xa1, 'n', 0xdd, n >> 24, n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff}
	hostile = append(hostile, bytes.Repeat([]byte{0x90}, n)...)
	hostile = append(hostile, 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := decode(hostile, &got)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a check of a million memberships was taken")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Fatalf("refusing a million empty memberships allocated %d bytes", alloc)
	}
}
