package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxTries is how many connections may be lost while a request is
// written on them, unanswered, before the request fails: a request that
// gets every connection closed (too large for the server, say) must not
// be resent forever.
const maxTries = 3

// maxRejoinRounds bounds the retries of a rejoin refused with
// rate_limited on one connection: the room is given up at the refusal
// that follows them, the rejoin's maxRejoinRounds+1st, as in the
// TypeScript SDK. A rejoin refused with unavailable (the
// server cannot reach the room for now, e.g. its cluster is cut off) is
// tried again with the backoff's pauses for as long as the connection
// lives, and never gives the room up; the sends waiting for it fail with
// the refusal (failWaiting).
const maxRejoinRounds = 5

// run is the client's goroutine: it watches the current connection and,
// when it is lost, reconnects and restores, until the client ends.
func (c *Client) run(cn *conn) {
	defer close(c.runDone)
	for cn != nil {
		select {
		case <-cn.closed:
			cn = c.recover(cn)
		case <-c.closing:
			cn.shut()
			c.finish(ErrClosed)
			return
		}
	}
}

// recover handles the loss of cn: it ends the client, or reconnects and
// returns the restored connection. It returns nil when the client ended.
func (c *Client) recover(cn *conn) *conn {
	err := cn.err
	switch {
	case c.isClosing():
		c.finish(ErrClosed)
		return nil
	case c.opts.Reconnect.Disabled || terminal(err):
		c.finish(err)
		return nil
	}
	p := c.opts.Reconnect
	if time.Since(cn.opened) >= p.MaxDelay {
		c.attempts = 0 // it was a stable connection: start the backoff over
	}
	c.detach(err)
	for {
		c.attempts++
		if p.MaxAttempts > 0 && c.attempts > p.MaxAttempts {
			c.finish(err)
			return nil
		}
		d := p.delay(c.attempts, c.rnd)
		c.notify(StateChange{State: StateReconnecting, Attempt: c.attempts, Delay: d, Err: err})
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.closing:
			t.Stop()
			c.finish(ErrClosed)
			return nil
		}
		c.notify(StateChange{State: StateConnecting, Attempt: c.attempts})
		c.mu.Lock()
		token := c.token
		c.mu.Unlock()
		ctx, cancel := context.WithTimeout(c.life, min(p.DialTimeout, c.opts.RequestTimeout))
		next, f, derr := c.dial(ctx, token)
		cancel()
		if derr != nil {
			switch {
			case c.isClosing():
				c.finish(ErrClosed)
				return nil
			case terminal(derr):
				c.finish(derr)
				return nil
			}
			err = derr
			continue
		}
		c.attach(next, f)
		if c.restore(next) {
			c.notify(StateChange{State: StateOpen, Attempt: c.attempts, Resumed: f.Resumed})
			return next
		}
		if c.isClosing() {
			next.shut()
			c.finish(ErrClosed)
			return nil
		}
		<-next.closed // restore dropped it, or it was lost
		err = next.err
		if terminal(err) {
			c.finish(err)
			return nil
		}
		c.detach(err)
	}
}

// restore joins the rooms again on cn, then sends the unanswered requests
// again in their order and lets new requests through. It returns false
// when the client is closing or cn was lost (or dropped because the
// server did not answer).
func (c *Client) restore(cn *conn) bool {
	c.mu.Lock()
	todo := make([]*roomState, 0, len(c.rooms))
	for _, rec := range c.rooms {
		if rec.leaving {
			endRoom(c.unlink(rec), nil) // its Leave was abandoned: out of the room
			continue
		}
		todo = append(todo, rec)
	}
	c.mu.Unlock()
	slices.SortFunc(todo, func(a, b *roomState) int { return strings.Compare(a.id, b.id) })

	// One round here: a room whose rejoin is refused for now (unavailable,
	// rate_limited) goes on joining on its own, as a moved room does
	// (rejoinMoved), and holds only its own sends, while the connection
	// opens for everything else.
	refusals := make(map[*roomState]int)
	calls := c.rejoin(cn, todo)
	todo = todo[:0]
	timer := time.NewTimer(c.opts.RequestTimeout)
	for _, cl := range calls {
		select {
		case res := <-cl.ch:
			if res.err == nil || !transient(res.err) {
				break
			}
			if unavailable(res.err) {
				c.failWaiting(cl.rec, res.err)
			} else {
				refusals[cl.rec]++
			}
			todo = append(todo, cl.rec)
		case <-cn.closed:
			timer.Stop()
			return false
		case <-c.closing:
			timer.Stop()
			return false
		case <-timer.C:
			cn.drop() // a server that does not answer joins is no use
			return false
		}
	}
	timer.Stop()

	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return false
	}
	var retry []*roomState
	for _, rec := range todo {
		if c.rooms[rec.id] == rec && !rec.leaving && !rec.moving {
			rec.moving = true
			retry = append(retry, rec)
		}
	}
	c.ready = true
	msgs := c.takeQueued(func(cl *call) bool {
		// A room that moved meanwhile, or whose rejoin is tried again:
		// its sends go after its rejoin (endMove).
		return cl.kind != callSend || !c.heldByMove(cl.room)
	})
	c.mu.Unlock()
	writeAll(cn, msgs)
	for _, rec := range retry {
		go c.rejoinMoved(cn, rec, 2, refusals[rec])
	}
	return true
}

