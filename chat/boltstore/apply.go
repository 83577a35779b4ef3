package boltstore

import (
	"fmt"
	"time"
)

// The applier: a second goroutine runs the logged ops on one bbolt write
// transaction that it keeps open, in log order, and commits it with the
// log position after its last op when ApplyDelay has passed since its
// first op, when a read or the writer asks for it (hurry), and when the
// store closes. Then it publishes the commit: reads and the writer's
// checks move to it, and the pending state of its ops is dropped. An op
// cannot fail here but for the disk (check.go checked everything else);
// if one does, the store fails: it takes no more writes, and the next
// Open replays the log.

// applyChunk is the most ops the applier takes at once: between two
// chunks it sees a read's hurry and its ApplyDelay.
const applyChunk = 256

// runApply applies logged ops until the store closes.
func (s *Store) runApply() {
	defer close(s.applyDone)
	for {
		s.mu.Lock()
		more := len(s.toApply) > 0 || s.stopApply
		s.mu.Unlock()
		now := false
		if more {
			select {
			case <-s.hurry:
				now = true
			case <-s.applyAt.C:
				now = true
			default:
			}
		} else {
			select {
			case <-s.applyWake:
			case <-s.hurry:
				now = true
			case <-s.applyAt.C:
				now = true
			}
		}
		s.mu.Lock()
		n := min(len(s.toApply), applyChunk)
		s.chunk = append(s.chunk[:0], s.toApply[:n]...)
		rest := copy(s.toApply, s.toApply[n:])
		clear(s.toApply[rest:])
		s.toApply = s.toApply[:rest]
		stop := s.stopApply && rest == 0
		if s.drained != nil {
			close(s.drained) // the writer may log more
			s.drained = nil
		}
		s.mu.Unlock()
		s.applyOps(s.chunk)
		due := s.tx != nil && s.opts.ApplyDelay > 0 && time.Since(s.txBegan) >= s.opts.ApplyDelay
		if now || due || stop || s.opts.ApplyDelay < 0 {
			s.commit()
		}
		if stop {
			s.rollback()
			return
		}
	}
}

// waitBacklog holds the writer while the applier has maxBacklog ops or
// more to take: under a load the bbolt file cannot keep up with, acks
// slow down to its pace rather than the pending state growing until a
// half of the log is full.
func (s *Store) waitBacklog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.toApply) >= s.maxBacklog && s.failed == nil {
		if s.drained == nil {
			s.drained = make(chan struct{})
		}
		ch := s.drained
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
}

// applyOps runs ops on the open transaction, beginning one if needed.
func (s *Store) applyOps(ops []*op) {
	for i, o := range ops {
		ops[i] = nil
		if s.failure() != nil {
			return
		}
		if s.tx == nil {
			tx, err := s.db.Begin(true)
			if err != nil {
				s.fail(fmt.Errorf("boltstore: begin a transaction: %w", err))
				return
			}
			s.tx, s.txBegan = tx, time.Now()
			if s.opts.ApplyDelay > 0 {
				s.applyAt.Reset(s.opts.ApplyDelay)
			}
		}
		var err error
		if o.kind == opTrim {
			err = s.apply(s.tx, o)
			o.err = err
		} else {
			c := *o // the results stay the writer's
			err = s.apply(s.tx, &c)
		}
		if err != nil {
			s.fail(fmt.Errorf("boltstore: apply op %d (%c of room %q): %w", o.lsn, o.kind, o.room, err))
			return
		}
		s.txOps = append(s.txOps, o)
	}
}

// failure returns the error that stopped the store, or nil.
func (s *Store) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// fail stops the store with err: the open transaction is rolled back,
// and every write from now on is answered with err. What was acked is in
// the log, and the next Open replays it.
func (s *Store) fail(err error) {
	s.rollback()
	s.mu.Lock()
	if s.failed == nil {
		s.failed = err
	}
	close(s.appliedCh) // wakes whoever waits for a commit
	s.appliedCh = make(chan struct{})
	if s.drained != nil {
		close(s.drained)
		s.drained = nil
	}
	s.mu.Unlock()
}

// rollback rolls back the open transaction, if any.
func (s *Store) rollback() {
	if s.tx != nil {
		_ = s.tx.Rollback()
		s.tx = nil
	}
	clear(s.txOps)
	s.txOps = s.txOps[:0]
	s.applyAt.Stop()
}

// commit commits the open transaction with the log position after its
// last op, and publishes it.
func (s *Store) commit() {
	if s.tx == nil || len(s.txOps) == 0 {
		return
	}
	tx, last := s.tx, s.txOps[len(s.txOps)-1]
	s.tx = nil
	s.applyAt.Stop()
	id := tx.ID()
	err := putApplied(tx, last.gen, last.end)
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if err != nil {
		s.fail(fmt.Errorf("boltstore: commit: %w", err))
		return
	}
	s.mu.Lock()
	s.appliedLSN, s.commitTx = last.lsn, id
	s.forget(s.txOps)
	if s.dirtyAll <= last.lsn {
		s.dirtyAll = 0
	}
	s.stats.Commits++
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.mu.Unlock()
	clear(s.txOps)
	s.txOps = s.txOps[:0]
}
