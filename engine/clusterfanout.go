package engine

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parlorhq/parlor/room"
	"go.uber.org/zap"
)

// clusterFanout is the rooms' room.Fanout on a cluster node. A room runs
// only on its owner, so its broadcasts reach this node's sessions directly,
// in the same call as the room's unicast frames, and reach the other nodes
// through one publish on the room's topic, made only while some member
// sits on another node. Remote sessions (*remoteSession) are not attached
// here: attaching one publishes an envAttach envelope, and the member's
// node delivers the broadcasts to it from then on.
type clusterFanout struct {
	broker Broker
	log    *zap.Logger
	rooms  *shardedMap[*ownedRoom]
}

// ownedRoom is who gets one owned room's broadcasts: the sessions of this
// node, read without locking, and a count of the remote ones.
type ownedRoom struct {
	mu     sync.Mutex
	local  atomic.Pointer[[]room.Session]
	remote atomic.Int32
}

func newClusterFanout(b Broker, log *zap.Logger) *clusterFanout {
	return &clusterFanout{broker: b, log: log, rooms: newShardedMap[*ownedRoom]()}
}

// Attach implements room.Fanout.
func (f *clusterFanout) Attach(roomID string, s room.Session) {
	f.rooms.update(roomID, func(m map[string]*ownedRoom) {
		or := m[roomID]
		if or == nil {
			or = &ownedRoom{}
			m[roomID] = or
		}
		if rs, ok := s.(*remoteSession); ok {
			or.remote.Add(1)
			rs.publish(envAttach, nil)
			return
		}
		or.mu.Lock()
		var next []room.Session
		if p := or.local.Load(); p != nil {
			next = slices.Clone(*p)
		}
		next = append(next, s)
		or.local.Store(&next)
		or.mu.Unlock()
	})
}

// Detach implements room.Fanout. A remote session's envLeft envelope
// follows from its RoomLeft.
func (f *clusterFanout) Detach(roomID string, s room.Session) {
	f.rooms.update(roomID, func(m map[string]*ownedRoom) {
		or := m[roomID]
		if or == nil {
			return
		}
		if _, ok := s.(*remoteSession); ok {
			or.remote.Add(-1)
		} else {
			or.mu.Lock()
			if p := or.local.Load(); p != nil {
				if i := slices.Index(*p, s); i >= 0 {
					next := slices.Delete(slices.Clone(*p), i, i+1)
					or.local.Store(&next)
				}
			}
			or.mu.Unlock()
		}
		if p := or.local.Load(); (p == nil || len(*p) == 0) && or.remote.Load() <= 0 {
			delete(m, roomID)
		}
	})
}

// Publish implements room.Fanout.
func (f *clusterFanout) Publish(roomID string, frames []byte) {
	or, ok := f.rooms.load(roomID)
	if !ok {
		return
	}
	if p := or.local.Load(); p != nil {
		for _, s := range *p {
			s.Deliver(frames)
		}
	}
	if or.remote.Load() > 0 {
		if err := f.broker.Publish(roomID, frames); err != nil {
			f.log.Warn("cluster publish", zap.String("room", roomID), zap.Error(err))
		}
	}
}
