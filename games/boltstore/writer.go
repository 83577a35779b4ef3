package boltstore

import (
	"context"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/games"
)

// The writer: one goroutine per Store runs every write transaction, so
// that the writes of many match rooms share commits and their syncs (group
// commit). A transaction takes every write that queued while the previous
// one was committing. While writes are queuing (the previous transaction
// had more than one), it also waits, at most Options.MaxBatchDelay, until
// as many writes as last time have arrived: the rooms that wrote last time
// are likely to write again. A lone write never waits for company.

// writeReq is one write waiting for the writer.
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	done chan error
}

// write runs fn in the writer's next transaction and returns once it is
// committed (and synced) or has failed. fn may run more than once (when
// another write of its transaction fails, the rest run again without
// it). ctx bounds only the wait for a place in the queue: a queued write
// is not abandoned.
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &writeReq{fn: fn, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return games.ErrStoreClosed
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

// writer commits queued writes until the queue is closed.
func (s *Store) writer() {
	defer close(s.stopped)
	batch := make([]*writeReq, 0, s.maxBatch)
	last := 0
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

// fill adds to batch the writes queued already and, if target is above
// one, those that arrive within maxDelay until batch holds target.
func (s *Store) fill(batch *[]*writeReq, target int, wait *time.Timer) {
	for len(*batch) < s.maxBatch {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return
			}
			*batch = append(*batch, r)
			continue
		default:
		}
		break
	}
	if target <= 1 || len(*batch) >= target || s.maxDelay <= 0 {
		return
	}
	wait.Reset(s.maxDelay)
	defer wait.Stop()
	for len(*batch) < target && len(*batch) < s.maxBatch {
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

// commit runs batch in one transaction. A write that fails gets its error
// and the transaction runs again without it.
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
			for _, r := range batch {
				r.done <- err
			}
			return
		}
		batch[failed].done <- err
		batch = slices.Delete(batch, failed, failed+1)
	}
}
