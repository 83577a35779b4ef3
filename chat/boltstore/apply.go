package boltstore

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
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
	s.cache.drop()
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
	err := s.cache.flush(tx)
	if err == nil {
		err = putApplied(tx, last.gen, last.end)
	}
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

// txCache holds, for the open transaction, the meta of the rooms its
// appends wrote and the receipts they moved, so that a burst of messages
// to one room reads its meta from the file once and writes it and each
// receipt once, when the transaction commits, instead of at every
// message. Only appends use it, and only what they change is in it: any
// other op, and an append that may move other rooms in the inbox index
// (moveDue), first writes it out (flush), so that everything that reads
// the file in the transaction sees what the cache holds.
type txCache struct {
	metas map[string]cachedMeta
	reads map[receiptKey]cachedRead
}

// A cachedMeta is a room's meta as the transaction left it; dirty: not
// written to the file yet.
type cachedMeta struct {
	m     meta
	dirty bool
}

// receiptKey names a receipt: a room and a user.
type receiptKey struct{ room, user string }

// A cachedRead is a receipt's read seq not written to the file yet, and
// its key in bucketReads.
type cachedRead struct {
	k   []byte
	seq uint64
}

// meta returns room's meta in tx: the cached one, or the file's, which it
// caches.
func (c *txCache) meta(tx *bolt.Tx, room string) meta {
	if e, ok := c.metas[room]; ok {
		return e.m
	}
	m := getMeta(tx, room)
	if c.metas == nil {
		c.metas = make(map[string]cachedMeta)
	}
	c.metas[room] = cachedMeta{m: m}
	return m
}

// setMeta records m as room's meta, to be written by flush.
func (c *txCache) setMeta(room string, m meta) {
	if c.metas == nil {
		c.metas = make(map[string]cachedMeta)
	}
	c.metas[room] = cachedMeta{m: m, dirty: true}
}

// read returns the cached read seq of user in room, if any.
func (c *txCache) read(room, user string) (uint64, bool) {
	e, ok := c.reads[receiptKey{room, user}]
	return e.seq, ok
}

// setRead records seq as the read seq of user in room, whose receipt key
// is k, to be written by flush.
func (c *txCache) setRead(room, user string, k []byte, seq uint64) {
	if c.reads == nil {
		c.reads = make(map[receiptKey]cachedRead)
	}
	c.reads[receiptKey{room, user}] = cachedRead{k: k, seq: seq}
}

// flush writes what the cache holds to tx and empties it.
func (c *txCache) flush(tx *bolt.Tx) error {
	for room, e := range c.metas {
		if e.dirty {
			if err := putMeta(tx, room, e.m); err != nil {
				return err
			}
		}
	}
	if len(c.reads) > 0 {
		b := tx.Bucket(bucketReads)
		for _, e := range c.reads {
			if err := b.Put(e.k, be64(e.seq)); err != nil {
				return err
			}
		}
	}
	c.drop()
	return nil
}

// drop empties the cache without writing it: its transaction is gone.
func (c *txCache) drop() {
	clear(c.metas)
	clear(c.reads)
}
