package chat

import (
	"context"
	"sync/atomic"
	"time"
)

// Requests that start within opDeadlineStep of each other share one
// deadline context, whose deadline is OpTimeout after the last of them
// may start: each request gets at least Config.OpTimeout and at most
// opDeadlineStep more. A context of its own (context.WithTimeout: the
// context, its timer and its done channel) cost every chat send about
// 2% of the server's CPU and 7% of the bytes it allocated. A shared
// context is never cancelled early: it ends at its deadline, when its
// timer releases it.
const opDeadlineStep = 5 * time.Millisecond

// opClock is the origin of until.
var opClock = time.Now()

// opDeadline is the shared deadline context of the requests that start
// before until (nanoseconds since opClock).
type opDeadline struct {
	ctx    context.Context
	cancel context.CancelFunc // called by the context's own timer only
	until  int64
}

// opDeadlines holds the current shared deadline context.
type opDeadlines struct {
	cur atomic.Pointer[opDeadline]
}

// noCancel is the cancel function of a shared deadline context: a request
// that ends leaves it to the others.
func noCancel() {}

// opCtx bounds the store and hook calls of one request: they share one
// deadline, Config.OpTimeout from now (up to opDeadlineStep later: see
// opDeadlineStep). With an OpTimeout under 100 times the step, each
// request gets a context of its own.
func (c *Chat) opCtx() (context.Context, context.CancelFunc) {
	step := opDeadlineStep
	if c.cfg.OpTimeout < 100*step {
		return context.WithTimeout(context.Background(), c.cfg.OpTimeout)
	}
	t := time.Now()
	now := int64(t.Sub(opClock)) // monotonic: a clock step cannot keep a context current
	if d := c.deadlines.cur.Load(); d != nil && now < d.until {
		return d.ctx, noCancel
	}
	// Two requests may both start a context here; each uses its own, and
	// the later one stays current.
	ctx, cancel := context.WithDeadline(context.Background(), t.Add(c.cfg.OpTimeout+step))
	c.deadlines.cur.Store(&opDeadline{ctx: ctx, cancel: cancel, until: now + int64(step)})
	return ctx, noCancel
}
