package engine

import (
	"context"
	"errors"
	"time"

	"github.com/parlorhq/parlor/room"
)

// Room ownership on a cluster node: a room runs here only while this node
// holds its lease. The lease is taken before the room is created, released
// once the room has stopped (after OnDispose, its last write), and when it
// is lost the room is stopped at once.

// DefaultClusterIdleTTL is how long a room with no members lives on a
// cluster node when Config.Room.IdleTTL is zero; one node keeps
// room.DefaultIdleTTL (30s). On a cluster an empty room is not free: its
// lease is renewed, one replicated write in the lease bucket every third
// of the lease TTL, and a node that ends a few hundred matches a second
// otherwise keeps thousands of finished, empty match rooms renewed for
// their 30s. A room stopped here is rebuilt from its store on the next
// join, on any node, with the same epoch and seqs. Games still keep an
// empty match room for their seats' grace period, and the user channels
// keep room.DefaultIdleTTL, since their notifications live only in the
// running room's replay buffer.
const DefaultClusterIdleTTL = time.Second

// shortenIdleTTL applies DefaultClusterIdleTTL to the rooms when the host
// left Config.Room.IdleTTL at zero, keeping the user channels' TTL.
func (e *Engine) shortenIdleTTL() {
	if e.cfg.Room.IdleTTL != 0 {
		return
	}
	e.cfg.Room.IdleTTL = DefaultClusterIdleTTL
	e.keepUserTTL = true
}

// leasedRoom is a running room and the lease it runs under.
type leasedRoom struct {
	r     *room.Room
	lease RoomLease
}

// clusterRoom returns the room with id running on this node, creating it
// under a new lease when the room is free. When another node owns the
// room it returns that node's name instead. existing says the room is
// expected to run somewhere (Cluster.Acquire).
func (e *Engine) clusterRoom(ctx context.Context, id, kind string, m room.Module, user string, existing bool) (*room.Room, string, error) {
	if r, ok := e.rooms.load(id); ok {
		return r, "", nil
	}
	if e.shutting.Load() {
		return nil, "", ErrShutdown
	}
	lease, err := e.cluster.Acquire(ctx, id, existing)
	var owned *OwnedError
	if errors.As(err, &owned) {
		if owned.Owner == "" || owned.Owner == e.cluster.Node() {
			return nil, "", ErrNotOwner // not readable yet: look again
		}
		return nil, owned.Owner, nil
	}
	if err != nil {
		return nil, "", err
	}
	r, err := e.roomFor(id, kind, m, user)
	if err != nil {
		if _, running := e.rooms.load(id); !running {
			lease.Release()
		}
		return nil, "", err
	}
	e.bindLease(r, lease)
	return r, "", nil
}

// bindLease ties r's lifetime to lease: a lost lease stops the room, and
// the room's exit releases the lease (releaseLease).
func (e *Engine) bindLease(r *room.Room, lease RoomLease) {
	id := r.ID()
	fresh := false
	e.leases.update(id, func(m map[string]leasedRoom) {
		if lr, ok := m[id]; ok && lr.r == r {
			return
		}
		m[id] = leasedRoom{r: r, lease: lease}
		fresh = true
	})
	if !fresh {
		return
	}
	select {
	case <-r.Done():
		// It stopped before the binding: its exit found no lease.
		e.releaseLease(r)
		return
	default:
	}
	if cur, ok := e.rooms.load(id); !ok || cur != r {
		// Its exit is under way (a room whose creation failed exits at
		// once): forgetRoom took it out of the rooms, then gave up
		// whatever lease it found, before this binding, and its done
		// channel closes only after that.
		e.releaseLease(r)
		return
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		select {
		case <-lease.Done():
			// Lost: another node may run the room now. Members leave
			// with LeaveShutdown and their sessions are closed with
			// CloseRoomMoved (see session.RoomLeft).
			r.Shutdown()
		case <-r.Done():
		}
	}()
}

// roomIdle tells the lease of the room id, running here, whether the
// room is idle (no members: it stops after its idle TTL unless somebody
// joins): an idle room's lease is renewed only when it is about to
// expire, so that a room that stops within its idle TTL (a finished
// match, a conversation everybody left) lets its lease lapse without the
// renewal its idle time would otherwise cost. The cluster fanout calls it
// from the room's goroutine as the room's last member leaves and as a
// member joins an empty room.
func (e *Engine) roomIdle(id string, idle bool) {
	if lr, ok := e.leases.load(id); ok {
		lr.lease.Idle(idle)
	}
}

// releaseLease gives up the lease r ran under. It runs on the room's exit,
// after OnDispose, so that the next owner reads everything r stored. While
// the engine runs, the lease lapses rather than being deleted: a room stops
// here when it was idle (or lost its lease, or its store moved under it),
// and most idle rooms, finished matches among them, never run again; the
// next join here takes the room back with one renewal, and a join on
// another node asks this node to hand the room over (Cluster.Handover). A
// shutting engine releases each lease at once.
func (e *Engine) releaseLease(r *room.Room) {
	id := r.ID()
	var lease RoomLease
	e.leases.update(id, func(m map[string]leasedRoom) {
		if lr, ok := m[id]; ok && lr.r == r {
			lease = lr.lease
			delete(m, id)
		}
	})
	switch {
	case lease == nil:
	case e.shutting.Load():
		lease.Release()
	default:
		lease.Lapse()
	}
}
