package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/maphash"

	bolt "go.etcd.io/bbolt"

	"github.com/parlorhq/parlor/chat"
)

// Reads run on the bbolt file's last commit, in their own read
// transactions, while the writer holds writes that are acked (logged) but
// not yet committed. A read must see every write acked before it began,
// so it checks, once it has run, what those writes change: the store
// keeps the keys of each (a hash of its room, of its client message id
// and of the entry it updates; see request.keys) until they are
// committed. If none of them touches what the read looked at, its answer
// stands; otherwise the writer commits at once and the read runs again.
// Lookup, which the module calls for a write with a client message id that
// its checks refused (a retry's), so looks at the id and the entry only: a busy room's pending writes
// do not make it wait for a commit. Reads that span rooms or users (the
// inbox, GroupsCreated, Trim's scans) wait for a commit whenever any
// write is pending.
//
// A read's transaction must also be of the last commit: the keys are
// those of the writes after it. A read that began on an older one (a
// commit ended meanwhile) runs again.

// view runs fn in a read transaction that has every write acked before
// view was called.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.read(ctx, fn, nil, false)
}

// viewRoom is view for a read that looks at room only.
func (s *Store) viewRoom(ctx context.Context, room string, fn func(tx *bolt.Tx) error) error {
	k := s.roomKey(room)
	return s.read(ctx, fn, func() bool { return s.dirtyAll == 0 && !s.isDirty(k) }, false)
}

// read runs fn in a read transaction of the last commit if clean (nil:
// never), called with s.mu held, reports that the writes logged since
// change nothing fn reads; if not (and some are), it has the writer
// commit first. With after, fn runs before clean, which may then use what
// fn found, and runs again after a commit: it sets its results from
// scratch each time.
func (s *Store) read(ctx context.Context, fn func(tx *bolt.Tx) error, clean func() bool, after bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.cmu.RLock()
	defer s.cmu.RUnlock()
	if s.closed {
		return chat.ErrStoreClosed
	}
	for {
		tx, err := s.db.Begin(false)
		if err != nil {
			if errors.Is(err, bolt.ErrDatabaseNotOpen) {
				return chat.ErrStoreClosed
			}
			return err
		}
		var ferr error
		if after {
			ferr = fn(tx)
		}
		id := tx.ID()
		s.mu.Lock()
		last, newer := id == s.commitTx, id > s.commitTx
		ok := last && (s.loggedLSN == s.appliedLSN || clean != nil && clean())
		failed, ch := s.failed, s.appliedCh
		s.mu.Unlock()
		if ok && !after {
			ferr = fn(tx)
		}
		_ = tx.Rollback()
		switch {
		case ok:
			return ferr
		case !last && !newer:
			continue // a commit ended meanwhile: run on it
		case failed != nil:
			return failed
		}
		if !newer {
			s.wake(s.hurry)
		} // else a commit is under way (lockChecks): wait for it to be published
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// isDirty reports whether a write logged and not committed has key k.
// s.mu must be held.
func (s *Store) isDirty(k uint64) bool {
	_, ok := s.dirty[k]
	return ok
}

// roomKey is the key of writes to room.
func (s *Store) roomKey(room string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	_ = h.WriteByte('r')
	_, _ = h.WriteString(room)
	return h.Sum64() | 1
}

// cmidHash is the key of an entry with a client message id.
func (s *Store) cmidHash(room, from, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	_ = h.WriteByte('c')
	_, _ = h.WriteString(room)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(from)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(id)
	return h.Sum64() | 1
}

// readHash is the key of the read seq of user in room.
func (s *Store) readHash(room, user string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	_ = h.WriteByte('u')
	_, _ = h.WriteString(room)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(user)
	return h.Sum64() | 1
}

// entryHash is the key of an update of entry seq of room.
func (s *Store) entryHash(room string, seq uint64) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	_ = h.WriteByte('e')
	_, _ = h.WriteString(room)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	_, _ = h.Write(b[:])
	return h.Sum64() | 1
}
