package pgutil

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestUnavailable: which errors mean the database could not answer, and
// which of those mean the connections are likely all dead.
func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name              string
		err               error
		unavailable, lost bool
	}{
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true, false},
		{"read-only standby", &pgconn.PgError{Code: "25006"}, true, false},
		{"idle in transaction timeout", &pgconn.PgError{Code: "25P03"}, true, false},
		{"transaction timeout", &pgconn.PgError{Code: "25P04"}, true, false},
		{"wrapped", fmt.Errorf("append: %w", &pgconn.PgError{Code: "25P03"}), true, false},
		{"unexpected EOF", io.ErrUnexpectedEOF, true, true},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false, false},
		{"syntax error", &pgconn.PgError{Code: "42601"}, false, false},
		{"other", errors.New("boom"), false, false},
	} {
		if got := Unavailable(tc.err); got != tc.unavailable {
			t.Errorf("%s: Unavailable %v, want %v", tc.name, got, tc.unavailable)
		}
		if got := ConnLost(tc.err); got != tc.lost {
			t.Errorf("%s: ConnLost %v, want %v", tc.name, got, tc.lost)
		}
	}
}
