package pgutil

import (
	"context"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestPoolIdleInTransactionTimeout: the pool's sessions end a transaction
// left idle for idleInTransactionTimeout, so that a stopped process does
// not hold its locks, unless the DSN chose another value.
func TestPoolIdleInTransactionTimeout(t *testing.T) {
	schema := pgtest.NewSchema(t)
	for _, tc := range []struct{ name, dsnParam, want string }{
		{"default", "", idleInTransactionTimeout},
		{"from the DSN", "idle_in_transaction_session_timeout=7s", "7s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			if tc.dsnParam != "" {
				sep := "?"
				if strings.Contains(dsn, "?") {
					sep = "&"
				}
				dsn += sep + tc.dsnParam
			}
			pool, err := OpenPool(context.Background(), dsn, schema, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			var got string
			if err := pool.QueryRow(context.Background(), "SHOW idle_in_transaction_session_timeout").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("idle_in_transaction_session_timeout %q, want %q", got, tc.want)
			}
		})
	}
}
