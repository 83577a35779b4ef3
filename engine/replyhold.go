package engine

import (
	"runtime"
	"sync"
	"time"
)

// The reply hold's time limit. A send queued to a busy room's mailbox
// keeps the reader's hold of its outbox until the room replies
// (flushHeld, socket.go), so that the sender's event and its ack go out
// in one write. Frames other rooms queue to the connection meanwhile wait
// behind the hold, so a slow room handler would delay them for as long
// as it runs. Config.ReplyHold bounds that wait: a frame queued behind a
// waiting hold (deliver, or flushHeld for frames queued before the hold
// began to wait) files the hold in the engine's hold queues, which end
// it Config.ReplyHold later, if it still waits, and write what it kept;
// the reply goes out on its own when it comes, after those frames. A
// hold with nothing behind it delays nothing and costs nothing: ending
// it would only cost the send's event and ack a write each.
//
// A waiting hold is a token in the session's awaitReply: the hold's
// generation, numbered by the reader, and the low 32 bits of the send's
// ref. Whoever ends the hold takes the token back with a compare and
// swap, so each hold ends once, and only its own: the reply to its send
// (deliver, which compares the reply's ref), its time limit (the queue
// entry names the token), or a close (any token). A time limit that fires
// after its hold ended finds another token or none, and a late reply to
// an earlier send finds another ref; neither ends a later hold. (A
// client that gives two sends one ref may see the first's late reply end
// the second's hold early: what was held goes out sooner, nothing is
// lost.)
//
// Every entry waits the same Config.ReplyHold, so deadlines come in the
// order entries are filed: each of a few shards keeps a FIFO of
// (session, token, deadline), and a goroutine, running while its shard
// holds entries, ends the holds whose deadline has passed. It sleeps at
// least a quarter of Config.ReplyHold between turns, so that it wakes a
// few hundred times a second at most, however many entries come: a
// frame waits behind a hold at most 1.25 Config.ReplyHold. A hold costs
// its connection no memory and no timer of its own; filing it is an
// append under the shard's lock, by the first frame queued behind it
// alone (outbox.push says pushFirst). An entry whose hold its reply ended
// stays queued until its deadline, 24 bytes for Config.ReplyHold, and is
// then dropped.

// holdQueues is the engine's set of reply hold shards.
type holdQueues struct {
	shards []*holdShard
}

// holdShard is one FIFO of holds, in deadline order.
type holdShard struct {
	e    *Engine
	hold time.Duration // Config.ReplyHold

	mu      sync.Mutex
	queue   []holdEntry
	head    int
	running bool // the shard's goroutine runs

	// Only the shard's goroutine touches these: the timer it waits on,
	// made once and reused, the holds a turn found due, and run as a
	// func value, so that starting the goroutine allocates nothing.
	timer *time.Timer
	due   []holdEntry
	runFn func()
}

// holdEntry is one hold waiting for its reply: the session, the hold's
// token and its deadline, since monoBase.
type holdEntry struct {
	s   *session
	tok uint64
	at  time.Duration
}

// newHoldQueues makes one shard per GOMAXPROCS, at most wheelMaxShards,
// for the engine's Config.ReplyHold.
func newHoldQueues(e *Engine) *holdQueues {
	n := min(max(runtime.GOMAXPROCS(0), 1), wheelMaxShards)
	q := &holdQueues{shards: make([]*holdShard, n)}
	for i := range q.shards {
		sh := &holdShard{e: e, hold: e.cfg.ReplyHold, timer: time.NewTimer(time.Hour)}
		sh.timer.Stop()
		sh.runFn = sh.run
		q.shards[i] = sh
	}
	return q
}

// add files s's hold, whose token is tok and behind which a frame now
// waits, to end Config.ReplyHold from now. The shard is picked by the connection's socket, so one
// connection's holds share one FIFO and connections spread over all.
func (q *holdQueues) add(s *session, tok uint64) {
	sh := q.shards[uint32(s.sock)%uint32(len(q.shards))]
	if sh.push(s, tok) {
		sh.e.wg.Add(1)
		go sh.runFn()
	}
}

