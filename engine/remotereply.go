package engine

import (
	"sync"
	"time"

	"github.com/parlorhq/parlor/codec"
)

// A forwarded send the owner takes is answered once, by the client's
// reply framed on the room's topic; the owner answers the forwarding
// request itself only when it refuses the send (not the owner, the room
// busy), and NATS answers it "no responders" when the owner is gone. If
// NATS drops the framed reply (the connection to it lost in between), or
// the owner never answers (paused), nothing else would ever answer the
// client. So the member's node notes each send it forwards and, if
// neither the framed reply nor a refusal has come back within
// remoteReplyTimeout, answers the client ErrNoRemoteReply itself. A send
// retried with the same client message id is applied once, whether or
// not the first one was.

// remoteReplyTimeout bounds the wait for the framed reply to a forwarded
// send, counted from when it was forwarded. It matches the forwarding
// timeout's default (cluster.NodeConfig.ForwardTimeout).
const remoteReplyTimeout = 2 * time.Second

// Config.MaxForwardedSends bounds the forwarded sends of one session to
// one remote room that await their reply. A member's node forwards a send
// without waiting for the owner, so without it a connection whose rate
// limit is off could pile up requests toward an owner that does not
// answer (paused) for remoteReplyTimeout. The default rate limit
// (Config.RateLimit, 50 a second with a burst of 100) stays below it.

// ErrRemoteBusy: the session has Config.MaxForwardedSends sends to the room
// awaiting the owner's reply. The send was not forwarded; send again once
// replies come.
var ErrRemoteBusy = &codec.Error{Code: codec.CodeRateLimited, Message: "engine: too many sends awaiting the room's owner, slow down"}

// ErrNoRemoteReply: neither the reply to a forwarded send nor a refusal
// reached this node in time (NATS lost it, or the owner stopped or
// paused). The send may have been applied; retry it with the same client
// message id.
var ErrNoRemoteReply = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: no answer from the room's owner, try again"}

// remoteReplies are the refs of one session's forwarded sends to one
// remote room that await their framed reply, with when each is due.
type remoteReplies struct {
	mu    sync.Mutex
	due   map[uint64]time.Time
	timer *time.Timer // made once, on the first send
	armed bool
}

// await notes that the reply to ref is due within remoteReplyTimeout. It
// runs before the send is forwarded, so that a reply arriving before the
// forwarding reply finds it. It reports false, noting nothing, when
// limit replies are due already.
func (p *remoteReplies) await(s *session, ref uint64, limit int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.due == nil {
		p.due = make(map[uint64]time.Time)
	}
	if len(p.due) >= limit {
		return false
	}
	p.due[ref] = time.Now().Add(remoteReplyTimeout)
	switch {
	case p.timer == nil:
		p.timer = time.AfterFunc(remoteReplyTimeout, func() { p.expire(s) })
	case !p.armed:
		p.timer.Reset(remoteReplyTimeout)
	}
	p.armed = true
	return true
}

// done forgets ref: its reply came.
func (p *remoteReplies) done(ref uint64) { p.take(ref) }

// take forgets ref and reports whether it was awaited: false when its
// reply came or it expired, and the client was answered already.
func (p *remoteReplies) take(ref uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.due[ref]
	delete(p.due, ref)
	return ok
}

// answered forgets the ref of frame if it is a reply (codec.AppendReply).
func (p *remoteReplies) answered(frame []byte) {
	if len(frame) < 3 || frame[0] != 0x95 || frame[1] != byte(codec.TypeReply) {
		return
	}
	if ref, _, ok := readUint(frame, 2); ok {
		p.done(ref)
	}
}

// expire answers the sends whose reply is overdue and sets the timer for
// the next one.
func (p *remoteReplies) expire(s *session) {
	now := time.Now()
	var overdue []uint64
	p.mu.Lock()
	var next time.Time
	for ref, due := range p.due {
		if !now.Before(due) {
			overdue = append(overdue, ref)
			delete(p.due, ref)
		} else if next.IsZero() || due.Before(next) {
			next = due
		}
	}
	p.armed = !next.IsZero()
	if p.armed {
		p.timer.Reset(next.Sub(now))
	}
	p.mu.Unlock()
	for _, ref := range overdue {
		s.reply(ref, ErrNoRemoteReply)
	}
}
