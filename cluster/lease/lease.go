package lease

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Lease is one room's ownership held by this node. It ends once: lost,
// released, or with its manager closed; Done is closed then and Err says
// why.
type Lease struct {
	m    *Manager
	room string
	key  string

	mu       sync.Mutex
	rev      uint64
	deadline time.Time
	idle     bool // SetIdle: renewed only near its deadline
	err      error
	done     chan struct{}
	renewing sync.Mutex
}

// Room is the room this lease is for.
func (l *Lease) Room() string { return l.room }

// Revision is the KV revision of the lease's last write. It grows with
// every renewal and every change of owner.
func (l *Lease) Revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// Done is closed when the lease ends.
func (l *Lease) Done() <-chan struct{} { return l.done }

// Err is nil while the lease is held, then ErrLost, ErrReleased or
// ErrClosed.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Valid reports whether the lease is held and, by this node's clock, has
// not expired: the last successful write started less than TTL ago. The
// bucket expires the key no earlier than that.
func (l *Lease) Valid() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err == nil && time.Now().Before(l.deadline)
}

// expired reports whether the lease is held and its TTL has run out by
// now.
func (l *Lease) expired(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err == nil && !now.Before(l.deadline)
}

// SetIdle marks the lease's room as idle (no members: it stops soon
// unless somebody joins) or busy again. The manager renews an idle lease
// only near its deadline, once it is RenewInterval or TTL/3 away
// (whichever is more; 2/3 of the TTL old by default) rather than at
// RenewInterval old (Config.RenewInterval), so that a room that stops within
// its idle time lets the lease lapse (Lapse) without a renewal. A lease
// that becomes busy again is renewed at the next check if it is
// RenewInterval old by then. The lease stays valid throughout.
func (l *Lease) SetIdle(idle bool) {
	l.mu.Lock()
	l.idle = idle
	l.mu.Unlock()
}

// due reports whether the lease must be renewed now: its deadline (its
// last write plus TTL) is at busy or earlier, or at idle or earlier for a
// lease marked idle. It also returns the deadline, by which the renewal
// pass orders the leases due.
func (l *Lease) due(busy, idle time.Time) (bool, time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.idle {
		return !l.deadline.After(idle), l.deadline
	}
	return !l.deadline.After(busy), l.deadline
}

// Renew writes the lease again with the revision it last wrote. If someone
// else's write came in between, or the key expired, the lease is lost:
// Renew returns ErrLost and the lease ends. A key that still names this
// node at a later revision (an earlier renewal applied after its wait
// ended) is written again with that revision. Any other failure wraps
// ErrUnavailable and leaves the lease held until its TTL runs out by this
// node's clock; after that Renew ends it as lost.
func (l *Lease) Renew(ctx context.Context) error {
	l.renewing.Lock()
	defer l.renewing.Unlock()
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return err
	}
	rev := l.rev
	l.mu.Unlock()

	started := time.Now()
	next, err := l.m.kv.Update(ctx, l.key, []byte(l.m.cfg.Node), rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		l.m.reached()
		if err := l.Err(); err != nil {
			return err // ended meanwhile: a later write of this node's name may be a new lease's
		}
		later, ok := l.ownLaterRevision(ctx, rev)
		if !ok {
			l.lose("replaced")
			return ErrLost
		}
		started = time.Now()
		next, err = l.m.kv.Update(ctx, l.key, []byte(l.m.cfg.Node), later)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			l.lose("replaced")
			return ErrLost
		}
	}
	if err == nil {
		l.m.reached()
		l.mu.Lock()
		if l.err == nil {
			l.rev = next
			l.deadline = started.Add(l.m.cfg.TTL)
		}
		l.mu.Unlock()
		return nil
	}
	l.m.unreached()
	l.mu.Lock()
	expired := !time.Now().Before(l.deadline)
	l.mu.Unlock()
	if expired {
		l.lose("expired while unreachable")
		return ErrLost
	}
	return errors.Join(ErrUnavailable, err)
}

// Release gives the room up: call it after the room's last write is
// stored. It deletes the key only if it still holds this lease's
// revision, so that another node can take the room at once. (A key
// written again by a renewal of this lease applied after its wait ended
// is left to expire: once the lease has ended, a write of this node's
// name may be a new lease's.) It returns
// ErrLost if the lease was lost before, and an ErrUnavailable error if
// the delete failed (the key then expires after TTL).
func (l *Lease) Release(ctx context.Context) error {
	l.renewing.Lock()
	defer l.renewing.Unlock()
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		if errors.Is(err, ErrReleased) {
			return nil
		}
		return err
	}
	rev := l.rev
	l.mu.Unlock()
	l.end(ErrReleased)

	err := l.m.kv.Delete(ctx, l.key, jetstream.LastRevision(rev))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), isWrongLastSequence(err):
		return ErrLost
	}
	return errors.Join(ErrUnavailable, err)
}

// ownLaterRevision reads the lease's key after a write that expected
// revision rev was refused, and returns the key's revision when it still
// names this node at a later revision: an earlier renewal of this lease
// was applied after its wait had ended, so its new revision never reached
// the lease. Nobody else writes this node's name while the lease is held
// (Acquire returns the held lease instead), so the key is still the
// lease's. ok is false when another node wrote the key, when it is gone,
// or when it cannot be read.
func (l *Lease) ownLaterRevision(ctx context.Context, rev uint64) (uint64, bool) {
	e, err := l.m.kv.Get(ctx, l.key)
	if err != nil || string(e.Value()) != l.m.cfg.Node || e.Revision() <= rev {
		return 0, false
	}
	return e.Revision(), true
}

// isWrongLastSequence reports a compare-and-set failure of Delete, which
// jetstream does not map to ErrKeyRevisionMismatch.
func isWrongLastSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) &&
		(apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// lose ends the lease as lost and tells OnLost.
func (l *Lease) lose(why string) {
	if !l.end(ErrLost) {
		return
	}
	l.m.lost.Add(1)
	l.m.log.Warn("lease: lost", zap.String("room", l.room), zap.String("why", why))
	if l.m.cfg.OnLost != nil {
		l.m.cfg.OnLost(l)
	}
}

// end ends the lease with err unless it has ended; it reports whether
// this call ended it.
func (l *Lease) end(err error) bool {
	l.mu.Lock()
	if l.err != nil {
		l.mu.Unlock()
		return false
	}
	l.err = err
	close(l.done)
	l.mu.Unlock()
	l.m.forget(l)
	return true
}
