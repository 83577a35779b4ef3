package pgutil

import (
	"context"
	"testing"
	"time"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestPoolIdleInTransactionTimeout: the pool's sessions end a transaction
// left idle for idleInTransactionTimeout, so that a stopped process does
// not hold its locks, unless the DSN chose another value.
func TestPoolIdleInTransactionTimeout(t *testing.T) {
	schema := pgtest.NewSchema(t)
	for _, tc := range []struct{ name, dsnValue, want string }{
		{"default", "", idleInTransactionTimeout},
		{"from the DSN", "7s", "7s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := pgtest.DSN(t)
			if tc.dsnValue != "" {
				dsn = pgtest.DSNWith(t, "idle_in_transaction_session_timeout", tc.dsnValue)
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

// TestIdleInTransactionEndIsUnavailable: a transaction left idle past the
// server's idle_in_transaction_session_timeout (a process stopped in the
// middle of a write) fails its next statement with an error Unavailable
// reports, so the write is refused with the code unavailable, not
// internal.
func TestIdleInTransactionEndIsUnavailable(t *testing.T) {
	schema := pgtest.NewSchema(t)
	dsn := pgtest.DSNWith(t, "idle_in_transaction_session_timeout", "100ms")
	pool, err := OpenPool(context.Background(), dsn, schema, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // the server has ended it
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	_, err = tx.Exec(ctx, "SELECT 1")
	if err == nil {
		t.Fatal("a statement after the idle timeout succeeded")
	}
	if !Unavailable(err) {
		t.Fatalf("%v: not Unavailable", err)
	}
}
