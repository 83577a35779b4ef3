package boltstore

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/wal"
)

// The log writer: one goroutine takes every write queued since its last
// batch, checks each against the store (the bbolt file, and the writes
// logged but not yet applied), frames those that pass into one buffer,
// writes it to the log and syncs it once, and answers them. Writes that
// arrive during a sync wait for that one and then their own: a write
// waits for at most two log syncs, and never for the bbolt file's.

// request is one write waiting for the log writer.
type request struct {
	op   *op
	done chan error
	at   time.Time // when it was queued; set only with an observer
	// synced is when the log's sync that covers it returned; set only
	// with Options.ObserveAnswer, before the answer.
	synced time.Time
}

// pend is a match with ops logged and not yet applied: its log's head
// once they are, the last of them, and the last of them applied so far.
type pend struct {
	head    uint64
	lsn     uint64
	applied uint64
}

// errTooLarge: one write does not fit in the log.
var errTooLarge = errors.New("boltstore: write larger than the log")

// write queues o for the log writer and returns once it is logged and
// synced, or refused. Once queued, a write is not abandoned: ctx only
// bounds the wait for a place in the queue.
func (s *Store) write(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &request{op: o, done: make(chan error, 1)}
	if s.opts.Observe != nil {
		req.at = time.Now()
	}
	s.cmu.RLock()
	if s.closed {
		s.cmu.RUnlock()
		return games.ErrStoreClosed
	}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		s.cmu.RUnlock()
		return ctx.Err()
	}
	s.cmu.RUnlock()
	err := <-req.done
	if s.opts.ObserveAnswer != nil && !req.synced.IsZero() {
		s.opts.ObserveAnswer(time.Since(req.synced))
	}
	return err
}

// runLog logs queued writes until the queue is closed.
func (s *Store) runLog() {
	defer close(s.logged)
	for req := range s.queue {
		s.taken = append(s.taken[:0], req)
	drain:
		for len(s.taken) < s.opts.MaxBatchSize {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break drain
				}
				s.taken = append(s.taken, r)
			default:
				break drain
			}
		}
		s.logBatch(s.taken)
		clear(s.taken)
	}
}

// logBatch checks, logs and answers batch.
func (s *Store) logBatch(batch []*request) {
	var taken time.Time
	if s.opts.Observe != nil {
		taken = time.Now()
		s.obs.begin(batch, taken)
	}
	start, accepted := s.tail, batch[:0]
	s.buf = s.buf[:0]
	for _, r := range batch {
		head, err := s.check(r.op)
		if err == nil && r.op.kind == opAppend && len(r.op.seqs) == 0 && r.op.fin == nil {
			r.done <- nil // nothing to store
			continue
		}
		if err != nil {
			r.done <- err
			continue
		}
		s.pay = r.op.payload(s.pay[:0])
		size := wal.RecordSize(s.pay)
		if size > s.log.Size()/2 {
			r.done <- errTooLarge
			continue
		}
		if _, end := s.log.Half(s.half); start+int64(len(s.buf))+size > end {
			// This half is full: sync what is framed and go on in the
			// other half.
			s.flush(start, accepted)
			accepted = accepted[:0]
			t0 := time.Now()
			err := s.switchHalf()
			s.obs.Full += time.Since(t0)
			if err != nil {
				r.done <- err
				continue
			}
			start, s.buf = s.tail, s.buf[:0]
		}
		r.op.start = start + int64(len(s.buf))
		s.buf = wal.AppendRecord(s.buf, s.gen, s.pay)
		s.lsn++
		s.written += size
		r.op.lsn, r.op.gen, r.op.end, r.op.pos = s.lsn, s.gen, start+int64(len(s.buf)), s.written
		s.mu.Lock()
		if n := len(r.op.seqs); n > 0 {
			head = r.op.seqs[n-1]
		}
		p := s.pending[r.op.match]
		if p == nil {
			p = &pend{}
			s.pending[r.op.match] = p
		}
		p.head, p.lsn = head, s.lsn
		s.mu.Unlock()
		accepted = append(accepted, r)
	}
	if s.opts.Observe != nil {
		s.obs.Check = time.Since(taken)
	}
	s.flush(start, accepted)
}

