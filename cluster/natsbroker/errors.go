package natsbroker

import "github.com/parlorhq/parlor/codec"

var (
	// ErrUnavailable is returned by Publish while the connection to NATS
	// is down or closed. Clients see it as codec.CodeUnavailable.
	ErrUnavailable = &codec.Error{Code: codec.CodeUnavailable, Message: "natsbroker: nats unavailable, try again"}
	// ErrTooLarge is returned by Publish for a payload over the NATS
	// server's max_payload.
	ErrTooLarge = &codec.Error{Code: codec.CodeTooLarge, Message: "natsbroker: payload over the nats max payload"}
)
