package pgutil

import (
	"context"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// idleInTransactionTimeout is the server's idle_in_transaction_session_timeout
// for the pool's connections, unless the DSN sets one: a process stopped
// in the middle of a transaction (SIGSTOP, a frozen VM) would otherwise
// hold the transaction's locks until it runs again, and the node that took
// its rooms over would wait for them on its first append. The server ends
// such a session instead; the stopped process's commit then fails, as its
// lease ended anyway. The stores' transactions run their statements back to
// back, far below it.
const idleInTransactionTimeout = "2s"

// OpenPool connects a pool to the database named by dsn (a postgres://
// URL or a key=value connection string), with at most maxConns
// connections, each with schema as its search_path and
// idleInTransactionTimeout. ctx bounds the first connection.
func OpenPool(ctx context.Context, dsn, schema string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{schema}.Sanitize()
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = idleInTransactionTimeout
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Retry runs fn, and runs it once more if it failed because the
// database was Unavailable, ctx has time left and closed reports false.
// A lost connection (ConnLost) first resets the pool: after a server
// restart every idle connection is dead, and the second try should dial
// a new one rather than meet the next dead one.
func Retry(ctx context.Context, pool *pgxpool.Pool, closed func() bool, fn func() error) error {
	err := fn()
	if err == nil || !Unavailable(err) || ctx.Err() != nil || closed() {
		return err
	}
	if ConnLost(err) {
		pool.Reset()
	}
	return fn()
}

// NewWriteID returns a random write id, never 0 (the write_id columns'
// default). A write stores it with its rows, so that a try retried after
// a lost connection can tell the rows its first try stored from another
// writer's: a false acknowledgement is never given, and a true one is
// not lost.
func NewWriteID() int64 { return int64(rand.Uint64() | 1) }
