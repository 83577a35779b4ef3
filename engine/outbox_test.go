package engine

import "testing"

// TestOutboxCountsBatchInFlight: a batch the writer has taken stays
// counted against the outbox's byte bound until it is written, so a
// client that stops reading while a batch is on its way is closed at the
// push that takes it past the bound, not one batch later.
func TestOutboxCountsBatchInFlight(t *testing.T) {
	o := outbox{limit: 100}
	if r := o.push(make([]byte, 60)); r != pushStart {
		t.Fatalf("first push: %d, want pushStart", r)
	}
	batch, size, _, _ := o.next(nil, 16, 1<<20)
	if len(batch) != 1 || size != 60 {
		t.Fatalf("next: %d frames of %d bytes, want 1 of 60", len(batch), size)
	}
	// The 60 bytes are being written (to a peer that may never read them).
	if got := o.queued(); got != 60 {
		t.Fatalf("queued during the write: %d bytes, want the 60 in flight", got)
	}
	if r := o.push(make([]byte, 30)); r != pushQueued {
		t.Fatalf("push to 90 of 100 bytes: %d, want pushQueued", r)
	}
	// 60 in flight + 30 queued + 30 = 120: over the bound, although the
	// queue alone would hold only 60.
	if r := o.push(make([]byte, 30)); r != pushOverflow {
		t.Fatalf("push to 120 of 100 bytes with a batch in flight: %d, want pushOverflow", r)
	}
	if !o.isClosed() {
		t.Fatal("the outbox still accepts frames after the overflow")
	}
	if r := o.push([]byte{1}); r != pushClosed {
		t.Fatalf("push after the overflow: %d, want pushClosed", r)
	}
}

// TestOutboxReleasesWrittenBytes: once a batch is written its bytes no
// longer count, so a client that keeps up is never closed for what it has
// already received.
func TestOutboxReleasesWrittenBytes(t *testing.T) {
	o := outbox{limit: 100}
	for round := range 5 {
		if r := o.push(make([]byte, 90)); r != pushStart {
			t.Fatalf("round %d: push of 90 bytes: %d, want pushStart", round, r)
		}
		batch, size, _, _ := o.next(nil, 16, 1<<20)
		if len(batch) != 1 || size != 90 {
			t.Fatalf("round %d: next: %d frames of %d bytes, want 1 of 90", round, len(batch), size)
		}
		o.written(size)
		if got := o.queued(); got != 0 {
			t.Fatalf("round %d: %d bytes still counted after the write", round, got)
		}
		// The writer finds the queue empty and stops.
		if batch, _, _, _ := o.next(batch[:0], 16, 1<<20); len(batch) != 0 {
			t.Fatalf("round %d: next on an empty queue returned %d frames", round, len(batch))
		}
	}
}

// TestOutboxClaim: the heartbeat's ping takes the writer slot only from
// an idle outbox, frames pushed while it holds the slot wait for it and
// are handed to a writer when it is released, and so is a close asked
// for meanwhile.
func TestOutboxClaim(t *testing.T) {
	var o outbox
	o.limit = 100
	if !o.claim() {
		t.Fatal("claim of an idle outbox failed")
	}
	if o.claim() {
		t.Fatal("second claim succeeded while the slot is held")
	}
	if o.release() {
		t.Fatal("release with nothing queued asked for a writer")
	}
	// Frames pushed while the slot is held queue behind it.
	if !o.claim() {
		t.Fatal("claim after release failed")
	}
	if r := o.push([]byte{1, 2}); r != pushQueued {
		t.Fatalf("push while claimed: %d, want pushQueued", r)
	}
	if !o.release() {
		t.Fatal("release with a frame queued did not ask for a writer")
	}
	// The writer now holds the slot: no claim until it has drained.
	if o.claim() {
		t.Fatal("claim succeeded while a writer holds the slot")
	}
	batch, _, _, _ := o.next(nil, 16, 1<<20)
	if len(batch) != 1 {
		t.Fatalf("writer took %d frames, want 1", len(batch))
	}
	o.written(2)
	if batch, _, _, _ = o.next(batch[:0], 16, 1<<20); len(batch) != 0 {
		t.Fatalf("writer took %d more frames, want none", len(batch))
	}
	// A claim of the idle outbox gives back the slices the burst left.
	if cap(o.queue) == 0 || cap(o.spare) == 0 {
		t.Fatal("the burst left no slices to give back; the check below proves nothing")
	}
	if !o.claim() {
		t.Fatal("claim of a drained outbox failed")
	}
	if cap(o.queue) != 0 || cap(o.spare) != 0 {
		t.Fatalf("an idle outbox kept slices of %d and %d frames", cap(o.queue), cap(o.spare))
	}
	// A close asked for while claimed is sent by a writer afterwards.
	if o.closeAfterFlush(4000, "bye") {
		t.Fatal("closeAfterFlush asked for a writer while the slot is held")
	}
	if !o.release() {
		t.Fatal("release with a close pending did not ask for a writer")
	}
	if _, _, code, _ := o.next(nil, 16, 1<<20); code != 4000 {
		t.Fatalf("the writer's close code: %d, want 4000", code)
	}
	// A closed outbox cannot be claimed: the connection is going.
	if o.claim() {
		t.Fatal("claim of a closed outbox succeeded")
	}
}
