package pgstore

import "github.com/parlorhq/parlor/codec"

// Errors the store returns besides the chat.Store ones. They are
// *codec.Error values, so the chat module's clients see their codes.
var (
	// ErrUnavailable: the database could not be reached, or did not
	// answer within Options.Timeout. The write may not have been stored;
	// if it was, a resend with the same client message id finds it. The
	// returned error wraps ErrUnavailable and the cause.
	ErrUnavailable = &codec.Error{Code: codec.CodeUnavailable, Message: "pgstore: database unavailable, try again"}
	// ErrUnstorable: a write holds a value PostgreSQL cannot store: a
	// string with a NUL byte or invalid UTF-8 (text columns), or a seq
	// above 2^63-1 (bigint columns). Nothing is stored.
	ErrUnstorable = &codec.Error{Code: codec.CodeBadRequest, Message: "pgstore: a NUL byte, invalid UTF-8 or a number too large to store"}
)
