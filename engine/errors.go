package engine

import (
	"errors"

	"github.com/parlorhq/parlor/codec"
)

// ErrForbidden may be wrapped by Config.Authenticate to refuse a
// connection with 403 instead of 401.
var ErrForbidden = errors.New("engine: forbidden")

// Errors clients see, in reply and error frames. They are *codec.Error
// values with stable codes; each is only itself under errors.Is.
var (
	// ErrConnectFirst: a frame other than connect arrived first. The
	// connection closes with 1008.
	ErrConnectFirst = &codec.Error{Code: codec.CodeUnauthorized, Message: "engine: connect frame required first"}
	// ErrConnectTimeout: no connect frame arrived within
	// Config.HandshakeTimeout. The connection closes with 1008.
	ErrConnectTimeout = &codec.Error{Code: codec.CodeUnauthorized, Message: "engine: no connect frame in time"}
	// ErrDupConnect: a second connect frame on one connection.
	ErrDupConnect = &codec.Error{Code: codec.CodeConflict, Message: "engine: already connected"}
	// ErrServerFrame: the client sent a frame type only servers send. The
	// connection closes with 1007.
	ErrServerFrame = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: frame type not accepted from clients"}
	// ErrTextMessage: the client sent a text message. The connection
	// closes with 1003.
	ErrTextMessage = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: binary messages only"}
	// ErrNotJoined: a send or leave names a room this connection is not
	// in.
	ErrNotJoined = &codec.Error{Code: codec.CodeForbidden, Message: "engine: not joined to that room"}
	// ErrNoEvent: a send without an event name.
	ErrNoEvent = &codec.Error{Code: codec.CodeBadRequest, Message: "engine: event name required"}
	// ErrUnknownKind: a join names a module kind that is not registered.
	ErrUnknownKind = &codec.Error{Code: codec.CodeNotFound, Message: "engine: unknown room kind"}
	// ErrWrongKind: the room a join resolved to runs another module.
	ErrWrongKind = &codec.Error{Code: codec.CodeNotFound, Message: "engine: no such room of that kind"}
	// ErrTooManyRooms: the connection is in Config.MaxRoomsPerConn rooms.
	ErrTooManyRooms = &codec.Error{Code: codec.CodeTooMany, Message: "engine: too many rooms on this connection"}
	// ErrRoomLimit: the join would create a room while the user's joins
	// already created Config.MaxRoomsPerUser rooms that are still running.
	ErrRoomLimit = &codec.Error{Code: codec.CodeLimitExceeded, Message: "engine: too many rooms created by this user (MaxRoomsPerUser)"}
	// ErrRateLimited: the connection sent past Config.RateLimit.
	ErrRateLimited = &codec.Error{Code: codec.CodeRateLimited, Message: "engine: rate limit exceeded"}
	// ErrJoinTimeout: a join did not finish within Config.JoinTimeout.
	ErrJoinTimeout = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: join timed out"}
	// ErrLeaveTimeout: a leave did not finish within Config.JoinTimeout.
	ErrLeaveTimeout = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: leave timed out"}
	// ErrShutdown: the engine is shutting down.
	ErrShutdown = &codec.Error{Code: codec.CodeUnavailable, Message: "engine: server shutting down"}
)

// errIsPolicy reports errors that close with 1008 rather than 1007.
func errIsPolicy(err error) bool { return errors.Is(err, ErrConnectFirst) }
