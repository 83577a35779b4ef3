package room

import "time"

// replayBuffer keeps a room's most recent ordered event frames so that a
// resuming client can be sent what it missed. It holds the encoded frames
// that were broadcast (shared, never copied) in a ring, bounded by count,
// bytes and age. Room goroutine only.
type replayBuffer struct {
	maxEvents int
	maxBytes  int
	maxAge    time.Duration

	ring  []replayEntry // grows up to maxEvents, then wraps
	start int           // index of the oldest entry
	n     int           // entries held
	bytes int           // frame bytes held
}

// replayEntry is one buffered event frame.
type replayEntry struct {
	seq   uint64
	at    int64 // unix nanos when it was broadcast
	frame []byte
}

func newReplayBuffer(maxEvents, maxBytes int, maxAge time.Duration) replayBuffer {
	return replayBuffer{maxEvents: maxEvents, maxBytes: maxBytes, maxAge: maxAge}
}

// enabled reports whether the buffer keeps anything at all.
func (b *replayBuffer) enabled() bool { return b.maxEvents > 0 && b.maxBytes > 0 }

// add appends the frame of ordered event seq, dropping the oldest entries
// to stay within the bounds. A frame larger than the byte bound is not
// kept, and neither is anything before it: the buffer must stay
// contiguous.
func (b *replayBuffer) add(seq uint64, frame []byte, now int64) {
	if !b.enabled() {
		return
	}
	if len(frame) > b.maxBytes {
		b.reset()
		return
	}
	if b.n > 0 && b.at(b.n-1).seq+1 != seq {
		b.reset() // the seq jumped (SetSeq): older entries are not contiguous
	}
	for b.n > 0 && (b.n == b.maxEvents || b.bytes+len(frame) > b.maxBytes) {
		b.dropOldest()
	}
	if b.n == len(b.ring) {
		b.grow()
	}
	b.ring[(b.start+b.n)%len(b.ring)] = replayEntry{seq: seq, at: now, frame: frame}
	b.n++
	b.bytes += len(frame)
}

// grow enlarges a full ring (held entries < maxEvents), keeping the order.
// Rings start small so that quiet rooms cost little.
func (b *replayBuffer) grow() {
	size := min(max(2*len(b.ring), 8), b.maxEvents)
	grown := make([]replayEntry, size)
	for i := 0; i < b.n; i++ {
		grown[i] = *b.at(i)
	}
	b.ring, b.start = grown, 0
}

// at returns the i-th oldest entry.
func (b *replayBuffer) at(i int) *replayEntry { return &b.ring[(b.start+i)%len(b.ring)] }

func (b *replayBuffer) dropOldest() {
	e := b.at(0)
	b.bytes -= len(e.frame)
	*e = replayEntry{}
	b.start = (b.start + 1) % len(b.ring)
	b.n--
	if b.n == 0 {
		b.start = 0
	}
}

// expire drops entries older than maxAge.
func (b *replayBuffer) expire(now int64) {
	if b.maxAge <= 0 {
		return
	}
	cutoff := now - int64(b.maxAge)
	for b.n > 0 && b.at(0).at < cutoff {
		b.dropOldest()
	}
}

// reset drops every entry and releases the ring.
func (b *replayBuffer) reset() {
	b.ring, b.start, b.n, b.bytes = nil, 0, 0, 0
}

// since returns the frames of the events after seq since up to head, in
// order, and whether the buffer holds all of them.
func (b *replayBuffer) since(since, head uint64, now int64) ([][]byte, bool) {
	if since >= head {
		return nil, since == head
	}
	b.expire(now)
	if b.n == 0 || b.at(0).seq > since+1 || b.at(b.n-1).seq != head {
		return nil, false
	}
	first := int(since + 1 - b.at(0).seq)
	out := make([][]byte, 0, b.n-first)
	for i := first; i < b.n; i++ {
		out = append(out, b.at(i).frame)
	}
	return out, true
}
