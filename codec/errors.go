package codec

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code carried in reply and error
// frames. Clients branch on codes; messages are for people.
type Code string

// Error codes of protocol parlor.v1. Modules may define their own codes
// (for example "not_your_turn"); these are the ones the engine uses.
const (
	// CodeBadRequest: the frame or its payload is malformed or invalid.
	CodeBadRequest Code = "bad_request"
	// CodeUnauthorized: the session is not authenticated.
	CodeUnauthorized Code = "unauthorized"
	// CodeForbidden: the user may not do this, for example send to a room
	// they have not joined.
	CodeForbidden Code = "forbidden"
	// CodeNotFound: the module kind, room or item does not exist.
	CodeNotFound Code = "not_found"
	// CodeConflict: the request conflicts with the current state.
	CodeConflict Code = "conflict"
	// CodeRateLimited: too many requests; slow down and retry later.
	CodeRateLimited Code = "rate_limited"
	// CodeTooLarge: a frame, field or payload exceeds a limit.
	CodeTooLarge Code = "too_large"
	// CodeTooMany: a count limit was reached, such as rooms per connection.
	CodeTooMany Code = "too_many"
	// CodeLimitExceeded: a per-user limit on what one user may create,
	// keep or store was reached, such as groups created, open challenges
	// or chat bytes written per day. Unlike CodeTooMany it follows the
	// user across connections; the message names the limit.
	CodeLimitExceeded Code = "limit_exceeded"
	// CodeUnavailable: the room or server cannot take the request now, for
	// example while shutting down or when a room's mailbox is full.
	CodeUnavailable Code = "unavailable"
	// CodeInternal: the server failed; the request may not have applied.
	CodeInternal Code = "internal"
)

// Error is the typed error clients see: a stable code and a message.
// Handlers return it to reject a request; any other error reaches the
// client as CodeInternal with a generic message.
type Error struct {
	Code    Code
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Is reports whether e matches target beyond identity, which errors.Is
// checks first. A sentinel is only itself: two errors with one code but
// different messages never match. A target that carries a code and no
// message matches every error with that code, so that
// errors.Is(err, &codec.Error{Code: codec.CodeForbidden}) asks "is this
// any forbidden error?".
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError converts err to the *Error a client should see. Typed errors keep
// their code and message; anything else becomes CodeInternal without
// leaking its text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: "internal error"}
}

// Validation and decoding errors. They all map to CodeBadRequest or
// CodeTooLarge through [AsError]-style handling in the engine.
var (
	// ErrTruncated: the input ends inside a value.
	ErrTruncated = &Error{Code: CodeBadRequest, Message: "codec: truncated msgpack value"}
	// ErrInvalidByte: the input holds the never-used byte 0xc1.
	ErrInvalidByte = &Error{Code: CodeBadRequest, Message: "codec: invalid msgpack byte"}
	// ErrTooDeep: containers are nested deeper than allowed.
	ErrTooDeep = &Error{Code: CodeTooLarge, Message: "codec: nesting too deep"}
	// ErrCountTooLarge: a length or element count exceeds the bytes left.
	ErrCountTooLarge = &Error{Code: CodeBadRequest, Message: "codec: length exceeds input"}
	// ErrTrailingBytes: bytes remain after the last complete value.
	ErrTrailingBytes = &Error{Code: CodeBadRequest, Message: "codec: trailing bytes"}
	// ErrTooManyFrames: a message batches more frames than allowed.
	ErrTooManyFrames = &Error{Code: CodeTooLarge, Message: "codec: too many frames in one message"}
	// ErrEmpty: the message holds no frame.
	ErrEmpty = &Error{Code: CodeBadRequest, Message: "codec: empty message"}
	// ErrNotFrame: a value is not a frame array starting with a known type.
	ErrNotFrame = &Error{Code: CodeBadRequest, Message: "codec: not a frame"}
	// ErrFieldType: a frame field has the wrong msgpack type.
	ErrFieldType = &Error{Code: CodeBadRequest, Message: "codec: wrong field type"}
	// ErrFieldTooLong: a frame's string field exceeds its limit.
	ErrFieldTooLong = &Error{Code: CodeTooLarge, Message: "codec: field too long"}

	// errExt: a payload passed to UnmarshalData holds an ext value.
	errExt = &Error{Code: CodeBadRequest, Message: "codec: msgpack ext values are not allowed in payloads"}
)
