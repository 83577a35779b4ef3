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
	if r := o.push(make([]byte, 30)); r != pushFirst {
		t.Fatalf("push to 90 of 100 bytes: %d, want pushFirst (the only frame queued)", r)
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
	if r := o.push([]byte{1, 2}); r != pushFirst {
		t.Fatalf("push while claimed: %d, want pushFirst", r)
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

// TestOutboxHeldWrite: a goroutine that holds the writer slot (hold, or
// a push that said pushStart) takes only frames that fit a direct write,
// in order, and hands the slot to a writer when more, or a close, was
// queued meanwhile; otherwise it releases it.
func TestOutboxHeldWrite(t *testing.T) {
	o := outbox{limit: 1 << 20}
	if !o.hold() {
		t.Fatal("hold of an idle outbox failed")
	}
	if o.hold() {
		t.Fatal("a second hold succeeded")
	}
	for i := range 3 {
		want := pushQueued
		if i == 0 {
			want = pushFirst // the first frame in line
		}
		if r := o.push([]byte{byte(i), 0, 0}); r != want {
			t.Fatalf("push %d while held: %d, want %d", i, r, want)
		}
	}
	batch, size := o.takeDirect(2, 1<<10)
	if len(batch) != 2 || size != 6 || batch[0][0] != 0 || batch[1][0] != 1 {
		t.Fatalf("takeDirect(2 frames): %d frames of %d bytes, want frames 0 and 1 (6 bytes)", len(batch), size)
	}
	if !o.doneDirect(batch, size) {
		t.Fatal("doneDirect with a frame left released the slot")
	}
	if o.queued() != 3 {
		t.Fatalf("queued %d bytes after the direct write, want 3", o.queued())
	}
	// The slot is still held for frame 2: a frame too large for a direct
	// write after it is not taken, nor is anything past it.
	o.push(make([]byte, 2<<10))
	batch, size = o.takeDirect(8, 1<<10)
	if len(batch) != 1 || batch[0][0] != 2 {
		t.Fatalf("takeDirect: %d frames, want frame 2 alone", len(batch))
	}
	if !o.doneDirect(batch, size) {
		t.Fatal("doneDirect released the slot with the large frame queued")
	}
	if batch, _ = o.takeDirect(8, 1<<10); len(batch) != 0 {
		t.Fatalf("takeDirect took %d frames of 2 KiB, limit 1 KiB", len(batch))
	}
	if !o.doneDirect(batch, 0) {
		t.Fatal("doneDirect released the slot with the large frame queued")
	}
	// A writer takes the large frame, and stops.
	batch, size, _, _ = o.next(nil, maxBatchFrames, maxBatchBytes)
	if len(batch) != 1 || size != 2<<10 {
		t.Fatalf("next: %d frames of %d bytes, want the large frame", len(batch), size)
	}
	o.written(size)
	if batch, _, _, _ = o.next(batch[:0], maxBatchFrames, maxBatchBytes); len(batch) != 0 {
		t.Fatal("next found frames in a drained outbox")
	}
	// A close queued while held hands the slot to a writer, which sends it.
	if !o.hold() {
		t.Fatal("hold after the writer stopped failed")
	}
	if o.closeAfterFlush(4000, "bye") {
		t.Fatal("closeAfterFlush asked for a writer while the slot was held")
	}
	if !o.release() {
		t.Fatal("release with a close pending did not ask for a writer")
	}
	if _, _, code, _ := o.next(nil, maxBatchFrames, maxBatchBytes); code != 4000 {
		t.Fatalf("writer's close code %d, want 4000", code)
	}
	if o.hold() {
		t.Fatal("hold of a closed outbox succeeded")
	}
}
