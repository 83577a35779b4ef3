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
