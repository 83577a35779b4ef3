package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The applier: one goroutine applies the logged ops to the bbolt file, in
// log order, all that are waiting in one synced transaction, which also
// records how far the log is applied (keyApplied). It lets them gather
// for Options.ApplyDelay first, unless hurried: by a read that waits for
// them, by the log writer when the log is half full, or by Close. Then it forgets the
// matches whose ops are all applied, and wakes the readers waiting for
// them. If a transaction fails, the store takes no more writes, and the
// log keeps the ops for the next Open.

// runApply applies logged ops until Close has been called and nothing is
// left.
func (s *Store) runApply() {
	defer close(s.applyDone)
	var spare []*op
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	for {
		s.mu.Lock()
		for len(s.toApply) == 0 && !s.stopApply {
			s.mu.Unlock()
			<-s.applyWake
			s.mu.Lock()
		}
		if !s.stopApply && s.opts.ApplyDelay > 0 {
			s.mu.Unlock()
			gather.Reset(s.opts.ApplyDelay)
			select {
			case <-gather.C:
			case <-s.applyNow:
				gather.Stop()
			}
			s.mu.Lock()
		}
		ops := s.toApply
		s.toApply = spare[:0]
		s.mu.Unlock()
		if len(ops) == 0 {
			return
		}
		if s.hold != nil {
			<-s.hold
		}
		err := s.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, ops) })
		s.applied(ops, err)
		if err != nil {
			return
		}
		clear(ops)
		spare = ops
	}
}

// applyOps applies ops in tx and records the log position after the last.
func applyOps(tx *bolt.Tx, ops []*op) error {
	for _, o := range ops {
		if err := o.apply(tx); err != nil {
			return fmt.Errorf("boltstore: apply %c of %q: %w", o.kind, o.match, err)
		}
	}
	last := ops[len(ops)-1]
	return putApplied(tx, last.gen, last.end)
}

// putApplied records in tx that the log is applied up to offset end of
// generation gen.
func putApplied(tx *bolt.Tx, gen uint64, end int64) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), gen)
	v = binary.BigEndian.AppendUint64(v, uint64(end))
	return tx.Bucket(bucketMeta).Put(keyApplied, v)
}

// storedApplied reads the log position recorded by putApplied; zero if
// none.
func storedApplied(tx *bolt.Tx) (gen uint64, end int64) {
	v := tx.Bucket(bucketMeta).Get(keyApplied)
	if len(v) != 16 {
		return 0, 0
	}
	return binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:]))
}

// applied records the outcome of applying ops and wakes who waits for it.
func (s *Store) applied(ops []*op, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.failed == nil {
			s.failed = err
		}
	} else {
		last := ops[len(ops)-1].lsn
		s.appliedLSN = last
		for _, o := range ops {
			if p := s.pending[o.match]; p != nil && p.lsn <= last {
				delete(s.pending, o.match)
			}
		}
	}
	close(s.appliedCh)
	s.appliedCh = make(chan struct{})
}

// wakeApplier tells the applier there is work, or that it should stop.
func (s *Store) wakeApplier() {
	select {
	case s.applyWake <- struct{}{}:
	default:
	}
}

// hurryApplier ends the applier's wait for more ops to gather.
func (s *Store) hurryApplier() {
	select {
	case s.applyNow <- struct{}{}:
	default:
	}
}

// waitApplied waits until the bbolt file has every op of match logged
// so far, or with match "" every op. A read of one match waits only if
// that match has ops pending.
func (s *Store) waitApplied(ctx context.Context, match string) error {
	s.mu.Lock()
	target := s.loggedLSN
	if match != "" {
		target = 0
		if p := s.pending[match]; p != nil {
			target = p.lsn
		}
	}
	for s.appliedLSN < target {
		if s.failed != nil {
			err := s.failed
			s.mu.Unlock()
			return err
		}
		ch := s.appliedCh
		s.mu.Unlock()
		s.hurryApplier()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}
