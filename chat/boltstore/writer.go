package boltstore

import (
	"context"
	"slices"
	"time"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// The writer: one goroutine per Store that runs every write transaction.
// Rooms hand it closures through write; it commits what has queued in
// one transaction (group commit), so that under load many writes share
// one commit and its two syncs.

// writeReq is one write waiting for the writer.
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	done chan error
}

// write runs fn in the writer's next transaction and returns once that
// transaction is committed (and synced) or has failed. fn may run more
// than once (when another write of the same transaction fails, the rest
// are run again without it), so it must set its results from scratch each
// time. Once queued, a write is not abandoned: ctx only bounds the wait
// for a place in the queue.
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return chat.ErrStoreClosed
	}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	s.mu.RUnlock()
	return <-req.done
}

// writer commits queued writes until the queue is closed. Each
// transaction takes what has queued; while writes are queuing (the last
// transaction had more than one), it also waits, at most maxDelay, until
// as many writes as last time have arrived, since the writers of the last
// transaction are likely to write again.
func (s *Store) writer() {
	defer close(s.stopped)
	batch := make([]*writeReq, 0, s.maxBatch)
	last := 0 // writes in the last transaction
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for req := range s.queue {
		batch = append(batch[:0], req)
		s.fill(&batch, min(last, s.maxBatch), wait)
		s.commit(batch)
		last = len(batch)
		clear(batch)
	}
}

// fill adds queued writes to batch: all that are waiting, and if batch
// holds fewer than target and target is above one, those that arrive
// within maxDelay, until it holds target.
func (s *Store) fill(batch *[]*writeReq, target int, wait *time.Timer) {
drain:
	for len(*batch) < s.maxBatch {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			*batch = append(*batch, r)
		default:
			break drain
		}
	}
	if target <= 1 || len(*batch) >= target || s.maxDelay <= 0 {
		return
	}
	wait.Reset(s.maxDelay)
	defer wait.Stop()
	for len(*batch) < target {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			*batch = append(*batch, r)
		case <-wait.C:
			return
		}
	}
}

// commit runs batch in one transaction. A write that fails is answered
// with its error and the transaction is retried without it.
func (s *Store) commit(batch []*writeReq) {
	for len(batch) > 0 {
		failed := -1
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, r := range batch {
				if err := r.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			if err == nil {
				s.commits.Add(1)
				s.writes.Add(uint64(len(batch)))
			}
			for _, r := range batch {
				r.done <- err
			}
			return
		}
		batch[failed].done <- err
		batch = slices.Delete(batch, failed, failed+1)
	}
}
