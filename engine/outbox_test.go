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