// takeQueued gives each queued call that match accepts a ref on the
// current connection, in the queue's order, and returns their frames.
// Called with Client.wmu and Client.mu held; the caller writes the frames
// (writeAll) before it lets go of wmu.
func (c *Client) takeQueued(match func(*call) bool) [][]byte {
	var msgs [][]byte
	for e := c.queue.Front(); e != nil; e = e.Next() {
		if cl := e.Value.(*call); match(cl) {
			cl.ref = c.nextRef.Add(1)
			c.pending[cl.ref] = cl
			msgs = append(msgs, cl.build(cl.ref))
		}
	}
	return msgs
}

// writeAll writes msgs on cn in order, and stops at the first failure: the
// connection is lost, and run sees it.
func writeAll(cn *conn, msgs [][]byte) {
	for _, msg := range msgs {
		if cn.write(msg) != nil {
			return
		}
	}
}

// rejoin writes a join with epoch and since for each room still tracked,
// and returns the calls.
func (c *Client) rejoin(cn *conn, rooms []*roomState) []*call {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	var calls []*call
	var msgs [][]byte
	for _, rec := range rooms {
		if c.rooms[rec.id] != rec || rec.leaving {
			continue // left meanwhile
		}
		cl := &call{kind: callRejoin, rec: rec, ch: make(chan result, 1)}
		cl.ref = c.nextRef.Add(1)
		c.pending[cl.ref] = cl
		calls = append(calls, cl)
		msgs = append(msgs, cl.build(cl.ref))
	}
	c.mu.Unlock()
	for _, msg := range msgs {
		if cn.write(msg) != nil {
			break // lost: restore sees it
		}
	}
	return calls
}

// failWaiting fails the sends waiting for rec's rejoin with err, a
// refusal with code unavailable: the server cannot serve the room for now
// (its cluster is cut off, say), and holding the sends until it can would
// keep the application waiting for an unknown time. Resent sends among
// them may have been applied before the connection was lost; sent again
// with the same client message id, they are applied once.
func (c *Client) failWaiting(rec *roomState, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.queue.Front(); e != nil; {
		next := e.Next()
		if cl := e.Value.(*call); cl.kind == callSend && cl.room == rec.id {
			c.settle(cl, result{err: err})
		}
		e = next
	}
}

// giveUp drops rooms whose rejoin kept being refused and tells the
// application.
func (c *Client) giveUp(rooms []*roomState, err error) {
	for _, rec := range rooms {
		ev := Event{Room: rec.id, Left: true, Reason: ReasonRejoinFailed,
			Err: fmt.Errorf("client: rejoin refused %d times: %w", maxRejoinRounds+1, err)}
		c.mu.Lock()
		tracked := c.rooms[rec.id] == rec
		var q *roomEvents
		if tracked {
			q = c.unlink(rec)
			endRoom(q, &ev)
		}
		c.mu.Unlock()
		if tracked && q == nil {
			c.deliver(ev)
		}
	}
}

// detach forgets the lost connection. The joins and sends written on it
// wait for the next connection; leaves are done (the next connection does
// not join the room), and rejoins are over. After a 1009 close (a message
// was too large for the server) the requests written on it fail instead,
// since one of them would get the next connection closed too, and so does
// a request written on maxTries lost connections.
func (c *Client) detach(err error) {
	var ce *CloseError
	tooLarge := errors.As(err, &ce) && ce.Code == 1009
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = nil
	c.ready = false
	for _, cl := range c.pending {
		switch {
		case cl.kind == callLeave:
			if cl.rec != nil && c.rooms[cl.rec.id] == cl.rec {
				endRoom(c.unlink(cl.rec), nil)
			}
			c.settle(cl, result{})
		case cl.kind == callRejoin || tooLarge:
			c.settle(cl, result{err: err})
		default:
			cl.tries++
			if cl.tries >= maxTries {
				c.settle(cl, result{err: fmt.Errorf("client: %d connections lost before the reply: %w", cl.tries, err)})
				continue
			}
			cl.ref = 0
		}
	}
	clear(c.pending)
	for _, rec := range c.rooms {
		rec.live = false
		rec.moving, rec.movedAgain = false, false // the next connection's restore joins it again
	}
}

// finish ends the client for good with err: every waiting request fails
// with it, and Events and Done are closed. No read loop may be running.
func (c *Client) finish(err error) {
	c.mu.Lock()
	if c.finished {
		c.mu.Unlock()
		return
	}
	c.finished = true
	c.err = err
	c.cur = nil
	c.ready = false
	for _, cl := range c.pending {
		c.settle(cl, result{err: err})
	}
	clear(c.pending)
	for e := c.queue.Front(); e != nil; {
		next := e.Next()
		c.settle(e.Value.(*call), result{err: err})
		e = next
	}
	for _, rec := range c.rooms {
		endRoom(rec.q, nil)
	}
	c.mu.Unlock()
	c.cancelLife()
	close(c.done)
	c.closeEvents()
	c.notify(StateChange{State: StateClosed, Err: err})
}

// isClosing reports whether Close was called.
func (c *Client) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}
