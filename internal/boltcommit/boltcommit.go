// Package boltcommit runs the write transactions of a bbolt file on one
// goroutine with group commit: every write that queued while the previous
// transaction was being committed goes into the next one, so that under
// load many writes share one commit and its syncs, while a lone write
// waits for nothing. The chat and games bbolt stores use it.
package boltcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Writer owns a bbolt file's writes and its closing. Create it with New;
// it is safe for concurrent use.
type Writer struct {
	db        *bolt.DB
	maxBatch  int
	maxDelay  time.Duration
	closedErr error

	mu      sync.RWMutex // closed, sends on queue, and reads against Close
	closed  bool
	queue   chan *request
	stopped chan struct{} // closed when the writer goroutine has exited

	writes  atomic.Uint64
	commits atomic.Uint64

	observe func(*Commit) // nil: no timing is taken
	obs     Commit        // reused for each call of observe
}

// request is one write waiting for the writer goroutine.
type request struct {
	fn   func(tx *bolt.Tx) error
	done chan error
	at   time.Time // when Write queued it; set only with an observer
}

// New starts the writer goroutine of db. maxBatch (at least 1) bounds the
// writes of one transaction. While writes are queuing (the previous
// transaction had more than one), a transaction also waits until as many
// writes as last time have arrived, since the writers of the last
// transaction are likely to write again, but no longer than maxDelay nor
// than the last transaction took to commit (see waitLimit); zero or
// negative maxDelay never waits. closedErr is what calls return once the
// Writer is closed.
func New(db *bolt.DB, maxBatch int, maxDelay time.Duration, closedErr error) *Writer {
	return NewObserved(db, maxBatch, maxDelay, closedErr, nil)
}

// NewObserved is New with observe, if not nil, called on the writer
// goroutine after each transaction with where its time went (see Commit).
// Without an observer the writer takes no timings.
func NewObserved(db *bolt.DB, maxBatch int, maxDelay time.Duration, closedErr error, observe func(*Commit)) *Writer {
	maxBatch = max(maxBatch, 1)
	w := &Writer{
		db:        db,
		maxBatch:  maxBatch,
		maxDelay:  maxDelay,
		closedErr: closedErr,
		queue:     make(chan *request, maxBatch),
		stopped:   make(chan struct{}),
		observe:   observe,
	}
	go w.run()
	return w
}

// Write runs fn in the writer's next transaction and returns once that
// transaction is committed (and synced) or has failed. fn may run more
// than once (when another write of the same transaction fails, the rest
// run again without it), so it must set its results from scratch each
// time. Once queued, a write is not abandoned: ctx only bounds the wait
// for a place in the queue.
func (w *Writer) Write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	req := &request{fn: fn, done: make(chan error, 1)}
	if w.observe != nil {
		req.at = time.Now()
	}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return w.closedErr
	}
	select {
	case w.queue <- req:
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	w.mu.RUnlock()
	return <-req.done
}

// View runs fn in a read transaction; Close waits for views under way.
func (w *Writer) View(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return w.closedErr
	}
	err := w.db.View(fn)
	if errors.Is(err, bolt.ErrDatabaseNotOpen) {
		return w.closedErr
	}
	return err
}

// Queued returns how many writes wait in the queue, for tests that hold
// the writer and check what queues behind it.
func (w *Writer) Queued() int { return len(w.queue) }

// Closed reports whether Close has been called.
func (w *Writer) Closed() bool {
	w.mu.RLock()
	defer w.mu.RUnlock()
	return w.closed
}

// Stats returns the writes committed and the transactions that committed
// them, since New.
func (w *Writer) Stats() (writes, commits uint64) {
	return w.writes.Load(), w.commits.Load()
}

// Close commits the writes already queued, stops the writer goroutine and
// closes the file. It is safe to call more than once.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(w.queue)
	w.mu.Unlock()
	<-w.stopped
	return w.db.Close()
}

// run commits queued writes until the queue is closed.
func (w *Writer) run() {
	defer close(w.stopped)
	batch := make([]*request, 0, w.maxBatch)
	last := 0              // writes in the last transaction
	var took time.Duration // how long it took to commit
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for req := range w.queue {
		batch = append(batch[:0], req)
		var taken time.Time // when the first write was taken, with an observer
		if w.observe != nil {
			taken = time.Now()
		}
		w.fill(&batch, min(last, w.maxBatch), waitLimit(w.maxDelay, took), wait)
		start := time.Now()
		if w.observe != nil {
			w.timeQueue(batch, taken, start)
		}
		w.commit(batch)
		took = time.Since(start)
		last = len(batch)
		clear(batch)
	}
}

// waitLimit is how long a transaction may wait for more writes: maxDelay,
// but no longer than the last commit took. Waiting saves a commit, so it
// pays only while it is shorter than one: a write that arrives later
// waits about as long for the next commit. With a disk that syncs in a
// fraction of a millisecond, this keeps a move or a message from waiting
// the whole maxDelay at moderate rates, while under heavy load, where a
// commit takes longer than maxDelay, the writer still waits maxDelay.
func waitLimit(maxDelay, lastCommit time.Duration) time.Duration {
	return max(min(maxDelay, lastCommit), 0)
}

// fill adds queued writes to batch: all that are waiting, and if batch
// holds fewer than target and target is above one, those that arrive
// within limit, until it holds target.
func (w *Writer) fill(batch *[]*request, target int, limit time.Duration, wait *time.Timer) {
drain:
	for len(*batch) < w.maxBatch {
		select {
		case r, ok := <-w.queue:
			if !ok {
				return
			}
			*batch = append(*batch, r)
		default:
			break drain
		}
	}
	if target <= 1 || len(*batch) >= target || limit <= 0 {
		return
	}
	wait.Reset(limit)
	defer wait.Stop()
	for len(*batch) < target {
		select {
		case r, ok := <-w.queue:
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
func (w *Writer) commit(batch []*request) {
	for len(batch) > 0 {
		failed, err := w.update(batch)
		if failed < 0 {
			if err == nil {
				w.commits.Add(1)
				w.writes.Add(uint64(len(batch)))
			}
			for _, r := range batch {
				r.done <- err
			}
			if w.observe != nil {
				w.obs.Err = err
				w.observe(&w.obs)
			}
			return
		}
		batch[failed].done <- err
		batch = slices.Delete(batch, failed, failed+1)
		w.obs.Retries++
	}
}

// update runs batch in one write transaction and commits it. If a write
// fails, the transaction is rolled back and failed is its index;
// otherwise failed is -1 and err is the commit's error.
func (w *Writer) update(batch []*request) (failed int, err error) {
	tx, err := w.db.Begin(true)
	if err != nil {
		return -1, err
	}
	var began time.Time
	if w.observe != nil {
		began = time.Now()
	}
	for i, r := range batch {
		if err := r.fn(tx); err != nil {
			_ = tx.Rollback()
			return i, err
		}
	}
	if w.observe == nil {
		return -1, tx.Commit()
	}
	body := time.Now()
	err = tx.Commit()
	w.timeCommit(tx, began, body, time.Now())
	return -1, err
}
