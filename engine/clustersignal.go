package engine

import (
	"context"
	"errors"

	"github.com/parlorhq/parlor/codec"
)

// Room signals: a small internal event for a room, delivered to whatever
// listens on the room's id on the node that runs the room, wherever the
// sender runs. Modules use them to reach a room that is not theirs to
// join, such as a member's inbox (chat.Config.Relay). On one node a signal
// is a function call; on a cluster it goes over Cluster.PostRoom, and the
// room's owner listens through Cluster.ListenRoom while the room runs
// there. The payload on the cluster is
//
//	len(event) | event | data

// Errors of the room signals.
var (
	// ErrSignalEvent: the event name is empty or longer than
	// codec.MaxNameLen.
	ErrSignalEvent = errors.New("engine: invalid signal event name")
	// ErrBadSignal: a signal from another node could not be read.
	ErrBadSignal = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: malformed room signal"}
)

// roomListener is what listens on a room id on this node.
type roomListener struct {
	fn    func(event string, data []byte, done func(error))
	unsub func() // the cluster subscription, nil on a single node
}

// Listen calls fn with each event Signal sends to roomID, from this node
// or from any other, until stop is called. A room's handler listens on
// its own id while it runs (from its first join or OnCreate until
// OnDispose), so that on a cluster the listener is on the room's owner.
// A later Listen on the same id takes over this node's deliveries; stop
// ends only its own. fn runs on the sender's goroutine or a delivery
// goroutine, never the room's, and must not block: it queues, or posts
// to the room with Room.Do from a goroutine of its own.
func (e *Engine) Listen(roomID string, fn func(event string, data []byte)) (stop func(), err error) {
	return e.listen(roomID, func(event string, data []byte, done func(error)) {
		fn(event, data)
		done(nil)
	})
}

// listen is Listen with an answer: fn calls done once with what an asker
// (askRoom) is told.
func (e *Engine) listen(roomID string, fn func(event string, data []byte, done func(error))) (func(), error) {
	l := &roomListener{fn: fn}
	if e.cluster != nil {
		unsub, err := e.cluster.ListenRoom(roomID, func(p []byte, done func(error)) {
			event, data, ok := decodeSignal(p)
			if !ok {
				done(ErrBadSignal)
				return
			}
			fn(event, data, done)
		})
		if err != nil {
			return nil, err
		}
		l.unsub = unsub
	}
	e.listeners.update(roomID, func(m map[string]*roomListener) { m[roomID] = l })
	return func() {
		e.listeners.update(roomID, func(m map[string]*roomListener) {
			if m[roomID] == l {
				delete(m, roomID)
			}
		})
		if l.unsub != nil {
			l.unsub()
		}
	}, nil
}

// Signal sends event and data to the listener of roomID (Listen). When it
// listens on this node, fn is called before Signal returns. On a cluster
// the signal is otherwise published to the node that runs the room,
// without waiting: nil means it was published, not that anybody listened.
// On a single node, ErrNoListener says that nobody listens. data is
// passed as it is; the listener validates it.
func (e *Engine) Signal(roomID, event string, data []byte) error {
	if event == "" || len(event) > codec.MaxNameLen {
		return ErrSignalEvent
	}
	if l, ok := e.listeners.load(roomID); ok {
		l.fn(event, data, func(error) {})
		return nil
	}
	if e.cluster == nil {
		return ErrNoListener
	}
	return e.cluster.PostRoom(roomID, encodeSignal(event, data))
}

// ListenAsk is Listen with an answer, for Ask: fn calls done exactly
// once, at once or later (from a goroutine of its own, for work on the
// room), with what the asker is told; a Signal's done does nothing.
func (e *Engine) ListenAsk(roomID string, fn func(event string, data []byte, done func(error))) (stop func(), err error) {
	return e.listen(roomID, fn)
}

// Ask sends event and data to the listener of roomID, as Signal does, and
// waits for its answer, at most until ctx ends. listened is false when
// nobody listens on roomID, on any node; otherwise err is the listener's
// answer (an error of another node's listener comes with its code and
// message), or ctx's error. Modules use it to have a room that runs
// elsewhere do something and say whether it did (chat's game notes).
func (e *Engine) Ask(ctx context.Context, roomID, event string, data []byte) (listened bool, err error) {
	if event == "" || len(event) > codec.MaxNameLen {
		return false, ErrSignalEvent
	}
	if l, ok := e.listeners.load(roomID); ok {
		answer := make(chan error, 1)
		l.fn(event, data, func(err error) {
			select {
			case answer <- err:
			default:
			}
		})
		select {
		case err := <-answer:
			return true, err
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
	if e.cluster == nil {
		return false, nil
	}
	err = e.cluster.AskRoom(ctx, roomID, encodeSignal(event, data))
	if errors.Is(err, ErrNoListener) || sameError(err, ErrNoListener) {
		return false, nil
	}
	return true, err
}

// encodeSignal lays a signal out for the cluster. event is at most
// codec.MaxNameLen bytes, so its length fits the first byte.
func encodeSignal(event string, data []byte) []byte {
	p := make([]byte, 0, 1+len(event)+len(data))
	p = append(p, byte(len(event)))
	p = append(p, event...)
	return append(p, data...)
}

// decodeSignal reads a signal of encodeSignal.
func decodeSignal(p []byte) (event string, data []byte, ok bool) {
	if len(p) < 2 || p[0] == 0 || int(p[0]) > codec.MaxNameLen || len(p) < 1+int(p[0]) {
		return "", nil, false
	}
	n := 1 + int(p[0])
	return string(p[1:n]), p[n:], true
}

// sameError reports whether err is want as another node answered it: the
// same code and message.
func sameError(err error, want *codec.Error) bool {
	var ce *codec.Error
	return errors.As(err, &ce) && ce.Code == want.Code && ce.Message == want.Message
}
