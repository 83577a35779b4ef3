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

// connMoveOne counts, in the bits of session.connFlags from 8 up, the
// moves of the session's rooms whose left frame is being queued
// (beginMove, endMove).
const connMoveOne uint32 = 1 << 8

// isConnected reports whether the session's connect frame was handled.
func (s *session) isConnected() bool { return s.connFlags.Load()&connFlagConnected != 0 }

// movesInPlace reports whether the client rejoins a moved room on the
// same connection (codec.FeatureRoomMoves).
func (s *session) movesInPlace() bool { return s.connFlags.Load()&connFlagRoomMoves != 0 }

// beginMove notes that a room of the session, which rejoins rooms in
// place, moved, and that its left frame is about to be queued: the
// membership is gone already. Until endMove, a send to a room the
// session is not in gets no answer (handleSend): it may be one of that
// room's, written before the client knew, and an answer queued ahead of
// the left frame would end it, where the client sends it again after its
// rejoin.
func (s *session) beginMove() { s.connFlags.Add(connMoveOne) }

// endMove undoes beginMove, once the left frame is queued (or the move
// stalled, or the session is closing).
func (s *session) endMove() { s.connFlags.Add(^(connMoveOne - 1)) }

// moveBeingTold reports whether a left frame of a move is being queued.
func (s *session) moveBeingTold() bool { return s.connFlags.Load() >= connMoveOne }
