package engine

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// hub implements room.Fanout on top of a Broker: it publishes each
// broadcast once on the room's topic, and keeps, per room, the sessions of
// this node attached to it together with one broker subscription.
type hub struct {
	broker Broker
	log    *zap.Logger
	rooms  *shardedMap[*localRoom]
}

// localRoom is the set of this node's sessions in one room. Delivery reads
// the set without locking; attach and detach replace it.
type localRoom struct {
	mu          sync.Mutex
	sessions    atomic.Pointer[[]room.Session]
	unsubscribe func()
}

func newHub(b Broker, log *zap.Logger) *hub {
	return &hub{broker: b, log: log, rooms: newShardedMap[*localRoom]()}
}

// directRoomMax is the most sessions a room may have on this node for its
// broadcasts to be written by the broadcasting goroutine itself, to each
// connection whose outbox is idle and whose socket has room (a DM's two
// members: no writer goroutine is woken). A larger room's fan-out goes
// to writers, which batch under load and write in parallel.
const directRoomMax = 4

func (lr *localRoom) deliver(frames []byte) {
	p := lr.sessions.Load()
	if p == nil {
		return
	}
	if len(*p) > directRoomMax {
		for _, s := range *p {
			s.Deliver(frames)
		}
		return
	}
	for _, s := range *p {
		if ls, ok := s.(*session); ok {
			ls.deliverDirect(frames)
		} else {
			s.Deliver(frames)
		}
	}
}

// Attach adds s to roomID's local set, subscribing on first use.
func (h *hub) Attach(roomID string, s room.Session) {
	var lr *localRoom
	h.rooms.update(roomID, func(m map[string]*localRoom) {
		lr = m[roomID]
		if lr == nil {
			lr = &localRoom{}
			unsub, err := h.broker.Subscribe(roomID, lr.deliver)
			if err != nil {
				h.log.Error("broker subscribe", zap.String("room", roomID), zap.Error(err))
				return
			}
			lr.unsubscribe = unsub
			m[roomID] = lr
		}
		lr.mu.Lock()
		var next []room.Session
		if p := lr.sessions.Load(); p != nil {
			next = slices.Clone(*p)
		}
		next = append(next, s)
		lr.sessions.Store(&next)
		lr.mu.Unlock()
	})
}

// Detach removes s from roomID's local set, unsubscribing when it empties.
func (h *hub) Detach(roomID string, s room.Session) {
	h.rooms.update(roomID, func(m map[string]*localRoom) {
		lr := m[roomID]
		if lr == nil {
			return
		}
		lr.mu.Lock()
		defer lr.mu.Unlock()
		p := lr.sessions.Load()
		if p == nil {
			return
		}
		i := slices.Index(*p, s)
		if i < 0 {
			return
		}
		next := slices.Delete(slices.Clone(*p), i, i+1)
		if len(next) == 0 {
			lr.sessions.Store(nil)
			lr.unsubscribe()
			delete(m, roomID)
			return
		}
		lr.sessions.Store(&next)
	})
}

// Publish sends frames to every session in roomID, through the broker.
func (h *hub) Publish(roomID string, frames []byte) {
	if err := h.broker.Publish(roomID, frames); err != nil {
		h.log.Warn("broker publish", zap.String("room", roomID), zap.Error(err))
	}
}
