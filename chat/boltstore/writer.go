package boltstore

import (
	"context"
	"fmt"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/wal"
)

// The writer: one goroutine takes every write queued since its last
// batch, runs each on the open bbolt transaction (beginning one if there
// is none), frames a record of each that succeeded into one buffer,
// writes it to the log, syncs it once and answers them. It commits the
// open transaction, with the log position after its last record, when
// ApplyDelay has passed since its first write, when a read asks for it
// (hurry), when the log's half is full and when the store closes.
//
// A write whose op fails after changing the transaction (any error but a
// refusal, see op.go) leaves it half done: the writer rolls it back and
// runs again the ops it held, those of the synced records from the log
// (which their callers no longer wait for) and those of the batch (which
// they still do), without the failed one.

// request is one write waiting for the writer.
type request struct {
	op *op
	// keys are what the write changes, for reads (see read.go): its
	// room, and for an Append its client message id and the entry it
	// updates; 0: none.
	keys [3]uint64
	// all: the write changes what any read may see (the inbox index of a
	// user, several rooms).
	all  bool
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

// run logs queued writes and commits them until the queue is closed,
// then commits what is left.
func (s *Store) run() {
	defer close(s.done)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		select {
		case r, ok := <-s.queue:
			if !ok {
				s.commit()
				s.rollback()
				return
			}
			s.taken = append(s.taken[:0], r)
			start := time.Now()
			s.fill(wait)
			s.logBatch(s.taken)
			clear(s.taken)
			s.lastN, s.lastTook = len(s.taken), time.Since(start)
			if s.opts.ApplyDelay < 0 {
				s.commit()
			}
		case <-s.hurry:
			s.commit()
		case <-s.applyAt.C:
			s.commit()
		}
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

// failure returns the error that stopped the store, or nil.
func (s *Store) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// fail stops the store with err: the open transaction is rolled back, and
// every write from now on is answered with err. What was acked is in the
// log, and the next Open replays it.
func (s *Store) fail(err error) {
	s.rollback()
	s.mu.Lock()
	if s.failed == nil {
		s.failed = err
	}
	close(s.appliedCh) // wakes the reads waiting for a commit
	s.appliedCh = make(chan struct{})
	s.mu.Unlock()
}

// logBatch runs, logs and answers batch.
func (s *Store) logBatch(batch []*request) {
	start, acc := s.tail, s.accepted[:0]
	s.buf = s.buf[:0]
	for _, r := range batch {
		if err := s.failure(); err != nil {
			r.done <- err
			continue
		}
		s.pay = r.op.payload(s.pay[:0])
		size := wal.RecordSize(s.pay)
		if size > s.log.Size()/2 {
			r.done <- ErrTooLarge
			continue
		}
		if _, end := s.log.Half(s.half); start+int64(len(s.buf))+size > end {
			// This half is full: sync what is framed, commit everything
			// the half holds and go on at the top of the other.
			s.flush(start, acc)
			acc = acc[:0]
			s.commit()
			s.half, s.gen = 1-s.half, s.gen+1
			s.tail, _ = s.log.Half(s.half)
			s.txFrom, start, s.buf = s.tail, s.tail, s.buf[:0]
			if err := s.failure(); err != nil {
				r.done <- err
				continue
			}
		}
		if err := s.begin(); err != nil {
			s.fail(fmt.Errorf("boltstore: begin a transaction: %w", err))
			r.done <- s.failure()
			continue
		}
		if err := s.apply(s.tx, r.op); err != nil {
			err, refused := unrefuse(err)
			if !refused {
				s.rebuild(start, acc)
			}
			r.done <- err
			continue
		}
		s.buf = wal.AppendRecord(s.buf, s.gen, s.pay)
		acc = append(acc, r)
	}
	s.flush(start, acc)
	clear(acc)
	s.accepted = acc[:0]
}

// flush writes the framed records of acc at start, syncs them and
// answers them. If the log fails, they are answered with its error and
// the store fails.
func (s *Store) flush(start int64, acc []*request) {
	if len(acc) == 0 {
		return
	}
	err := s.failure()
	if err == nil {
		if err = s.log.Write(s.buf, start); err != nil {
			err = fmt.Errorf("boltstore: write the log: %w", err)
			s.fail(err)
		}
	}
	if err == nil {
		s.tail = start + int64(len(s.buf))
		s.mu.Lock()
		for _, r := range acc {
			for _, k := range r.keys {
				if k != 0 {
					s.dirty[k] = struct{}{}
				}
			}
			s.dirtyAll = s.dirtyAll || r.all
		}
		// Before the answers: a read that follows an answered write
		// sees it (read.go).
		s.logged += uint64(len(acc))
		s.stats.Writes += uint64(len(acc))
		s.stats.Syncs++
		s.mu.Unlock()
	}
	for _, r := range acc {
		r.done <- err
	}
}

// begin opens a write transaction, if none is open, and starts its
// ApplyDelay.
func (s *Store) begin() error {
	if s.tx != nil {
		return nil
	}
	tx, err := s.db.Begin(true)
	if err != nil {
		return err
	}
	s.tx = tx
	if s.opts.ApplyDelay > 0 {
		s.applyAt.Reset(s.opts.ApplyDelay)
	}
	return nil
}

// rollback rolls back the open transaction, if any.
func (s *Store) rollback() {
	if s.tx != nil {
		_ = s.tx.Rollback()
		s.tx = nil
	}
	s.applyAt.Stop()
}

// commit commits the open transaction with the log position after its
// last record, and tells the reads waiting for it. A transaction with no
// logged write (only refusals ran on it) is rolled back.
func (s *Store) commit() {
	if s.tx == nil {
		return
	}
	if s.tail == s.txFrom {
		s.rollback()
		return
	}
	tx := s.tx
	s.tx = nil
	s.applyAt.Stop()
	id := tx.ID()
	err := putApplied(tx, s.gen, s.tail)
	if err == nil {
		err = tx.Commit()
	} else {
		_ = tx.Rollback()
	}
	if err != nil {
		s.fail(fmt.Errorf("boltstore: commit: %w", err))
		return
	}
	s.txFrom = s.tail
	s.mu.Lock()
	s.applied, s.commitTx = s.logged, id
	clear(s.dirty)
	s.dirtyAll = false
	s.stats.Commits++
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
	s.mu.Unlock()
}

// rebuild replaces the open transaction, which a failed op left half
// done, with a new one that has the ops of the synced records since the
// last commit and those of acc (the batch's, framed from start on), and
// nothing else. If that fails, the store fails.
func (s *Store) rebuild(start int64, acc []*request) {
	s.rollback()
	err := s.begin()
	if err == nil {
		err = s.replay(s.txFrom, start)
	}
	for _, r := range acc {
		if err != nil {
			break
		}
		err = s.apply(s.tx, r.op)
	}
	if err != nil {
		s.fail(fmt.Errorf("boltstore: rebuild the transaction: %w", err))
	}
}

// replay runs in the open transaction the ops of the records of the
// log's current generation from off to limit.
func (s *Store) replay(off, limit int64) error {
	recs, err := s.log.Scan(s.gen, off, limit)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		o, err := decodeOp(rec.Payload)
		if err != nil {
			return err
		}
		if err := s.apply(s.tx, o); err != nil {
			return err
		}
	}
	if n := len(recs); n > 0 && recs[n-1].End != limit || n == 0 && off != limit {
		return fmt.Errorf("the log has records up to offset %d of %d", off, limit)
	}
	return nil
}
