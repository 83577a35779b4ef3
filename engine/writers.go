package engine

import "time"

// writerIdle is how long a writer goroutine that has drained its outbox
// stays parked, waiting to be handed the next outbox that needs one,
// before it exits. A fan-out hands a burst to hundreds of connections at
// once; parked writers take them without starting and ending a goroutine
// per connection and burst. It is short, so that idle connections keep no
// writer and no writer stack.
const writerIdle = 100 * time.Millisecond

// writerPool hands outboxes to parked writer goroutines.
type writerPool struct {
	// handoff is unbuffered: a send succeeds only when a writer is
	// parked on it, so a session is never left waiting for a writer.
	handoff chan *session
}

func newWriterPool() writerPool {
	return writerPool{handoff: make(chan *session)}
}

// startWriter gives s's outbox a writer: a parked one when there is one,
// a new goroutine otherwise. The caller has claimed the outbox's writer
// slot (push or closeAfterFlush said so).
func (s *session) startWriter() {
	select {
	case s.e.writers.handoff <- s:
	default:
		s.e.wg.Add(1)
		go s.e.runWriter(s)
	}
}

// runWriter drains s's outbox, then parks for writerIdle and drains
// whatever outbox it is handed next. It exits when it has waited that
// long for one, or when the engine shuts down.
func (e *Engine) runWriter(s *session) {
	defer e.wg.Done()
	var idle *time.Timer
	for {
		s.writeLoop()
		if e.ctx.Err() != nil {
			return
		}
		if idle == nil {
			idle = time.NewTimer(writerIdle)
			defer idle.Stop()
		} else {
			idle.Reset(writerIdle)
		}
		select {
		case s = <-e.writers.handoff:
		case <-idle.C:
			return
		case <-e.ctx.Done():
			return
		}
	}
}
