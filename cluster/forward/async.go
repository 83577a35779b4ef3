package forward

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
)

// A forwarded send that the caller does not wait for. Client.Send blocks
// its caller for the whole round trip to the owner, and a member's
// session forwards its sends from the goroutine that reads its socket: a
// client that sends several events in a row would get each forwarded only
// once the owner had answered the one before. SendAsync publishes the
// request and returns.
//
// A send the owner takes is answered by the room itself (its reply frame
// reaches the member's node with the room's broadcasts), so the owner
// does not answer it on NATS as well: its reply subject carries the quiet
// mark (quietToken), and only a refusal comes back, on an inbox
// subscription of the client, which calls the request's done function.
// NATS answers "no responders" on the same inbox when no node serves the
// owner's subjects, so a dead owner is reported at once. A request that
// is neither refused nor reported within the timeout is forgotten without
// a call: it was taken, or the owner cannot answer (paused), and the
// caller, which awaits the room's answer, times it out. A join and a
// leave are the exceptions: their caller waits for them, so one not
// refused within the timeout is answered ErrTimeout, and an owner's
// success (from an owner that does not know the quiet mark) is passed on.
//
// The requests of one caller leave in the order it makes them (one NATS
// connection keeps the order of its publishes), so the owner gets them in
// that order, as with Send.

// noRespondersStatus is the status of the message the NATS server sends
// to a request's reply subject when nobody subscribes to its subject.
const noRespondersStatus = "503"

// asyncSends are the sends published with SendAsync that may still be
// refused.
type asyncSends struct {
	mu     sync.Mutex
	prefix string // the reply subjects: prefix + request id (see quietToken)
	sub    *nats.Subscription
	next   uint64
	// oldest is the lowest request id that may still be pending. Ids
	// grow with time and every request has the same timeout, so requests
	// expire in id order, and the sweeper walks from oldest.
	oldest  uint64
	pending map[uint64]asyncSend
	stop    chan struct{} // closed by close: the sweeper returns
	closed  bool
}

// asyncSend is one request that may still be refused.
type asyncSend struct {
	done     func(error)
	deadline time.Time
	// waited is set for a JoinAsync or LeaveAsync request: a success is
	// passed to done, and the timeout is answered ErrTimeout.
	waited bool
}

// SendAsync forwards s to node, the room's owner, without waiting, and
// asks to be answered only if it is refused (see quietToken): s is
// encoded before SendAsync returns and not kept. done is called at most
// once, never with nil: with the owner's refusal (as Send returns it),
// ErrNoResponder when nobody serves node, ErrBadReply when the answer
// cannot be decoded, or ErrUnavailable when the client is closed first. A send the owner took is never answered here,
// nor is one the owner never answers: after ClientConfig.Timeout the
// client forgets it without calling done, and the caller, which expects
// the send's answer from the room, times it out itself. done runs on the
// client's delivery goroutine and must not block. A request that cannot
// be published is not sent: SendAsync returns the error and done is not
// called.
func (c *Client) SendAsync(node string, s *Send, done func(error)) error {
	return c.quiet(node, OpSend, s, false, done)
}

// JoinAsync forwards j to node, the room's owner, without waiting, and
// asks to be answered only if it is refused, as LeaveAsync does for a
// leave: a join the owner took is answered by the room's frames (the
// session's joined frame on the owner's link), which the caller watches
// for. done is called exactly once unless JoinAsync returns an error:
// with a refusal, ErrNoResponder, ErrBadReply or ErrUnavailable, as for
// SendAsync; with ErrTimeout when nothing came within
// ClientConfig.Timeout (the join was taken, or the owner cannot answer);
// or with nil when an owner that does not know the quiet mark answered a
// success, which means that the join is done.
func (c *Client) JoinAsync(node string, j *Join, done func(error)) error {
	return c.quiet(node, OpJoin, j, true, done)
}

// LeaveAsync forwards l to node, the room's owner, without waiting, and
// asks to be answered only if it is refused, as SendAsync does for a
// send: a leave the owner took is answered by the room's frames (the
// session's left envelope on the owner's link). done is called exactly
// once unless LeaveAsync returns an error: with a refusal, ErrNoResponder,
// ErrBadReply or ErrUnavailable, as for SendAsync; with ErrTimeout when
// nothing came within ClientConfig.Timeout (the leave was taken and its
// frames are late, or the owner cannot answer); or with nil when an
// owner that does not know the quiet mark answered a success, which
// means that the leave is done (taken, or no such membership).
func (c *Client) LeaveAsync(node string, l *Leave, done func(error)) error {
	return c.quiet(node, OpLeave, l, true, done)
}

