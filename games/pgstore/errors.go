package pgstore

import "github.com/parlorhq/parlor/codec"

// Errors the store returns besides the games.Store ones. They are
// *codec.Error values, so that a caller that reports them to clients
// keeps their codes.
var (
	// ErrUnavailable: the database could not be reached, or did not
	// answer within Options.Timeout. The write was not stored, or was
	// stored and is found by Load: a match room that gets it closes, and
	// is rebuilt from what the store holds. The returned error wraps
	// ErrUnavailable and the cause.
	ErrUnavailable = &codec.Error{Code: codec.CodeUnavailable, Message: "pgstore: database unavailable, try again"}
	// ErrUnstorable: a write holds a value PostgreSQL cannot store: an id,
	// name or key with a NUL byte or invalid UTF-8 (text columns), or a
	// seq above 2^63-1 (bigint columns). Nothing is stored. (Moves, event
	// data and client message ids are stored as bytes: any value goes.)
	ErrUnstorable = &codec.Error{Code: codec.CodeBadRequest, Message: "pgstore: a NUL byte, invalid UTF-8 or a number too large to store"}
)
