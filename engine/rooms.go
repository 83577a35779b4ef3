package engine

import "github.com/parlorhq/parlor/room"

// The room registry: the running rooms of this engine by id, and who
// created each. A room counts against the user whose join created it until
// it stops, so that joining and leaving many rooms cannot keep more than
// Config.MaxRoomsPerUser empty rooms alive for one user.

// roomFor returns the running room with id, creating and starting it with
// the module's handler if there is none. A room created here counts
// against user; past Config.MaxRoomsPerUser it is not created and roomFor
// returns ErrRoomLimit.
func (e *Engine) roomFor(id, kind string, m room.Module, user string) (r *room.Room, err error) {
	e.rooms.update(id, func(rooms map[string]*room.Room) {
		if r = rooms[id]; r != nil {
			return
		}
		if e.shutting.Load() {
			err = ErrShutdown
			return
		}
		if !e.takeRoomSlot(user) {
			err = ErrRoomLimit
			return
		}
		h, herr := newHandler(m, id)
		if herr != nil {
			e.releaseRoomSlot(user)
			err = herr
			return
		}
		rcfg := e.cfg.Room
		rcfg.Fanout = e.fanout
		rcfg.Logger = e.log
		rcfg.OnExit = e.forgetRoom
		rcfg.Go = e.goRoom
		r = room.New(id, kind, h, rcfg)
		rooms[id] = r
		if e.obs != nil {
			e.obs.RoomOpened(kind)
		}
		e.creators.update(id, func(c map[string]string) { c[id] = user })
		r.Start()
	})
	return r, err
}

// goRoom starts a room goroutine, at the room's start and each time the
// room comes back from parking, on the engine's wait group.
func (e *Engine) goRoom(f func()) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
}

// newHandler calls the module's constructor, turning a panic into an error.
func newHandler(m room.Module, id string) (h room.Handler, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = room.ErrPanic
		}
	}()
	h = m.NewHandler(id)
	if h == nil {
		return nil, room.ErrPanic
	}
	return h, nil
}

// forgetRoom drops a stopping room from the registry and gives its
// creator's slot back. It is the rooms' OnExit.
func (e *Engine) forgetRoom(r *room.Room) {
	id := r.ID()
	e.rooms.update(id, func(rooms map[string]*room.Room) {
		if rooms[id] != r {
			return
		}
		delete(rooms, id)
		if e.obs != nil {
			e.obs.RoomClosed(r.Kind())
		}
		var user string
		var ok bool
		e.creators.update(id, func(c map[string]string) {
			user, ok = c[id]
			delete(c, id)
		})
		if ok {
			e.releaseRoomSlot(user)
		}
	})
	if e.cluster != nil {
		e.releaseLease(r)
	}
}

// takeRoomSlot counts a new room for user, refusing past the limit.
func (e *Engine) takeRoomSlot(user string) bool {
	ok := false
	e.userRooms.update(user, func(m map[string]int) {
		if m[user] < e.cfg.MaxRoomsPerUser {
			m[user]++
			ok = true
		}
	})
	return ok
}

// releaseRoomSlot gives back a room slot of user.
func (e *Engine) releaseRoomSlot(user string) {
	e.userRooms.update(user, func(m map[string]int) {
		if m[user] <= 1 {
			delete(m, user)
		} else {
			m[user]--
		}
	})
}
