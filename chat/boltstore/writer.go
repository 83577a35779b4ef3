package boltstore

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/wal"
)

// The writer: one goroutine takes every write queued since its last
// batch, checks each against the store (the bbolt file's last commit, and
// the writes logged but not yet committed: check.go), frames a record of
// each that passes into one buffer, writes it to the log, syncs it once,
// hands the ops to the applier (apply.go) and answers them. Writes that
// arrive during a sync wait for that one and then their own; none waits
// for a bbolt commit, except a Trim, which runs alone.

// request is one write waiting for the writer.
type request struct {
	op   *op
	err  error // a refusal, answered after the batch's sync
	done chan error
}

// newRequest returns a request for o.
func (s *Store) newRequest(o *op) *request {
	return &request{op: o, done: make(chan error, 1)}
}

// write queues r for the writer and returns once it is logged and
// synced, or refused. Once queued, a write is not abandoned: ctx only
// bounds the wait for a place in the queue.
func (s *Store) write(ctx context.Context, r *request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.cmu.RLock()
	if s.closed {
		s.cmu.RUnlock()
		return chat.ErrStoreClosed
	}
	select {
	case s.queue <- r:
	case <-ctx.Done():
		s.cmu.RUnlock()
		return ctx.Err()
	}
	s.cmu.RUnlock()
	return <-r.done
}

// runLog logs queued writes until the queue is closed.
func (s *Store) runLog() {
	defer close(s.logged)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for r := range s.queue {
		s.waitBacklog()
		s.taken = append(s.taken[:0], r)
		start := time.Now()
		s.fill(wait)
		s.logBatch(s.taken)
		s.lastN, s.lastTook = len(s.taken), time.Since(start)
		clear(s.taken)
	}
}

// fill adds queued writes to s.taken: all that are waiting, and while
// writes are queuing (the last batch had more than one) those that
// arrive until it holds as many as the last batch, for at most
// MaxBatchDelay and no longer than the last batch took.
func (s *Store) fill(wait *time.Timer) {
drain:
	for len(s.taken) < s.opts.MaxBatchSize {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			s.taken = append(s.taken, r)
		default:
			break drain
		}
	}
	target := min(s.lastN, s.opts.MaxBatchSize)
	limit := max(min(s.opts.MaxBatchDelay, s.lastTook), 0)
	if target <= 1 || len(s.taken) >= target || limit <= 0 {
		return
	}
	wait.Reset(limit)
	defer wait.Stop()
	for len(s.taken) < target {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			s.taken = append(s.taken, r)
		case <-wait.C:
			return
		}
	}
}

// logBatch checks, logs and answers batch.
func (s *Store) logBatch(batch []*request) {
	start, acc := s.tail, s.accepted[:0]
	s.buf = s.buf[:0]
	var rtx *bolt.Tx
	defer func() {
		if rtx != nil {
			_ = rtx.Rollback()
		}
	}()
	for _, r := range batch {
		o := r.op
		if o.kind == opTrim {
			if rtx != nil {
				_ = rtx.Rollback()
				rtx = nil
			}
			s.flush(start, acc)
			acc = acc[:0]
			s.logAlone(r)
			start, s.buf = s.tail, s.buf[:0]
			continue
		}
		s.pay = o.payload(s.pay[:0])
		size := wal.RecordSize(s.pay)
		if size > s.log.Size()/2 {
			r.err = ErrTooLarge
			acc = append(acc, r)
			continue
		}
		if _, end := s.log.Half(s.half); start+int64(len(s.buf))+size > end {
			// This half is full: sync what is framed and go on at the
			// top of the other, once the bbolt file has all it held.
			s.flush(start, acc)
			acc = acc[:0]
			if rtx != nil {
				_ = rtx.Rollback()
				rtx = nil
			}
			if err := s.switchHalf(); err != nil {
				r.done <- err
				continue
			}
			start, s.buf = s.tail, s.buf[:0]
		}
		var err error
		if rtx, err = s.lockChecks(rtx); err != nil {
			r.done <- err
			continue
		}
		err = s.failed
		if err == nil {
			o.lsn = s.lsn + 1
			err = s.check(rtx, o)
		}
		s.mu.Unlock()
		if err != nil {
			r.err, _ = unrefuse(err)
			acc = append(acc, r)
			continue
		}
		s.lsn++
		o.checked = true
		s.buf = wal.AppendRecord(s.buf, s.gen, s.pay)
		o.gen, o.end = s.gen, start+int64(len(s.buf))
		acc = append(acc, r)
	}
	s.flush(start, acc)
	clear(acc)
	s.accepted = acc[:0]
}

