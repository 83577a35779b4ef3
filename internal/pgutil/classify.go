package pgutil

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unavailable reports whether err means that the database could not be
// reached or could not answer: a connection that failed to open, broke
// (EOF, reset, closed) or timed out, and the server's own connection,
// shutdown and resource errors (classes 08, 53, 57P; a read-only standby,
// 25006; a session the server ended because its transaction stood idle
// or ran too long, 25P03 and 25P04: the pool's
// idle_in_transaction_session_timeout ends the transactions of a process
// that was stopped, whose write then finds its connection gone and its
// transaction rolled back). Any other error, such as a value the driver
// cannot encode or an error in a statement, is not.
func Unavailable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		c := pgErr.Code
		return strings.HasPrefix(c, "08") || strings.HasPrefix(c, "53") ||
			strings.HasPrefix(c, "57P") || c == "25006" || c == "25P03" || c == "25P04"
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// ConnLost reports whether err means that a connection died or the
// server went away, so that the pool's other connections are likely dead
// too: anything Unavailable but an error reported by the server, and the
// server's connection and shutdown errors (classes 08 and 57P).
func ConnLost(err error) bool {
	if !Unavailable(err) {
		return false
	}
	var pgErr *pgconn.PgError
	return !errors.As(err, &pgErr) || strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
}

// UniqueViolation reports whether err is a unique violation of the index
// or constraint named.
func UniqueViolation(err error, name string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == name
}
