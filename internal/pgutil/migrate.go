package pgutil

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Migration is one numbered schema change.
type Migration struct {
	// Version is the number the file name starts with, from 1.
	Version int
	// Name is the file name without its .sql suffix.
	Name string
	// SQL is the file's content.
	SQL string
}

// Migrations returns the files of fsys matching pattern (such as
// "migrations/*.sql") as migrations in version order. Each file name
// starts with its number and "_", and the numbers run from 1 without
// gaps.
func Migrations(fsys fs.FS, pattern string) ([]Migration, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with its number and _", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(base, ".sql"), SQL: string(body)})
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.Name, i+1)
		}
	}
	return out, nil
}

// LockKey is the advisory lock that serializes the migrations of one
// store (named by owner, such as "chat/pgstore") on one schema across
// every process sharing the database. Stores with different owners get
// different keys, so they may share a schema name without sharing a
// lock.
func LockKey(owner, schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("parlor " + owner + " migrate\x00" + schema))
	return int64(h.Sum64())
}

// Migrate brings schema up to the newest of list, in one transaction
// holding the advisory lock LockKey(owner, schema), so stores starting
// at once take turns: the first applies the migrations, the others find
// them applied. It creates the schema and its schema_migrations table if
// they do not exist, and refuses a schema at a version newer than
// len(list). Then, if after is not nil, it runs after in the same
// transaction with the schema on the search path.
func Migrate(ctx context.Context, pool *pgxpool.Pool, owner, schema string, list []Migration, after func(pgx.Tx) error) error {
	ident := pgx.Identifier{schema}.Sanitize()
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", LockKey(owner, schema)); err != nil {
			return err
		}
		// CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
		// when the schema exists: a user given a schema of its own and
		// nothing more would be refused at every start.
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY,
			name    text NOT NULL,
			applied timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var current int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&current); err != nil {
			return err
		}
		if current > len(list) {
			return fmt.Errorf("the schema is at version %d, newer than this build's %d", current, len(list))
		}
		for _, m := range list[current:] {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
		}
		if after == nil {
			return nil
		}
		return after(tx)
	})
}
