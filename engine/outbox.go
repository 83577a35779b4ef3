package engine

import "sync"

// outbox is a connection's byte-bounded queue of encoded frames. Producers
// (rooms, the session itself) push without blocking; one writer goroutine,
// started on demand, drains it, batching queued frames into one WebSocket
// message. Bytes stay counted until written, so the bound covers the batch
// in flight too.
type outbox struct {
	mu      sync.Mutex
	queue   [][]byte
	head    int
	bytes   int
	limit   int
	writing bool
	// closed: no more pushes are accepted.
	closed bool
	// dead: nothing more will be written; drop whatever is queued.
	dead bool
	// byReader: the writer slot is the reader's hold for the message it
	// handles (hold), not yet given back (session.endMessageHold). The
	// reader alone reads and writes it, without mu; it fills padding.
	byReader bool
	// closeCode, when set, is sent once the queue has drained.
	closeCode   uint16
	closeReason string
	// spare is the batch slice kept between writer runs.
	spare [][]byte
	// queuedAtTake is the bytes queued (the batch included) when next
	// last took a batch. Only the writer reads it, after next, for
	// Config.Observer.
	queuedAtTake int
}

// takeSpare hands the kept batch slice to a starting writer.
func (o *outbox) takeSpare() [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.spare
	o.spare = nil
	return b[:0]
}

// pushResult says what a push did.
type pushResult uint8

const (
	pushQueued   pushResult = iota // queued behind other frames; a writer is already running
	pushFirst                      // queued first in line; a writer is already running (or the reader holds the outbox)
	pushStart                      // queued; the caller must start a writer
	pushOverflow                   // the limit was exceeded; the outbox is now dead
	pushClosed                     // the outbox no longer accepts frames
)

func (o *outbox) push(frames []byte) pushResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return pushClosed
	}
	if o.bytes+len(frames) > o.limit {
		o.closed, o.dead = true, true
		o.reset()
		return pushOverflow
	}
	first := o.head == len(o.queue)
	if len(o.queue) == cap(o.queue) && o.head > 0 {
		// Reuse the room the frames taken left at the front, rather than
		// grow: a writer that never quite catches up never empties the
		// queue, and its taken slots would pile up for good.
		n := copy(o.queue, o.queue[o.head:])
		clear(o.queue[n:])
		o.queue, o.head = o.queue[:n], 0
	}
	o.queue = append(o.queue, frames)
	o.bytes += len(frames)
	if o.writing {
		if first {
			return pushFirst
		}
		return pushQueued
	}
	o.writing = true
	return pushStart
}

// next takes up to maxFrames frames and about maxBytes bytes for one
// message, appending them to batch. When nothing is left it returns the
// pending close code, if any, and marks the writer stopped.
func (o *outbox) next(batch [][]byte, maxFrames, maxBytes int) (out [][]byte, size int, closeCode uint16, closeReason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dead || o.head == len(o.queue) {
		o.writing = false
		o.spare = batch[:0]
		if !o.dead && o.closeCode != 0 {
			closeCode, closeReason = o.closeCode, o.closeReason
			o.dead = true
		}
		o.reset()
		return batch, 0, closeCode, closeReason
	}
	batch, size = o.takeLocked(batch, maxFrames, maxBytes, true)
	return batch, size, 0, ""
}

// takeLocked moves frames from the head of the queue to batch, up to
// maxFrames frames and maxBytes bytes; with oversizeFirst the first frame
// goes whatever its size (a writer must make progress), without it a
// frame past maxBytes stays queued. The caller holds mu.
func (o *outbox) takeLocked(batch [][]byte, maxFrames, maxBytes int, oversizeFirst bool) ([][]byte, int) {
	size := 0
	for o.head < len(o.queue) && len(batch) < maxFrames {
		f := o.queue[o.head]
		if size+len(f) > maxBytes && (len(batch) > 0 || !oversizeFirst) {
			break
		}
		batch = append(batch, f)
		size += len(f)
		o.queue[o.head] = nil
		o.head++
	}
	if o.head == len(o.queue) {
		o.queue, o.head = o.queue[:0], 0
	}
	o.queuedAtTake = o.bytes
	return batch, size
}