// push appends a hold to the shard and reports whether the caller must
// start the shard's goroutine. A stopped engine starts none: closing its
// connections ends their holds (closeAfterFlush).
func (sh *holdShard) push(s *session, tok uint64) (start bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.queue) == cap(sh.queue) && sh.head > 0 {
		// Reuse the room the expired entries left at the front.
		n := copy(sh.queue, sh.queue[sh.head:])
		clear(sh.queue[n:])
		sh.queue, sh.head = sh.queue[:n], 0
	}
	sh.queue = append(sh.queue, holdEntry{s: s, tok: tok, at: time.Since(monoBase) + sh.hold})
	if sh.running || sh.e.ctx.Err() != nil {
		return false
	}
	sh.running = true
	return true
}

// expired moves the entries whose deadline is at or before now to
// sh.due, and returns how long until the next deadline, or 0 when the
// shard is empty. It reports stop, and marks the goroutine stopped, when
// the shard is empty and no hold was found due; otherwise the caller
// ends the holds found due and looks again.
func (sh *holdShard) expired(now time.Duration) (wait time.Duration, stop bool) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for sh.head < len(sh.queue) && sh.queue[sh.head].at <= now {
		sh.due = append(sh.due, sh.queue[sh.head])
		sh.queue[sh.head] = holdEntry{}
		sh.head++
	}
	if sh.head == len(sh.queue) {
		sh.queue, sh.head = sh.queue[:0], 0
		if len(sh.due) == 0 {
			sh.running = false
			return 0, true
		}
		return 0, false
	}
	return sh.queue[sh.head].at - now, false
}

// run is the shard's goroutine: it ends the holds whose deadline has
// passed and sleeps until the next one. It exits when the shard is empty
// or the engine stops.
func (sh *holdShard) run() {
	defer sh.e.wg.Done()
	for {
		wait, stop := sh.expired(time.Since(monoBase))
		if stop {
			// From here on another goroutine may run the shard: this
			// one touches nothing more.
			return
		}
		for i, h := range sh.due {
			h.s.endHold(h.tok)
			sh.due[i] = holdEntry{}
		}
		sh.due = sh.due[:0]
		if wait == 0 {
			continue // look again: holds may have come meanwhile
		}
		sh.timer.Reset(max(wait, sh.hold/4))
		select {
		case <-sh.timer.C:
		case <-sh.e.ctx.Done():
			sh.timer.Stop()
			sh.mu.Lock()
			sh.running = false
			sh.mu.Unlock()
			return
		}
	}
}

// endHold ends the hold whose token is tok, if it still waits, and
// writes what it kept queued. It runs on a hold shard's goroutine, a
// Config.ReplyHold after a frame was queued behind the hold.
func (s *session) endHold(tok uint64) {
	if s.awaitReply.CompareAndSwap(tok, 0) {
		s.writeHeld()
	}
}

// nextHoldToken numbers the reader's next hold and returns its token:
// the generation in the high 32 bits, never 0, and the low 32 bits of the
// send's ref (replyRef) in the low ones. The generation wraps after
// 65,535 holds; two holds share a token only if they are that many
// holds apart and their sends' refs agree in the low 32 bits. The reader
// calls it.
func (s *session) nextHoldToken() uint64 {
	s.holdGen++
	if s.holdGen == 0 {
		s.holdGen = 1
	}
	return uint64(s.holdGen)<<32 | uint64(s.replyRef)
}

// holdAnswers reports whether frames, a reply, answers the send whose
// hold has token tok: its ref agrees with the send's in the low 32 bits.
func holdAnswers(tok uint64, frames []byte) bool {
	if len(frames) < 3 {
		return false
	}
	ref, n := peekUint(frames[2:])
	return n > 0 && uint32(ref) == uint32(tok)
}
