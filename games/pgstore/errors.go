package pgstore

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parlorhq/parlor/codec"
)

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

// unavailable reports whether err means that the database could not be
// reached or could not answer: a connection that failed to open, broke
// (EOF, reset, closed) or timed out, and the server's own connection,
// shutdown and resource errors (classes 08, 53, 57P; a read-only standby,
// 25006). Any other error, such as a value the driver cannot encode or
// an error in a statement, is not.
func unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") ||
			strings.HasPrefix(c, "57P") || c == "25006"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// connLost reports whether err means that a connection died or the
// server went away, so that the pool's other connections are likely dead
// too: anything but an error reported by the server, and the server's
// connection and shutdown errors (classes 08 and 57P).
func connLost(err error) bool {
	if !unavailable(err) {
		return false
	}
	var pgErr *pgconn.PgError
	return !errors.As(err, &pgErr) || strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
}

// storable reports whether PostgreSQL can store s as text: valid UTF-8
// without NUL bytes.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// allStorable reports whether every string of list is storable.
func allStorable(list []string) bool {
	for _, s := range list {
		if !storable(s) {
			return false
		}
	}
	return true
}
