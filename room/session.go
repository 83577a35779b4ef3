package room

// Session is one client connection as a room sees it. The engine implements
// it. A user may have several sessions (tabs, devices) in the same room.
// The room tells sessions apart by ID: a join through another value with
// the ID of a member keeps that membership and gives it to the new value
// (RoomJoined, the Fanout attaches it and detaches the old one, which is
// not told), and a leave or disconnect names the membership by its ID.
type Session interface {
	// ID is the session's unique id.
	ID() string
	// UserID is the authenticated user behind the session.
	UserID() string
	// Deliver queues encoded frames for the client. It never blocks; it
	// returns false when the session is closed or was just closed for
	// falling behind.
	Deliver(frames []byte) bool
	// RoomJoined tells the session it is now in r. The room calls it on
	// its goroutine before the joined frame is delivered.
	RoomJoined(r *Room)
	// RoomLeft tells the session it is no longer in r, for whatever reason.
	RoomLeft(r *Room, reason LeaveReason)
}

// Fanout carries a room's encoded broadcasts to every session attached to
// the room, on this node or, through a broker, on others. The engine
// implements it.
type Fanout interface {
	// Attach starts delivering roomID's broadcasts to s.
	Attach(roomID string, s Session)
	// Detach stops delivering roomID's broadcasts to s.
	Detach(roomID string, s Session)
	// Publish delivers frames to every session attached to roomID. The
	// slice is shared by all recipients and must not be modified.
	Publish(roomID string, frames []byte)
}
