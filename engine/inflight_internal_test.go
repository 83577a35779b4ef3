package engine

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// TestInflightSlotsNeverStuck: sends that never get an answer on their
// connection (the client sends them again under new refs after a room
// moved) cannot keep the connection's later sends from being timed: past
// inflightSends, a new send takes the oldest one's slot, and the count of
// requests in flight stays bounded.
func TestInflightSlotsNeverStuck(t *testing.T) {
	var n atomic.Int32
	in := &inflight{n: &n}
	for ref := uint64(1); ref <= inflightSends+8; ref++ {
		in.add(inflightReq{ref: ref, typ: codec.TypeSend, start: time.Duration(ref)})
	}
	if got := n.Load(); got != inflightSends {
		t.Fatalf("%d requests counted in flight, want %d", got, inflightSends)
	}
	if _, ok := in.take(inflightSends + 8); !ok {
		t.Fatal("the newest send is not timed")
	}
	if _, ok := in.take(1); ok {
		t.Fatal("the oldest send kept its slot past the bound")
	}
	if _, ok := in.take(9); !ok {
		t.Fatal("the oldest send still in a slot is not timed")
	}
	if got := n.Load(); got != inflightSends-2 {
		t.Fatalf("%d requests counted in flight after two answers, want %d", got, inflightSends-2)
	}
}
