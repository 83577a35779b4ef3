package engine

import (
	"runtime"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// startHold has the test, standing in for s's reader between two
// messages, take s's outbox and make it wait for the reply to ref, the
// way flushHeld does, minus the time limit. It returns the hold's token.
func startHold(t *testing.T, s *session, ref uint32) uint64 {
	t.Helper()
	waitIdle(t, s)
	if !s.out.hold() {
		t.Fatal("the outbox is held")
	}
	s.replyRef = ref
	tok := s.nextHoldToken()
	s.awaitReply.Store(tok)
	return tok
}

// waitIdle waits until no writer holds s's outbox.
func waitIdle(tb testing.TB, s *session) {
	deadline := time.Now().Add(5 * time.Second)
	for s.out.isWriting() {
		if time.Now().After(deadline) {
			tb.Fatal("the outbox is still held after 5s")
		}
		runtime.Gosched()
	}
}

// A hold ends once, and only by what concerns it: its time limit ends it
// only when a frame waits behind it; a time limit that fires after its
// hold ended (by its reply) does not end the next hold, even one for a
// send of the same ref, and neither does a late reply to an earlier
// send. Its own reply ends it and writes what it kept.
func TestHoldEndsOnlyItsOwn(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s

	first := startHold(t, s, 3)
	s.endHold(first) // its time limit
	if got := s.awaitReply.Load(); got != 0 {
		t.Fatalf("the time limit left token %x", got)
	}
	waitIdle(t, s)

	second := startHold(t, s, 3)
	if second == first {
		t.Fatalf("two holds for ref 3 share token %x", first)
	}
	s.endHold(first) // the first hold's limit, firing again
	if got := s.awaitReply.Load(); got != second || !s.out.isWriting() {
		t.Fatalf("a stale time limit ended the next hold (token %x, want %x)", got, second)
	}
	s.Deliver(codec.AppendReply(nil, 3, "", "", nil)) // its reply
	if got := s.awaitReply.Load(); got != 0 {
		t.Fatalf("the reply to ref 3 left token %x", got)
	}
	waitIdle(t, s)

	third := startHold(t, s, 5)
	s.Deliver(codec.AppendReply(nil, 3, "", "", nil)) // a late reply to ref 3
	if got := s.awaitReply.Load(); got != third || !s.out.isWriting() {
		t.Fatalf("a late reply to another send ended the hold (token %x, want %x)", got, third)
	}
	if n := framesQueued(s); n != 1 {
		t.Fatalf("the hold keeps %d frames, want the late reply", n)
	}
	s.endHold(second) // an earlier hold's limit
	if got := s.awaitReply.Load(); got != third {
		t.Fatalf("an earlier time limit ended the hold (token %x, want %x)", got, third)
	}
	s.Deliver(codec.AppendReply(nil, 5, "", "", nil))
	if got := s.awaitReply.Load(); got != 0 {
		t.Fatalf("the reply to ref 5 left token %x", got)
	}
	waitIdle(t, s)
	if n := framesQueued(s); n != 0 {
		t.Fatalf("%d frames left queued after the hold ended", n)
	}
}

// A hold shard hands its holds back in the order they were queued, once
// their deadline has passed, and says how long until the next one.
func TestHoldShardOrder(t *testing.T) {
	env := newPingEnv(t, true)
	sh := newHoldQueues(env.e).shards[0]
	ss := []*session{{}, {}, {}}
	before := time.Since(monoBase)
	for i, s := range ss {
		sh.push(s, uint64(i+1))
	}
	if wait, stop := sh.expired(before); stop || wait < sh.hold || len(sh.due) != 0 {
		t.Fatalf("before the first deadline: wait %v stop %v due %d, want a wait of at least %v and none due", wait, stop, len(sh.due), sh.hold)
	}
	wait, stop := sh.expired(time.Since(monoBase) + sh.hold)
	if wait != 0 || stop || len(sh.due) != len(ss) {
		t.Fatalf("past the last deadline: wait %v stop %v due %d, want all %d due", wait, stop, len(sh.due), len(ss))
	}
	for i, h := range sh.due {
		if h.s != ss[i] || h.tok != uint64(i+1) {
			t.Fatalf("due[%d] is token %d, want %d", i, h.tok, i+1)
		}
	}
	sh.due = sh.due[:0]
	if _, stop := sh.expired(time.Since(monoBase)); !stop || sh.running {
		t.Fatalf("an empty shard: stop %v running %v, want it stopped", stop, sh.running)
	}
}

// heldSend is one send held for: the reader's hold waits for the reply
// to ref 7 (flushHeld, its time limit queued), and the room's reply ends
// it and writes it. The outbox is idle before and after.
func heldSend(tb testing.TB, s *session, reply []byte) {
	waitIdle(tb, s)
	if !s.out.hold() {
		tb.Fatal("the outbox is held")
	}
	s.replyHold, s.replyBase = true, s.replies.Load()
	s.replyRef = 7
	s.flushHeld(true)
	s.Deliver(reply)
}

// A held send allocates nothing once the hold queues have grown: its time
// limit is an append to a shard's queue. What it allocates is the socket
// write's (gws), which a reply written without a hold allocates too.
func TestHeldSendAllocatesNothing(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	reply := codec.AppendReply(nil, 7, "", "", nil)
	for range 10000 { // grow the queues and the outbox's slices
		heldSend(t, s, reply)
	}
	unheld := testing.AllocsPerRun(5000, func() {
		waitIdle(t, s)
		s.Deliver(reply) // written at once: no hold
	})
	if n := testing.AllocsPerRun(5000, func() { heldSend(t, s, reply) }); n != unheld {
		t.Fatalf("a held send allocates %v times, a reply written without a hold %v", n, unheld)
	}
}

// BenchmarkHeldSend measures a send held for, from the reader's hold to
// the reply written to a real loopback socket, with the hold's time limit
// (Config.ReplyHold) in place: nothing waits behind the hold, so it is
// filed in no queue.
func BenchmarkHeldSend(b *testing.B) {
	env := newPingEnv(b, true)
	s := env.s
	reply := codec.AppendReply(nil, 7, "", "", nil)
	b.ReportAllocs()
	for b.Loop() {
		heldSend(b, s, reply)
	}
}

// BenchmarkHoldLimit measures what the hold's time limit adds to a held
// send: queuing the hold to its shard, whose goroutine drops it at its
// deadline (a reply ended it meanwhile).
func BenchmarkHoldLimit(b *testing.B) {
	env := newPingEnv(b, true)
	s := env.s
	b.ReportAllocs()
	for b.Loop() {
		s.replyRef = 7
		s.e.holds.add(s, s.nextHoldToken())
	}
}

// A hold with nothing behind it is filed in no queue: only the first
// frame queued behind it files it, for its time limit, the frames after
// that and the reply it waits for file nothing.
func TestHoldFiledByWaitingFrame(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	for _, sh := range s.e.holds.shards {
		sh.hold = time.Hour // the test looks at the queues itself
	}
	filed := func() []holdEntry {
		var all []holdEntry
		for _, sh := range s.e.holds.shards {
			sh.mu.Lock()
			all = append(all, sh.queue[sh.head:]...)
			sh.mu.Unlock()
		}
		return all
	}

	tok := startHold(t, s, 7)
	if n := len(filed()); n != 0 {
		t.Fatalf("a hold with nothing behind it filed %d entries", n)
	}
	s.Deliver(codec.AppendEvent(nil, "other", 1, "say", nil)) // another room's event
	if got := filed(); len(got) != 1 || got[0].s != s || got[0].tok != tok {
		t.Fatalf("an event behind the hold filed %+v, want the hold", got)
	}
	for seq := range uint64(100) { // more frames behind it: filed once
		s.Deliver(codec.AppendEvent(nil, "other", seq+2, "say", nil))
	}
	if n := len(filed()); n != 1 {
		t.Fatalf("101 frames behind one hold filed %d entries, want 1", n)
	}
	s.Deliver(codec.AppendReply(nil, 7, "", "", nil)) // its reply
	if got := s.awaitReply.Load(); got != 0 {
		t.Fatalf("the reply left token %x", got)
	}
	if n := len(filed()); n != 1 {
		t.Fatalf("the reply filed %d entries more", n-1)
	}
}