// lockChecks returns a read transaction of the bbolt file's last
// published commit (tx if it still is one) with s.mu held: check reads
// the file there, and the writes logged since in the pending state, which
// the applier cannot drop meanwhile. Once the store has failed it returns
// whatever tx it has: the caller answers with the failure.
//
// A transaction newer than the last published commit is the applier's
// commit under way: bbolt shows it once its meta page is written, before
// that page's sync returns and the applier publishes it. lockChecks then
// waits for the publication instead of beginning transaction after
// transaction until it comes, which cost a core for the length of a sync
// at every commit.
func (s *Store) lockChecks(tx *bolt.Tx) (*bolt.Tx, error) {
	for {
		if tx == nil {
			var err error
			if tx, err = s.db.Begin(false); err != nil {
				return nil, err
			}
		}
		s.mu.Lock()
		if tx.ID() == s.commitTx || s.failed != nil {
			return tx, nil
		}
		newer, published := tx.ID() > s.commitTx, s.appliedCh
		s.mu.Unlock()
		_ = tx.Rollback()
		tx = nil
		if newer {
			<-published
		}
	}
}

// flush writes the framed records of acc's accepted writes at start,
// syncs them, hands their ops to the applier and answers acc. If the log
// fails, they are answered with its error and the store fails.
func (s *Store) flush(start int64, acc []*request) {
	if len(acc) == 0 {
		return
	}
	var err error
	if len(s.buf) > 0 {
		err = s.log.Write(s.buf, start)
	}
	s.mu.Lock()
	if err != nil {
		err = fmt.Errorf("boltstore: write the log: %w", err)
		s.failLogLocked(err)
	} else if len(s.buf) > 0 {
		s.tail = start + int64(len(s.buf))
		s.halfLast[s.half] = s.lsn
		n := 0
		for _, r := range acc {
			o := r.op
			if r.err != nil || o.lsn == 0 || o.end == 0 {
				continue
			}
			s.toApply = append(s.toApply, o)
			for _, k := range o.keys {
				if k != 0 {
					s.dirty[k] = o.lsn
				}
			}
			if o.all {
				s.dirtyAll = o.lsn
			}
			n++
		}
		// Before the answers: a read that follows an answered write
		// sees it (read.go).
		s.loggedLSN = s.lsn
		s.stats.Writes += uint64(n)
		s.stats.Syncs++
	}
	s.mu.Unlock()
	if err == nil && len(s.buf) > 0 {
		s.wake(s.applyWake)
	}
	for _, r := range acc {
		if r.err != nil {
			r.done <- r.err
		} else {
			r.done <- err
		}
	}
}

// logAlone logs a Trim once the bbolt file has every write before it,
// has the applier run it at once, and answers it with the outcome.
func (s *Store) logAlone(r *request) {
	o := r.op
	if err := s.waitApplied(s.lsn); err != nil {
		r.done <- err
		return
	}
	s.pay = o.payload(s.pay[:0])
	size := wal.RecordSize(s.pay)
	if size > s.log.Size()/2 {
		r.done <- ErrTooLarge
		return
	}
	if _, end := s.log.Half(s.half); s.tail+size > end {
		if err := s.switchHalf(); err != nil {
			r.done <- err
			return
		}
	}
	start := s.tail
	s.lsn++
	o.lsn = s.lsn
	s.buf = wal.AppendRecord(s.buf[:0], s.gen, s.pay)
	o.gen, o.end = s.gen, start+int64(len(s.buf))
	logged := &request{op: o, done: make(chan error, 1)}
	s.flush(start, []*request{logged})
	if err := <-logged.done; err != nil {
		r.done <- err
		return
	}
	r.done <- s.waitApplied(o.lsn)
}

// waitApplied waits until the bbolt file has committed op lsn, hurrying
// the applier.
func (s *Store) waitApplied(lsn uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.appliedLSN < lsn {
		if s.failed != nil {
			return s.failed
		}
		ch := s.appliedCh
		s.mu.Unlock()
		s.wake(s.hurry)
		<-ch
		s.mu.Lock()
	}
	return s.failed
}

// switchHalf moves the writer to the top of the other half of the log,
// with a new generation, once the bbolt file has applied every op that
// half held.
func (s *Store) switchHalf() error {
	other := 1 - s.half
	s.mu.Lock()
	last := s.halfLast[other]
	s.mu.Unlock()
	if err := s.waitApplied(last); err != nil {
		return err
	}
	s.half, s.gen = other, s.gen+1
	s.tail, _ = s.log.Half(other)
	return nil
}

// wake sends a token on ch (of one) if none waits there.
func (s *Store) wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// failLogLocked stops the store after a failed log write, with s.mu held:
// writes from now on are answered with err, the applier applies nothing
// more, and the reads that wait for a commit of ops logged before are
// woken, to find the store failed, rather than waiting for a commit that
// will never come.
func (s *Store) failLogLocked(err error) {
	if s.failed == nil {
		s.failed = err
	}
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
}
