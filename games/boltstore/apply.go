package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"maps"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The applier: one goroutine applies the logged ops to the bbolt file, in
// log order per match, all that are due in one synced transaction, which
// also records how far the log is applied (keyApplied). It lets new ops
// gather for Options.ApplyDelay first, unless hurried: by a read that
// waits for them, by the log writer when the log is half full, or by
// Close. Then it forgets the matches whose ops are all applied, and wakes
// the readers waiting for them. If a transaction fails, the store takes no
// more writes, and the log keeps the ops for the next Open.
//
// The moves of a match that goes on are held back for up to
// Options.MatchDelay, so that the pages of the match's log and head are
// written once for all the moves of that time instead of once per move:
// a commit writes two or three pages per match it touches, whatever the
// number of its moves. A match is due, with all its held ops:
//   - once its oldest held op is between half of MatchDelay and MatchDelay
//     old (by a hash of its id, so that matches started together, as in a
//     tournament's round, are not all due at once);
//   - once one of its ops ends it (a finished game);
//   - once the writer has logged a quarter of the log's size after its
//     oldest held op (the writer needs a half again once it has filled
//     the other: each op is due half a half before that, one by one, so a
//     fast log gives no wave of due matches);
//   - when a read of the match waits for it;
//   - once a finished game's write with no entries is logged after it
//     (see split);
//   - and every match when Waiting reads, when the log writer needs a half
//     back, and at Close.
//
// Creations are never held. The applied position recorded in the bbolt
// file stops before the oldest held op, so a restart replays the log from
// there: the ops after it that were applied already are recognised and
// skipped (op.apply with replay).

// logPos is a position in the log: a generation and an offset in its
// half.
type logPos struct {
	gen uint64
	off int64
}

// runApply applies logged ops until Close has been called and nothing is
// left.
func (s *Store) runApply() {
	defer close(s.applyDone)
	var spare, held []*op
	gather := time.NewTimer(time.Hour)
	gather.Stop()
	due := time.NewTimer(time.Hour)
	due.Stop()
	for {
		s.mu.Lock()
		for len(s.toApply) == 0 && !s.stopApply && !(s.force && len(held) > 0) && !s.wantsHeld(held) {
			if len(held) == 0 {
				s.mu.Unlock()
				<-s.applyWake
				s.mu.Lock()
				continue
			}
			wait := time.Until(s.nextDue(held))
			if wait <= 0 {
				break
			}
			s.mu.Unlock()
			due.Reset(wait)
			select {
			case <-s.applyWake:
				due.Stop()
			case <-due.C:
			}
			s.mu.Lock()
		}
		if len(s.toApply) > 0 && !s.stopApply && !s.force && s.wanted == nil && s.opts.ApplyDelay > 0 {
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
		all, logged, wanted := s.force || s.stopApply, s.loggedPos, maps.Clone(s.wanted)
		s.force = false
		stop := s.stopApply
		s.mu.Unlock()
		if len(ops) == 0 && len(held) == 0 {
			if stop {
				return
			}
			continue
		}
		cand := ops
		if len(held) > 0 {
			cand = append(held, ops...)
		}
		apply, keep := cand, cand[:0:0]
		if !all && s.opts.MatchDelay > 0 {
			apply, keep = s.split(cand, time.Now(), logged, wanted)
		}
		var err error
		if len(apply) > 0 {
			if s.hold != nil {
				<-s.hold
			}
			mark := logPos{apply[len(apply)-1].gen, apply[len(apply)-1].end}
			if len(keep) > 0 {
				mark = logPos{keep[0].gen, keep[0].start}
			}
			err = s.commit(apply, len(keep), mark)
		}
		s.applied(apply, keep, cand[len(cand)-1].lsn, err)
		if err != nil {
			return
		}
		// held becomes keep in a slice of its own: cand, where keep's
		// elements were, is spare for the next take.
		held = append(held[:0:0], keep...)
		clear(cand)
		spare = cand[:0]
	}
}

// wantsHeld reports whether a read waits for a match that has ops in
// held. A read may also wait for a write still being synced, not yet
// anyone's to take: that one only ends the gathering once it comes. s.mu
// must be held.
func (s *Store) wantsHeld(held []*op) bool {
	if s.wanted == nil {
		return false
	}
	for _, o := range held {
		if _, ok := s.wanted[o.match]; ok {
			return true
		}
	}
	return false
}

// commit applies ops in one transaction that records mark, and reports
// it to Options.ObserveCommit; held is the number of ops held back.
func (s *Store) commit(ops []*op, held int, mark logPos) error {
	obs := s.opts.ObserveCommit
	var t0 time.Time
	var pages int64
	if obs != nil {
		st := s.db.Stats()
		t0, pages = time.Now(), st.TxStats.GetWrite()
	}
	err := s.db.Update(func(tx *bolt.Tx) error { return applyOps(tx, ops, mark, false) })
	if obs != nil && err == nil {
		took := time.Since(t0)
		st := s.db.Stats()
		obs(Commit{Ops: len(ops), Held: held, Pages: st.TxStats.GetWrite() - pages, Took: took})
	}
	return err
}

// split divides cand, logged ops in log order, into those to apply now
// and those to hold on (see the applier's comment), both in log order;
// logged is the log writer's position (op.pos), and the matches of wanted
// are due (a read waits for them).
//
// A finished game's write with no entries is the one op a replay could
// not tell applied from not (op.apply): every op logged before it is
// applied with it, so that the applied position is past it once it is
// applied. The module never writes one; the Store contract allows it.
func (s *Store) split(cand []*op, now time.Time, logged int64, wanted map[string]uint64) (apply, keep []*op) {
	far := s.log.Size() / 4
	blind := -1
	for i, o := range cand {
		if o.kind == opAppend && len(o.seqs) == 0 {
			blind = i
		}
	}
	due := make(map[string]bool)
	for i, o := range cand {
		if o.kind == opCreate {
			continue
		}
		d, seen := due[o.match]
		if !seen {
			// The match's oldest op here: its age and its place decide.
			_, want := wanted[o.match]
			d = want || !now.Before(s.dueAt(o)) || logged-o.pos >= far
		}
		due[o.match] = d || o.fin != nil || i <= blind
	}
	apply = make([]*op, 0, len(cand))
	for _, o := range cand {
		if o.kind == opCreate || due[o.match] {
			apply = append(apply, o)
		} else {
			keep = append(keep, o)
		}
	}
	return apply, keep
}

// dueAt is when o, the oldest held op of its match, makes the match due
// by its age: between half of MatchDelay and MatchDelay after it was
// logged, by a hash of the match's id.
func (s *Store) dueAt(o *op) time.Time {
	h := uint64(14695981039346656037) // FNV-1a
	for i := 0; i < len(o.match); i++ {
		h = (h ^ uint64(o.match[i])) * 1099511628211
	}
	half := s.opts.MatchDelay / 2
	return o.logged.Add(half + time.Duration(h%uint64(half+1)))
}

// nextDue is the first time a match of held, ops in log order, is due by
// its age.
func (s *Store) nextDue(held []*op) time.Time {
	seen := make(map[string]bool)
	var first time.Time
	for _, o := range held {
		if seen[o.match] {
			continue
		}
		seen[o.match] = true
		if t := s.dueAt(o); first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first
}

// applyOps applies ops in tx and records mark as the log position up to
// which the bbolt file has every op. With replay (Open's recovery), ops
// the file has already are skipped.
func applyOps(tx *bolt.Tx, ops []*op, mark logPos, replay bool) error {
	for _, o := range ops {
		if err := o.apply(tx, replay); err != nil {
			return fmt.Errorf("boltstore: apply %c of %q: %w", o.kind, o.match, err)
		}
	}
	return putApplied(tx, mark)
}

// putApplied records in tx that the log is applied up to p.
func putApplied(tx *bolt.Tx, p logPos) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), p.gen)
	v = binary.BigEndian.AppendUint64(v, uint64(p.off))
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

