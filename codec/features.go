package codec

// Feature bits a client sets in its connect frame (Frame.Features) to
// say what it supports beyond the base protocol. A server uses a
// behaviour only with a client that announced it; a client that sets a
// bit still works with a server that ignores it.
const (
	// FeatureRoomMoves: the client rejoins a room in place when it gets
	// a left frame with reason LeftMoved, on the same connection, from
	// the room's epoch and the last seq it saw, and sends again the
	// requests to that room it had not had answered. Without it, a
	// cluster node closes the connection with 1012 when one of its rooms
	// moves to another node, and the client resumes every room.
	FeatureRoomMoves uint64 = 1 << 0
)

// LeftMoved is the reason of a left frame that says the room moved to
// another node of a cluster (its owner stopped, died or lost it): the
// connection is out of the room but may join it again at once, with the
// room's epoch and the last seq it saw, to get what it missed. Sent only
// to clients that set FeatureRoomMoves.
const LeftMoved = "moved"
