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
// request and returns; the owner's answer comes back on an inbox
// subscription of the client, which calls the request's done function.
//
// The requests of one caller leave in the order it makes them (one NATS
// connection keeps the order of its publishes), so the owner gets them in
// that order, as with Send.

// noRespondersStatus is the status of the message the NATS server sends
// to a request's reply subject when nobody subscribes to its subject.
const noRespondersStatus = "503"

// asyncSends are the sends published with SendAsync that await their
// answer.
type asyncSends struct {
	mu      sync.Mutex
	prefix  string // the inbox subjects: prefix + "." + request id
	sub     *nats.Subscription
	next    uint64
	pending map[uint64]asyncSend
	stop    chan struct{} // closed by close: the sweeper returns
	closed  bool
}

// asyncSend is one request awaiting its answer.
type asyncSend struct {
	done     func(error)
	deadline time.Time
}

// SendAsync forwards s to node, the room's owner, without waiting: s is
// encoded before SendAsync returns and not kept. done
// is called once with the owner's answer (nil when it took the request,
// else its refusal, as Send returns it), ErrNoResponder when nobody serves
// node, or ErrTimeout after ClientConfig.Timeout without an answer. done
// runs on the client's delivery goroutine or its timeout sweeper and must
// not block. A request that cannot be published is not sent: SendAsync
// returns the error and done is not called.
func (c *Client) SendAsync(node string, s *Send, done func(error)) error {
	if err := checkNode(node); err != nil {
		return err
	}
	if !c.nc.IsConnected() {
		return ErrUnavailable
	}
	data, err := msgpack.Marshal(s)
	if err != nil {
		return err
	}
	id, reply, err := c.async.add(c, done)
	if err != nil {
		return err
	}
	err = c.nc.PublishRequest(subject(c.cfg.SubjectPrefix, node, OpSend), reply, data)
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
func (a *asyncSends) add(c *Client, done func(error)) (uint64, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return 0, "", ErrUnavailable
	}
	if a.sub == nil {
		a.prefix = c.nc.NewInbox()
		sub, err := c.nc.Subscribe(a.prefix+".*", a.answer)
		if err != nil {
			return 0, "", errors.Join(ErrUnavailable, err)
		}
		a.sub = sub
		a.pending = make(map[uint64]asyncSend)
		a.stop = make(chan struct{})
		go a.sweep(c.cfg.Timeout)
	}
	a.next++
	id := a.next
	a.pending[id] = asyncSend{done: done, deadline: time.Now().Add(c.cfg.Timeout)}
	return id, a.prefix + "." + strconv.FormatUint(id, 10), nil
}

// take removes request id and returns its done function, or nil if it
// was answered or timed out already.
func (a *asyncSends) take(id uint64) func(error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.pending[id]
	if !ok {
		return nil
	}
	delete(a.pending, id)
	return p.done
}

// answer is the inbox subscription's handler.
func (a *asyncSends) answer(m *nats.Msg) {
	id, err := strconv.ParseUint(m.Subject[len(a.prefix)+1:], 10, 64)
	if err != nil {
		return
	}
	done := a.take(id)
	if done == nil {
		return // timed out already
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == noRespondersStatus {
		done(ErrNoResponder)
		return
	}
	var r Reply
	if err := codec.UnmarshalData(m.Data, &r); err != nil || len(m.Data) == 0 {
		done(ErrBadReply)
		return
	}
	done(r.Err())
}

// sweep answers ErrTimeout to the requests past their deadline, checking
// every tenth of the timeout, until close.
func (a *asyncSends) sweep(timeout time.Duration) {
	t := time.NewTicker(max(timeout/10, time.Millisecond))
	defer t.Stop()
	var late []func(error)
	for {
		select {
		case <-a.stop:
			return
		case now := <-t.C:
			a.mu.Lock()
			for id, p := range a.pending {
				if now.After(p.deadline) {
					late = append(late, p.done)
					delete(a.pending, id)
				}
			}
			a.mu.Unlock()
			for i, done := range late {
				done(ErrTimeout)
				late[i] = nil
			}
			late = late[:0]
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