// check checks o against the store as it will be once the logged ops are
// applied. It returns the match's head there (before o), and the error
// Create or Append return for o.
func (s *Store) check(o *op) (head uint64, err error) {
	s.mu.Lock()
	failed, p := s.failed, s.pending[o.match]
	if p != nil {
		head = p.head
	}
	s.mu.Unlock()
	if failed != nil {
		return 0, failed
	}
	if p == nil {
		// Every op of the match is applied (the applier forgets a match
		// only after its commit): the bbolt file has it as it stands.
		id := []byte(o.match)
		err := s.db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketMatches).Get(id) == nil {
				if o.kind == opCreate {
					return nil
				}
				return games.ErrNotFound
			}
			if o.kind == opCreate {
				return games.ErrMatchExists
			}
			head = storedHead(tx.Bucket(bucketHeads), id)
			return nil
		})
		if err != nil {
			return 0, err
		}
	} else if o.kind == opCreate {
		return 0, games.ErrMatchExists
	}
	for i, seq := range o.seqs {
		if seq != head+uint64(i)+1 {
			return 0, games.ErrSeqConflict
		}
	}
	return head, nil
}

// flush writes the framed records of accepted at start, syncs them,
// hands their ops to the applier and answers them. If the log fails, they
// are answered with its error and the store takes no more writes.
func (s *Store) flush(start int64, accepted []*request) {
	if len(accepted) == 0 {
		return
	}
	err := s.writeLog(start)
	now := time.Now()
	for _, r := range accepted {
		r.op.logged = now
		if s.opts.ObserveAnswer != nil {
			r.synced = now
		}
	}
	s.mu.Lock()
	if err != nil {
		s.failLogLocked(err)
	} else {
		s.tail = start + int64(len(s.buf))
		s.halfLast[s.half] = s.lsn
		for _, r := range accepted {
			s.toApply = append(s.toApply, r.op)
		}
		// Before the answers: a read that follows an answered write
		// waits for the write to be applied.
		s.loggedLSN, s.loggedPos = s.lsn, s.written
	}
	s.mu.Unlock()
	if err == nil {
		s.wakeApplier()
	}
	for _, r := range accepted {
		r.done <- err
	}
	if s.opts.Observe != nil {
		s.obs.Bytes, s.obs.Err = len(s.buf), err
		s.opts.Observe(&s.obs)
	}
}

// writeLog writes s.buf to the log at start and syncs it.
func (s *Store) writeLog(start int64) error {
	if s.opts.Observe == nil {
		return s.log.Write(s.buf, start)
	}
	t0 := time.Now()
	if _, err := s.log.f.WriteAt(s.buf, start); err != nil {
		return err
	}
	t1 := time.Now()
	err := wal.Fdatasync(s.log.f)
	s.obs.Write, s.obs.Sync = t1.Sub(t0), time.Since(t1)
	return err
}

// switchHalf moves the log writer to the top of the other half of the
// log, with a new generation, once the bbolt file has applied every op
// that half held (normally long since: a whole half of the log ago).
func (s *Store) switchHalf() error {
	other := 1 - s.half
	s.mu.Lock()
	for {
		if err := s.failed; err != nil {
			s.mu.Unlock()
			return err // the flush before may have failed
		}
		if s.appliedLSN >= s.halfLast[other] {
			break
		}
		ch := s.appliedCh
		s.forceApplier()
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
	s.mu.Unlock()
	_, end := s.log.Half(s.half)
	s.written += end - s.tail // the rest of the half, left unused
	s.half, s.gen = other, s.gen+1
	s.tail, _ = s.log.Half(other)
	return nil
}

// failLogLocked stops the store after a failed log write, with s.mu held:
// writes from now on are answered with err, and the reads that wait for
// an op of the failed batch (marked pending before it was written) are
// woken, to find the store failed, rather than waiting for a commit that
// will never come.
func (s *Store) failLogLocked(err error) {
	if s.failed == nil {
		s.failed = err
	}
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
}