// applied records the outcome of applying apply, holding keep, of the ops
// taken up to lsn last, and wakes who waits for it.
func (s *Store) applied(apply, keep []*op, last uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.failed == nil {
			s.failed = err
		}
	} else {
		for _, o := range apply {
			if p := s.pending[o.match]; p != nil {
				if p.lsn <= o.lsn {
					delete(s.pending, o.match)
				} else if o.lsn > p.applied {
					p.applied = o.lsn
				}
			}
		}
		// A match stays wanted until the writes its reads wait for are
		// applied (they may still be in the log's sync at a take), and no
		// longer: a match written on and on is held again.
		for m, target := range s.wanted {
			if p := s.pending[m]; p == nil || p.applied >= target {
				delete(s.wanted, m)
			}
		}
		if len(s.wanted) == 0 {
			s.wanted = nil
		}
		s.takenLSN = max(s.takenLSN, last)
		s.appliedLSN = s.takenLSN
		if len(keep) > 0 {
			s.appliedLSN = keep[0].lsn - 1
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

// forceApplier makes the applier apply every op logged, the held ones
// too, at once. s.mu must be held.
func (s *Store) forceApplier() {
	s.force = true
	s.wakeApplier()
	s.hurryApplier()
}

// waitApplied waits until the bbolt file has every op of match logged
// so far, forcing that match's held ops out, or with match "" every op,
// forcing every held op out. A read of one match waits only if that
// match has ops pending.
func (s *Store) waitApplied(ctx context.Context, match string) error {
	s.mu.Lock()
	if match == "" {
		target := s.loggedLSN
		return s.waitFor(ctx, func() bool { return s.appliedLSN >= target }, s.forceApplier)
	}
	p := s.pending[match]
	if p == nil {
		s.mu.Unlock()
		return nil
	}
	target := p.lsn
	done := func() bool {
		p := s.pending[match]
		return p == nil || p.applied >= target
	}
	want := func() {
		if s.wanted == nil {
			s.wanted = make(map[string]uint64)
		}
		s.wanted[match] = max(s.wanted[match], target)
		s.wakeApplier()
		s.hurryApplier()
	}
	return s.waitFor(ctx, done, want)
}

// waitTaken waits until the applier has taken every op logged so far:
// applied it, or held it. A finished game and a creation are never held,
// so a read of the history or of a match's record sees every one acked
// before it, without forcing the moves of the matches that go on.
//
// With a match, it waits only for the ops of that match logged so far,
// and not at all if it has none pending.
func (s *Store) waitTaken(ctx context.Context, match string) error {
	s.mu.Lock()
	target := s.loggedLSN
	if match != "" {
		p := s.pending[match]
		if p == nil {
			s.mu.Unlock()
			return nil
		}
		target = p.lsn
	}
	return s.waitFor(ctx, func() bool { return s.takenLSN >= target }, s.hurryApplier)
}

// waitFor waits, with s.mu held, until done, calling push before each
// wait; it returns with s.mu released.
func (s *Store) waitFor(ctx context.Context, done func() bool, push func()) error {
	for !done() {
		if s.failed != nil {
			err := s.failed
			s.mu.Unlock()
			return err
		}
		ch := s.appliedCh
		push()
		s.mu.Unlock()
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
