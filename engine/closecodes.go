package engine

import (
	"errors"

	"github.com/lxzan/gws"
)

// WebSocket close codes the engine sends. docs/protocol.md lists them for
// client authors.
const (
	// CloseNormal: the session ended normally.
	CloseNormal uint16 = 1000
	// CloseGoingAway: the server is shutting down.
	CloseGoingAway uint16 = 1001
	// CloseUnsupported: the client sent a text message; parlor.v1 is binary.
	CloseUnsupported uint16 = 1003
	// CloseMalformed: a message was not valid parlor.v1 msgpack. An error
	// frame with the reason precedes it.
	CloseMalformed uint16 = 1007
	// ClosePolicy: the client broke the session rules (no connect frame in
	// time, or a request before connect).
	ClosePolicy uint16 = 1008
	// CloseTooLarge: a message exceeded Config.ReadLimit.
	CloseTooLarge uint16 = 1009
	// CloseInternal: the server failed.
	CloseInternal uint16 = 1011
	// CloseHeartbeatTimeout: the client answered no ping within
	// Config.HeartbeatTimeout.
	CloseHeartbeatTimeout uint16 = 4000
	// CloseSlowConsumer: the client's outbox exceeded Config.OutboxBytes.
	// It is best effort: a client too slow to read usually cannot read the
	// close frame either and sees the TCP connection end.
	CloseSlowConsumer uint16 = 4008
	// CloseReplaced: a newer connection of the same user presented this
	// connection's resume token, so this one was closed. Clients must not
	// reconnect after it.
	CloseReplaced uint16 = 4009
	// CloseEvicted: the user opened a new connection while at
	// Config.MaxConnsPerUser, and the connection policy closes the user's
	// oldest idle connection to make room. Clients must not reconnect after
	// it, or two tabs would evict each other in turn.
	CloseEvicted uint16 = 4010
	// CloseSignedOut: the host signed the user out, or revoked the
	// credential the connection was opened with, and closed the connection
	// (Engine.DisconnectUser, Engine.DisconnectCredential). Clients must
	// not reconnect after it: the credential no longer works.
	CloseSignedOut uint16 = 4011
	// CloseRateLimited: the client kept sending past its rate limit.
	CloseRateLimited uint16 = 4029
)

// closeAbnormal is the close code of a connection that ended without a
// close frame. It is never sent.
const closeAbnormal uint16 = 1006

// closeCode is the close code a closed session ended with, for
// Config.Observer: the first one the server sent, or else the client's,
// found in cause, the error that ended the read loop, or else 1006.
func (s *session) closeCode(cause error) uint16 {
	if c := s.closeSent.Load(); c != 0 {
		return uint16(c)
	}
	var ce *gws.CloseError
	if errors.As(cause, &ce) && ce.Code != 0 {
		return ce.Code
	}
	return closeAbnormal
}
