package forward

import (
	"errors"

	"github.com/parlorhq/parlor/codec"
)

var (
	// ErrBadNode is returned for a node name that is not 1 to 128
	// characters of [0-9A-Za-z_-] starting with a letter, digit or '-'.
	ErrBadNode = errors.New("forward: bad node name")
	// ErrNoHandler is returned by Serve without a handler.
	ErrNoHandler = errors.New("forward: handler required")
	// ErrTimeout: the owner did not answer in time. The request may still
	// apply; a send retried with the same client message id applies once.
	ErrTimeout = &codec.Error{Code: codec.CodeUnavailable, Message: "forward: room owner did not answer in time, try again"}
	// ErrNoResponder: no node listens as the owner named; it died or
	// left. The caller looks the owner up again.
	ErrNoResponder = &codec.Error{Code: codec.CodeUnavailable, Message: "forward: room owner unreachable, try again"}
	// ErrUnavailable: NATS cannot carry the request now.
	ErrUnavailable = &codec.Error{Code: codec.CodeUnavailable, Message: "forward: cluster bus unavailable, try again"}
	// ErrTooLarge: the request is larger than NATS carries in one message.
	ErrTooLarge = &codec.Error{Code: codec.CodeTooLarge, Message: "forward: request over the nats max payload"}
	// ErrBadReply: the owner's answer could not be decoded.
	ErrBadReply = &codec.Error{Code: codec.CodeInternal, Message: "forward: malformed reply from the room owner"}
)
