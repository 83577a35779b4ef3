package engine

import (
	"sync"
	"time"
)

// writerIdle is how long a writer goroutine that has drained its outbox
// stays parked, waiting to be handed the next outbox that needs one,
// before it exits. A fan-out hands a burst to hundreds of connections at
// once; parked writers take them without starting and ending a goroutine
// per connection and burst. It is short, so that idle connections keep no
// writer and no writer stack.
const writerIdle = 100 * time.Millisecond

// writerPool keeps the parked writers. A writer parks with a plain
// channel receive, the cheapest wait there is; a reaper goroutine, which
// runs only while writers are parked, tells those parked for writerIdle
// to exit.
type writerPool struct {
	mu sync.Mutex
	// idle holds the parked writers in the order they parked: the
	// longest parked first. get takes the last (its stack is the most
	// likely to be warm), the reaper the first ones.
	idle    []*parkedWriter
	reaping bool
	closed  bool
}

// parkedWriter is one parked writer goroutine.
type parkedWriter struct {
	// next hands the writer its next job, or a job without a session to
	// make it exit. It has room for one, so handing over never blocks.
	next  chan writerJob
	since time.Time
}

// writerJob is what a writer does next: drain s's outbox, or, with ping,
// write a heartbeat ping to s (heartbeat.go).
type writerJob struct {
	s    *session
	ping bool
}

// get takes a parked writer, or returns nil when none is parked.
func (p *writerPool) get() *parkedWriter {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	w := p.idle[n-1]
	p.idle[n-1] = nil
	p.idle = p.idle[:n-1]
	return w
}

// park adds w to the parked writers and reports whether it did; once the
// pool is closed (the engine shutting down) the writer must exit
// instead. It starts the reaper if it is not running.
func (p *writerPool) park(e *Engine, w *parkedWriter) bool {
	w.since = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.idle = append(p.idle, w)
	if !p.reaping {
		p.reaping = true
		e.wg.Add(1)
		go e.reapWriters()
	}
	return true
}

// reap tells the writers parked since before cutoff to exit, or all of
// them when the pool closes. It reports whether any writer is still
// parked; when none is, the reaper stops.
func (p *writerPool) reap(cutoff time.Time, closing bool) (more bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if closing {
		p.closed = true
	}
	k := 0
	for k < len(p.idle) && (closing || p.idle[k].since.Before(cutoff)) {
		p.idle[k].next <- writerJob{}
		k++
	}
	n := copy(p.idle, p.idle[k:])
	clear(p.idle[n:])
	p.idle = p.idle[:n]
	if n == 0 {
		p.reaping = false
		if cap(p.idle) > 1024 {
			p.idle = nil
		}
	}
	return n > 0
}

// reapWriters runs while writers are parked: every writerIdle it makes
// those parked that long exit, and at shutdown all of them.
func (e *Engine) reapWriters() {
	defer e.wg.Done()
	t := time.NewTicker(writerIdle)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			if !e.writers.reap(now.Add(-writerIdle), false) {
				return
			}
		case <-e.ctx.Done():
			e.writers.reap(time.Time{}, true)
			return
		}
	}
}

// startWriter gives s's outbox a writer: a parked one when there is one,
// a new goroutine otherwise. The caller has claimed the outbox's writer
// slot (push or closeAfterFlush said so).
func (s *session) startWriter() { s.e.startJob(writerJob{s: s}) }

// directMaxFrames and directMaxBytes bound what a goroutine writes to a
// connection itself (writeHeld) instead of handing it to a writer. A
// socket that polls writable has at least a third of its send buffer free
// (Linux's tcp_poll), and that buffer is 4.5 KiB at the very least and
// 16 KiB by default: 1 KiB of frames fits at once, and the write returns
// without waiting for the peer. An ack and a chat message or two fit.
const (
	directMaxFrames = 8
	directMaxBytes  = 1 << 10
)

// writeHeld writes what s's outbox holds on the calling goroutine, which
// holds the outbox's writer slot (push said pushStart, or hold), when
// that cannot block: the frames are few and small (directMaxBytes) and
// the socket polls writable without waiting, as for the heartbeat's own
// pings (heartbeat.go). No writer goroutine is woken then. Otherwise, and
// for whatever is queued while it writes, it starts a writer, which takes
// the slot over: the connection's frames go out in the order queued
// either way. The write deadline is moved as the writer moves it
// (writeLoop).
func (s *session) writeHeld() {
	if s.out.empty() {
		if s.out.release() {
			s.startWriter() // a close is pending
		}
		return
	}
	if !writable(s.sock) {
		s.startWriter()
		return
	}
	batch, size := s.out.takeDirect(directMaxFrames, directMaxBytes)
	if len(batch) == 0 {
		// Too large for a direct write, or the connection is closing.
		if s.out.doneDirect(batch, 0) {
			s.startWriter()
		}
		return
	}
	if err := s.writeBatch(batch, size); err != nil {
		s.out.kill()
	}
	if s.out.doneDirect(batch, size) {
		s.startWriter()
	}
}

// startPing has a writer write a heartbeat ping to s when the heartbeat
// wheel cannot write it without waiting (heartbeat.go, ping).
func (s *session) startPing() { s.e.startJob(writerJob{s: s, ping: true}) }

// startJob hands job to a parked writer when there is one, or to a new
// writer goroutine.
func (e *Engine) startJob(job writerJob) {
	if w := e.writers.get(); w != nil {
		w.next <- job
		return
	}
	e.wg.Add(1)
	go e.runWriter(job)
}

// runWriter does job, then parks and does whatever job it is handed
// next, until the reaper tells it to exit.
func (e *Engine) runWriter(job writerJob) {
	defer e.wg.Done()
	w := &parkedWriter{next: make(chan writerJob, 1)}
	for job.s != nil {
		if job.ping {
			job.s.writePing()
		} else {
			job.s.writeLoop()
		}
		if !e.writers.park(e, w) {
			return
		}
		job = <-w.next
	}
}