// claim takes the writer slot when no writer holds it and nothing is
// queued, for a frame the session writes itself between two writer runs:
// the heartbeat's ping (heartbeat.go). It reports whether it did; the
// caller then calls release. Frames pushed meanwhile are queued, as they
// would be behind a running writer.
//
// The outbox is idle then, so claim also gives back the queue and batch
// slices, which keep the capacity of the largest burst (up to 1,024 and
// 64 frames): an idle connection holds none, and one that is busy again
// takes them anew, once per heartbeat at most.
func (o *outbox) claim() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.writing || o.closed || o.head != len(o.queue) {
		return false
	}
	o.writing = true
	o.queue, o.head, o.spare = nil, 0, nil
	return true
}

// release gives back the writer slot taken by claim or hold. When frames
// or a close were queued meanwhile it keeps the slot and reports start:
// the caller must start a writer for them.
func (o *outbox) release() (start bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.releaseLocked()
}

func (o *outbox) releaseLocked() (start bool) {
	if !o.dead && (o.head != len(o.queue) || o.closeCode != 0) {
		return true
	}
	o.writing = false
	return false
}

// hold takes the writer slot when no writer holds it, so that frames
// pushed meanwhile are queued behind it, and reports whether it did. The
// caller then writes them itself or hands them to a writer (writeHeld,
// writers.go). Unlike claim it keeps the queue's slices: a connection's
// reader holds its outbox around every message it handles.
func (o *outbox) hold() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.writing || o.closed {
		return false
	}
	o.writing = true
	o.byReader = true
	return true
}

// takeDirect takes the queued frames that fit, from the first, in
// maxFrames frames and maxBytes bytes (none when the first does not), for
// a write by the holder of the writer slot on its own goroutine. It uses
// the kept batch slice; doneDirect gives it back.
func (o *outbox) takeDirect(maxFrames, maxBytes int) (batch [][]byte, size int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	batch = o.spare[:0]
	o.spare = nil
	if o.dead {
		return batch, 0
	}
	return o.takeLocked(batch, maxFrames, maxBytes, false)
}

// doneDirect ends a write of takeDirect's batch: it releases its size
// bytes, keeps the slice, and gives back the writer slot as release does,
// reporting start when frames or a close were queued meanwhile.
func (o *outbox) doneDirect(batch [][]byte, size int) (start bool) {
	clear(batch)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.bytes -= size
	if o.spare == nil {
		o.spare = batch[:0]
	}
	return o.releaseLocked()
}

// empty reports whether no frame is queued.
func (o *outbox) empty() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.head == len(o.queue)
}

// written releases the bytes of a written batch.
func (o *outbox) written(size int) {
	o.mu.Lock()
	o.bytes -= size
	o.mu.Unlock()
}

// closeAfterFlush stops new pushes and asks the writer to send a close
// frame once the queue is written. It reports whether the caller must
// start a writer.
func (o *outbox) closeAfterFlush(code uint16, reason string) (start bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return false
	}
	o.closed = true
	o.closeCode, o.closeReason = code, reason
	if o.writing {
		return false
	}
	o.writing = true
	return true
}

// kill drops everything; nothing more is written.
func (o *outbox) kill() {
	o.mu.Lock()
	o.closed, o.dead = true, true
	o.reset()
	o.mu.Unlock()
}

// isClosed reports whether the outbox has stopped accepting frames, which
// means the connection is closing.
func (o *outbox) isClosed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// queued returns the bytes queued or in flight.
func (o *outbox) queued() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}

func (o *outbox) reset() {
	clear(o.queue)
	o.queue, o.head = o.queue[:0], 0
	if cap(o.queue) > 1024 {
		o.queue = nil
	}
}
