package engine

// The bits of session.connFlags.
const (
	// connFlagConnected: the connect frame was handled.
	connFlagConnected uint32 = 1 << iota
	// connFlagRoomMoves: the client announced codec.FeatureRoomMoves, so
	// a room of it that moves to another node is left with reason
	// codec.LeftMoved instead of closing the connection (roomMoved).
	connFlagRoomMoves
)

// isConnected reports whether the session's connect frame was handled.
func (s *session) isConnected() bool { return s.connFlags.Load()&connFlagConnected != 0 }

// movesInPlace reports whether the client rejoins a moved room on the
// same connection (codec.FeatureRoomMoves).
func (s *session) movesInPlace() bool { return s.connFlags.Load()&connFlagRoomMoves != 0 }