// quiet publishes a request of op whose success is not answered (see
// quietToken).
func (c *Client) quiet(node string, op Op, body any, waited bool, done func(error)) error {
	if err := checkNode(node); err != nil {
		return err
	}
	if !c.nc.IsConnected() {
		return ErrUnavailable
	}
	data, err := msgpack.Marshal(body)
	if err != nil {
		return err
	}
	id, reply, err := c.async.add(c, waited, done)
	if err != nil {
		return err
	}
	err = c.nc.PublishRequest(subject(c.cfg.SubjectPrefix, node, op), reply, data)
	if err == nil {
		return nil
	}
	c.async.take(id)
	if errors.Is(err, nats.ErrMaxPayload) {
		return ErrTooLarge
	}
	return errors.Join(ErrUnavailable, err)
}

// add registers done under a new request id and returns the id and the
// request's reply subject, subscribing to the inbox on first use.
func (a *asyncSends) add(c *Client, waited bool, done func(error)) (uint64, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, "", ErrUnavailable
	}
	if a.sub == nil {
		a.prefix = c.nc.NewInbox() + "." + quietToken + "."
		sub, err := c.nc.Subscribe(a.prefix+"*", a.answer)
		if err != nil {
			return 0, "", errors.Join(ErrUnavailable, err)
		}
		a.sub = sub
		a.pending = make(map[uint64]asyncSend)
		a.stop = make(chan struct{})
		a.oldest = 1
		go a.sweep(c.cfg.Timeout)
	}
	a.next++
	id := a.next
	a.pending[id] = asyncSend{done: done, deadline: time.Now().Add(c.cfg.Timeout), waited: waited}
	return id, a.prefix + strconv.FormatUint(id, 10), nil
}

// take removes request id and returns it, or false if it was answered
// or forgotten already.
func (a *asyncSends) take(id uint64) (asyncSend, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.pending[id]
	if ok {
		delete(a.pending, id)
	}
	return p, ok
}

// answer is the inbox subscription's handler.
func (a *asyncSends) answer(m *nats.Msg) {
	id, err := strconv.ParseUint(m.Subject[len(a.prefix):], 10, 64)
	if err != nil {
		return
	}
	p, ok := a.take(id)
	if !ok {
		return // forgotten already
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == noRespondersStatus {
		p.done(ErrNoResponder)
		return
	}
	var r Reply
	if err := codec.UnmarshalData(m.Data, &r); err != nil || len(m.Data) == 0 {
		p.done(ErrBadReply)
		return
	}
	if err := r.Err(); err != nil || p.waited {
		// A join's or a leave's success, from an owner that does not
		// know the quiet mark, says it is done (a leave: taken, or no
		// such membership).
		p.done(err)
	}
	// A send's success: an owner that does not know the quiet mark
	// answered a send it took. The room answers it.
}

// sweep forgets the requests past their deadline, checking every tenth
// of the timeout, until close: a send without calling its done, a join
// or a leave answering ErrTimeout.
func (a *asyncSends) sweep(timeout time.Duration) {
	t := time.NewTicker(max(timeout/10, time.Millisecond))
	defer t.Stop()
	var expired []func(error)
	for {
		select {
		case <-a.stop:
			return
		case now := <-t.C:
			a.mu.Lock()
			for ; a.oldest <= a.next; a.oldest++ {
				p, ok := a.pending[a.oldest]
				if ok && now.Before(p.deadline) {
					break
				}
				if ok && p.waited {
					expired = append(expired, p.done)
				}
				delete(a.pending, a.oldest)
			}
			a.mu.Unlock()
			for i, done := range expired {
				done(ErrTimeout)
				expired[i] = nil
			}
			expired = expired[:0]
		}
	}
}

// close unsubscribes the inbox and answers ErrUnavailable to the requests
// still waiting.
func (a *asyncSends) close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	pending := a.pending
	a.pending = nil
	if a.sub != nil {
		_ = a.sub.Unsubscribe()
		close(a.stop)
	}
	a.mu.Unlock()
	for _, p := range pending {
		p.done(ErrUnavailable)
	}
}
