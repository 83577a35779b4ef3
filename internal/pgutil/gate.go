package pgutil

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Gate is what every call of a store passes: it refuses calls once the
// store is closed, bounds each call by the store's timeout, and retries
// a call once after the database was unavailable. It is safe for
// concurrent use.
type Gate struct {
	pool      *pgxpool.Pool
	timeout   time.Duration
	closedErr error

	mu     sync.RWMutex
	closed bool
}

// NewGate returns the gate of a store on pool whose calls each take at
// most timeout, and fail with closedErr (the store's own sentinel) once
// the gate is closed.
func NewGate(pool *pgxpool.Pool, timeout time.Duration, closedErr error) *Gate {
	return &Gate{pool: pool, timeout: timeout, closedErr: closedErr}
}

// Timeout returns the bound of each call.
func (g *Gate) Timeout() time.Duration { return g.timeout }

// Close closes the pool, waiting for calls in progress. It is safe to
// call more than once.
func (g *Gate) Close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	g.mu.Unlock()
	g.pool.Close()
}

// Closed reports whether Close was called.
func (g *Gate) Closed() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.closed
}

// Start starts a call: it fails with ctx's error if ctx is done, with
// the closed error if the gate is closed, and otherwise returns ctx
// bounded by the timeout.
func (g *Gate) Start(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if g.Closed() {
		return nil, nil, g.closedErr
	}
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	return ctx, cancel, nil
}

// Retry runs fn, and once more if the database was unavailable, there
// is time left and the gate is not closed: see the function Retry.
func (g *Gate) Retry(ctx context.Context, fn func() error) error {
	return Retry(ctx, g.pool, g.Closed, fn)
}
