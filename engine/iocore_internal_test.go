package engine

import (
	"testing"
	"time"
)

// TestOutboxQueueReusesTakenRoom: a writer that never quite catches up
// (each run takes a full batch, and more frames came meanwhile) never
// empties the queue. The room its taken frames leave at the front is
// reused, so the queue's memory follows what is queued, not everything
// pushed since it was last empty.
func TestOutboxQueueReusesTakenRoom(t *testing.T) {
	o := outbox{limit: 1 << 30}
	frame := make([]byte, 100)
	for range 100 {
		o.push(frame)
	}
	var batch [][]byte
	for range 20_000 {
		for range 64 {
			o.push(frame)
		}
		var size int
		batch, size, _, _ = o.next(batch[:0], 64, 1<<20)
		if len(batch) != 64 {
			t.Fatalf("next took %d frames, want 64", len(batch))
		}
		o.written(size)
	}
	if q := o.queued(); q != 100*len(frame) {
		t.Fatalf("%d bytes queued, want %d", q, 100*len(frame))
	}
	o.mu.Lock()
	n, c := len(o.queue)-o.head, cap(o.queue)
	o.mu.Unlock()
	if n != 100 || c > 4096 {
		t.Fatalf("%d frames queued in a queue of capacity %d, want 100 in at most 4096", n, c)
	}
}

// TestNoPingWhileLingering: a connection closed after its queued frames
// sends its close frame, shuts its write side and waits for the peer's
// close (closeLingering). A ping that comes due meanwhile is not written:
// the write would fail on the shut socket and make it close at once,
// resetting what the peer had not read yet.
func TestNoPingWhileLingering(t *testing.T) {
	env := newPingEnv(t, true)
	s := env.s
	before := env.read.Load()
	s.closeAfterFlush(CloseGoingAway, "bye")
	deadline := time.Now().Add(2 * time.Second)
	for env.read.Load() == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(10 * time.Millisecond) // the close frame sent, the write side shut
	if s.closed.Load() {
		t.Fatal("closed before the ping came due")
	}
	start := time.Now()
	s.ping() // what the wheel does when the ping comes due
	for !s.closed.Load() && time.Since(start) < closeGrace/2 {
		time.Sleep(time.Millisecond)
	}
	if s.closed.Load() {
		t.Fatalf("the ping ended the linger after %v (closeGrace %v)", time.Since(start), closeGrace)
	}
}

// TestFirstWritesHaveADeadline: the writer arms WriteTimeout on its first
// write, also in the first seconds of the process, where the "no deadline
// armed" mark (0) used to read as one armed at the process's start.
func TestFirstWritesHaveADeadline(t *testing.T) {
	env := newPingEnv(t, true, func(c *Config) { c.WriteTimeout = time.Minute })
	s := env.s
	deadline := time.Now().Add(2 * time.Second)
	for {
		// Once the client has read the connected reply and the writer
		// has let its slot go (under the outbox's lock), what the writer
		// set is visible here.
		s.out.mu.Lock()
		done := env.read.Load() > 0 && !s.out.writing
		at := s.deadlineAt
		s.out.mu.Unlock()
		if done {
			if at == 0 {
				t.Fatal("the connected reply was written with no write deadline armed")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the connected reply was not written")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestHeartbeatOnMonotonicClock: the heartbeat's deadlines are kept on the
// monotonic clock (monoNanos), which a step of the wall clock (NTP, a VM
// restored from a snapshot) does not move: the next ping is due within an
// interval of now on it.
func TestHeartbeatOnMonotonicClock(t *testing.T) {
	env := newPingEnv(t, true, func(c *Config) { c.HeartbeatInterval = time.Minute })
	s := env.s
	now := monoNanos(time.Now())
	s.beatShard.mu.Lock()
	due := s.pingDue
	s.beatShard.mu.Unlock()
	if due < now-int64(time.Second) || due > now+int64(time.Minute) {
		t.Fatalf("the next ping is due at %d, %v from now on the monotonic clock; want within the interval", due, time.Duration(due-now))
	}
}

// TestEarlyConnectionKeepsItsReadDeadline: a connection whose read
// deadline was never moved (0) gets it moved by its first pushDeadline,
// also in the first seconds after the process started, where "0" used to
// read as a move at the process's start: connections made then kept the
// handshake's deadline and were dropped at it.
func TestEarlyConnectionKeepsItsReadDeadline(t *testing.T) {
	env := newPingEnv(t, true, func(c *Config) { c.HeartbeatInterval = 40 * time.Second })
	s := env.s
	s.deadlineSet.Store(0)
	s.pushDeadline(monoBase.Add(time.Millisecond)) // a moment after the start
	if s.deadlineSet.Load() == 0 {
		t.Fatal("the first move of the read deadline, a moment after the start, was skipped")
	}
	s.pushDeadline(time.Now()) // back to a deadline ahead
}
