package main

import (
	"strings"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
)

// TestScanMessage: the author and text found in encoded entries of every
// shape are the ones encoded, whatever fields come before or after them,
// and a truncated or foreign payload is refused, not misread.
func TestScanMessage(t *testing.T) {
	long := strings.Repeat("y", 70000) // a str32 text
	entries := []chat.Message{
		{Seq: 1, ID: "id1", Kind: chat.KindMessage, From: "alice", Time: 1765000000000, Text: "00000000000000000042|hello"},
		{Seq: 1 << 40, ID: "id2", Kind: chat.KindMessage, From: "b", Time: -5, Text: long, ClientMsgID: "c1", Edited: 9},
		{Seq: 3, ID: "id3", Kind: chat.KindMembers, From: "carol", Added: []string{"x", "y"}, Removed: []string{"z"}, Name: strings.Repeat("n", 40)},
		{Seq: 4, ID: "id4", Kind: chat.KindDelete, From: "dave", Target: 2, Deleted: true},
	}
	for _, e := range entries {
		raw, err := codec.MarshalData(e)
		if err != nil {
			t.Fatal(err)
		}
		from, text, ok := scanMessage(raw)
		if !ok || string(from) != e.From || string(text) != e.Text {
			t.Errorf("entry %d: scanned from %q, text of %d bytes, %v; want %q and %d bytes", e.Seq, from, len(text), ok, e.From, len(e.Text))
		}
		for n := range len(raw) {
			if from, text, ok := scanMessage(raw[:n]); ok && (string(from) != e.From || string(text) != e.Text) {
				t.Fatalf("entry %d cut to %d bytes: misread as from %q", e.Seq, n, from)
			}
		}
	}
	for _, v := range []any{"a string", []string{"from", "text"}, map[string]int{"from": 1}} {
		raw, err := codec.MarshalData(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := scanMessage(raw); ok {
			t.Errorf("%#v scanned as a message", v)
		}
	}
}

// appendSendRequest encodes a send request as the codec does, for texts
// of every string header size.
func TestAppendSendRequest(t *testing.T) {
	for _, n := range []int{0, 31, 32, 120, 255, 256, 65535, 65536} {
		text := strings.Repeat("t", n)
		want, err := codec.MarshalData(chat.SendRequest{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSendRequest([]byte("x"), []byte(text)); string(got[1:]) != string(want) || got[0] != 'x' {
			t.Errorf("text of %d bytes: encoded %x..., want %x...", n, got[:min(len(got), 12)], want[:min(len(want), 11)])
		}
	}
}
