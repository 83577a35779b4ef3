package lease

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// A lapsed lease is one its node stopped renewing without deleting its
// key: the room stopped because nobody used it, and a delete would be one
// more replicated write for a room that may never run again. The key keeps
// naming this node until it expires, TTL after its last write, so:
//
//   - this node takes the room back with one write (Acquire renews it);
//   - another node that wants it asks this node (the key names it), which
//     deletes the key on request (Handover), and takes it at once;
//   - Close deletes the keys of the lapsed leases not yet expired, so that
//     a node that leaves hands every room over at once, as before.

// lapsed is what the manager remembers of a lapsed lease.
type lapsed struct {
	key      string
	rev      uint64
	deadline time.Time // last write + TTL: the key expires then
}

// Lapse ends the lease without a write: Done closes, Err is ErrReleased,
// renewals stop, and the key stays in the bucket, naming this node, until
// its TTL runs out (see Handover). Call it after the room's last write is
// stored, for a room stopped because it was idle; Release hands it over at
// once.
func (l *Lease) Lapse() {
	l.renewing.Lock()
	defer l.renewing.Unlock()
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return
	}
	lp := lapsed{key: l.key, rev: l.rev, deadline: l.deadline}
	l.mu.Unlock()
	l.end(ErrReleased)
	m := l.m
	m.mu.Lock()
	if !m.closed && time.Now().Before(lp.deadline) {
		m.lapsed[l.room] = lp
	}
	m.mu.Unlock()
}

// Handover deletes room's key if this node's lease on it lapsed and has
// not expired, so that another node may take the room at once; it reports
// whether the lease had lapsed here. A failed delete leaves the key to
// expire.
func (m *Manager) Handover(ctx context.Context, room string) bool {
	lp, ok := m.takeLapsed(room)
	if !ok {
		return false
	}
	m.deleteLapsed(ctx, room, lp)
	return true
}

// takeLapsed removes room's lapsed lease from the manager, if it has one
// that has not expired.
func (m *Manager) takeLapsed(room string) (lapsed, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	lp, ok := m.lapsed[room]
	if !ok {
		return lapsed{}, false
	}
	delete(m.lapsed, room)
	return lp, time.Now().Before(lp.deadline)
}

// deleteLapsed deletes a lapsed lease's key if it still holds the lease's
// revision.
func (m *Manager) deleteLapsed(ctx context.Context, room string, lp lapsed) {
	err := m.kv.Delete(ctx, lp.key, jetstream.LastRevision(lp.rev))
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !isWrongLastSequence(err) {
		m.log.Debug("lease: delete of a lapsed lease", zap.String("room", room), zap.Error(err))
	}
}

// revive takes room back from a lapsed lease of this node with one write
// that expects the lease's last revision. ok is false when there is none,
// or when the write failed (the key changed or expired meanwhile): the
// caller then acquires as for any room.
func (m *Manager) revive(ctx context.Context, room string) (rev uint64, started time.Time, ok bool) {
	lp, ok := m.takeLapsed(room)
	if !ok {
		return 0, time.Time{}, false
	}
	started = time.Now()
	rev, err := m.kv.Update(ctx, lp.key, []byte(m.cfg.Node), lp.rev)
	if err != nil {
		return 0, time.Time{}, false
	}
	return rev, started, true
}

// pruneLapsed forgets the lapsed leases that expired by now.
func (m *Manager) pruneLapsed(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for room, lp := range m.lapsed {
		if !now.Before(lp.deadline) {
			delete(m.lapsed, room)
		}
	}
}

// deleteAllLapsed deletes the keys of every lapsed lease not yet expired,
// each bounded by OpTimeout.
func (m *Manager) deleteAllLapsed() {
	m.mu.Lock()
	all := m.lapsed
	m.lapsed = make(map[string]lapsed)
	m.mu.Unlock()
	for room, lp := range all {
		// The clock is read for each: with the bucket not answering,
		// every delete waits OpTimeout, and the keys that expired
		// meanwhile need none.
		if !time.Now().Before(lp.deadline) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.OpTimeout)
		m.deleteLapsed(ctx, room, lp)
		cancel()
	}
}
