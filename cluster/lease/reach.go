package lease

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// reach records whether the bucket answers this node: a NATS connection
// that is up does not say it, since a JetStream cluster that lost its
// quorum (servers stopped one after another) refuses every write while
// the connection stays up.
type reach struct {
	failing atomic.Bool  // the last renewal or Check found the bucket unreachable
	lastOK  atomic.Int64 // when the bucket last answered, Unix nanoseconds
}

func (m *Manager) reached() {
	m.reach.failing.Store(false)
	m.reach.lastOK.Store(time.Now().UnixNano())
}

func (m *Manager) unreached() { m.reach.failing.Store(true) }

// Reachable reports whether the bucket answered the last renewal or Check
// that needed its stream's leader. It is true until one fails.
func (m *Manager) Reachable() bool { return !m.reach.failing.Load() }

// LastReached returns when the bucket last answered a renewal, an
// acquisition or a Check; the zero time if never since NewManager.
func (m *Manager) LastReached() time.Time {
	if ns := m.reach.lastOK.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Time{}
}

// Check asks the bucket's stream for its state, which only its leader
// answers, as only it takes writes, and records the outcome for
// Reachable. A node that holds no lease, and so renews none, learns this
// way that its cluster cannot take or renew leases. The request is
// bounded by OpTimeout, as a renewal is. Failures wrap ErrUnavailable.
func (m *Manager) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.OpTimeout)
	defer cancel()
	if _, err := m.kv.Status(ctx); err != nil {
		m.unreached()
		return errors.Join(ErrUnavailable, err)
	}
	m.reached()
	return nil
}
