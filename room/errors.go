package room

import "github.com/parlorhq/parlor/codec"

// Sentinel errors returned by room operations. They are *codec.Error
// values, so they reach clients with a stable code.
var (
	// ErrClosed: the room has shut down or been disposed; the engine
	// retries a join on a fresh room.
	ErrClosed = &codec.Error{Code: codec.CodeUnavailable, Message: "room: closed"}
	// ErrBusy: the room's mailbox is full.
	ErrBusy = &codec.Error{Code: codec.CodeUnavailable, Message: "room: busy"}
	// ErrNotMember: the sender has not joined the room.
	ErrNotMember = &codec.Error{Code: codec.CodeForbidden, Message: "room: not a member"}
	// ErrUnknownEvent: the handler does not know the event.
	ErrUnknownEvent = &codec.Error{Code: codec.CodeBadRequest, Message: "room: unknown event"}
	// ErrPanic: the handler panicked while handling the request.
	ErrPanic = &codec.Error{Code: codec.CodeInternal, Message: "room: internal error"}
)
