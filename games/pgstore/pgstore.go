// Package pgstore is the games.Store on PostgreSQL, for servers that run
// on several nodes or want their matches and finished games in a
// database server.
//
// Open connects a pool (pgx) and applies the embedded schema migrations
// under an advisory lock. Every call runs in its own statement or
// transaction, so any number of stores, in any number of processes, can
// share one database: an append moves the match's head from the seq
// before its first entry under the match's row lock, so of two writers
// appending one seq (an old owner of a room and a new one) one stores and
// the other gets games.ErrSeqConflict.
//
// When the database cannot be reached, calls fail with ErrUnavailable (a
// *codec.Error with code unavailable), never with a false success, and
// the pool connects again by itself when the database is back.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgutil"
)

// Options configures Open. Every field documents its zero-value default.
type Options struct {
	// Schema is the PostgreSQL schema that holds the store's tables. Open
	// creates it if it does not exist. Default: "parlor_games".
	Schema string
	// MaxConns is the most connections the store opens to the database.
	// Default: 10.
	MaxConns int32
	// Timeout bounds each call: waiting for a connection, the round trips
	// and the commit. A call that runs out of time fails with
	// ErrUnavailable. Default: 5s.
	Timeout time.Duration
}

// Defaults of Options.
const (
	DefaultSchema   = "parlor_games"
	DefaultMaxConns = 10
	DefaultTimeout  = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Store is a games.Store in a PostgreSQL database. It is safe for
// concurrent use, and several stores (in one process or many) may share
// one database and schema.
type Store struct {
	pool *pgxpool.Pool
	gate *pgutil.Gate
}

var _ games.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value connection string), applies the schema migrations this
// version has and the database lacks, and returns the store. ctx bounds
// the first connection and the migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	pool, err := pgutil.OpenPool(ctx, dsn, opts.Schema, opts.MaxConns)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := migrate(ctx, pool, opts.Schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: migrate schema %s: %w", opts.Schema, err)
	}
	return &Store{pool: pool, gate: pgutil.NewGate(pool, opts.Timeout, games.ErrStoreClosed)}, nil
}

// Close closes the pool, waiting for calls in progress. It is safe to
// call more than once; other calls fail with games.ErrStoreClosed
// afterwards.
func (s *Store) Close() error {
	s.gate.Close()
	return nil
}

func (s *Store) isClosed() bool { return s.gate.Closed() }

// call starts a call: it fails if the store is closed (games.ErrStoreClosed)
// or ctx is done, and otherwise returns ctx bounded by Options.Timeout.
func (s *Store) call(ctx context.Context) (context.Context, context.CancelFunc, error) {
	return s.gate.Start(ctx)
}

// retry runs fn, and once more if the database was unavailable, there
// is time left and the store is not closed (pgutil.Retry).
func (s *Store) retry(ctx context.Context, fn func() error) error {
	return s.gate.Retry(ctx, fn)
}

// fail turns a call's error into what the caller sees: the games errors
// and this package's as they are, games.ErrStoreClosed once closed, the
// caller's own cancellation as it is, ErrUnavailable for a database that
// cannot be reached or answer in time, and any other database error
// wrapped.
func (s *Store) fail(caller context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, games.ErrNotFound), errors.Is(err, games.ErrSeqConflict),
		errors.Is(err, games.ErrMatchExists), errors.Is(err, ErrUnstorable):
		return err
	case s.isClosed():
		return games.ErrStoreClosed
	case caller.Err() != nil:
		return caller.Err()
	case pgutil.Unavailable(err):
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return fmt.Errorf("pgstore: %w", err)
}
