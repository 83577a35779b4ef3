package pgutil

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// testMigrations are two migrations that fail if applied twice.
var testMigrations = fstest.MapFS{
	"m/0001_a.sql": {Data: []byte("CREATE TABLE a (n integer)")},
	"m/0002_b.sql": {Data: []byte("CREATE TABLE b (n integer); INSERT INTO a VALUES (2)")},
}

// openPool opens a pool on schema and closes it when the test ends.
func openPool(t *testing.T, schema string) *pgxpool.Pool {
	t.Helper()
	pool, err := OpenPool(context.Background(), pgtest.DSN(t), schema, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func appliedVersions(t *testing.T, pool *pgxpool.Pool) []int {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

// TestMigrateConcurrently: processes starting at once on a new schema
// take turns under the advisory lock: every Migrate succeeds, and each
// migration is applied once; a later Migrate applies nothing new.
func TestMigrateConcurrently(t *testing.T) {
	list, err := Migrations(testMigrations, "m/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := pgtest.NewSchema(t)
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		pool := openPool(t, schema)
		wg.Go(func() { errs[i] = Migrate(context.Background(), pool, "pgutil test", schema, list, nil) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate %d: %v", i, err)
		}
	}
	pool := openPool(t, schema)
	if err := Migrate(context.Background(), pool, "pgutil test", schema, list, nil); err != nil {
		t.Fatal(err)
	}
	if v := appliedVersions(t, pool); len(v) != 2 || v[0] != 1 || v[1] != 2 {
		t.Fatalf("applied versions %v, want [1 2]", v)
	}
	var rows int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM a").Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("migration 2 ran %d times, %v", rows, err)
	}
}

// TestMigrateRefusesNewerSchema: a schema migrated by a newer build is
// not touched by this one.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	list, err := Migrations(testMigrations, "m/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := pgtest.NewSchema(t)
	pool := openPool(t, schema)
	ctx := context.Background()
	if err := Migrate(ctx, pool, "pgutil test", schema, list, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"); err != nil {
		t.Fatal(err)
	}
	ran := false
	err = Migrate(ctx, pool, "pgutil test", schema, list, func(pgx.Tx) error { ran = true; return nil })
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate of a schema at version 999: %v", err)
	}
	if ran {
		t.Fatal("the after step ran on a refused schema")
	}
}

// TestMigrateAfterInTheSchema: the after step runs in the migration's
// transaction, in the schema, and its error undoes the migrations.
func TestMigrateAfterInTheSchema(t *testing.T) {
	list, err := Migrations(testMigrations, "m/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	schema := pgtest.NewSchema(t)
	pool := openPool(t, schema)
	ctx := context.Background()
	err = Migrate(ctx, pool, "pgutil test", schema, list, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO a VALUES (1) RETURNING nonexistent")
		return err
	})
	if err == nil {
		t.Fatal("a failing after step did not fail Migrate")
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil || exists {
		t.Fatalf("schema exists after a failed Migrate: %v, %v", exists, err)
	}
	var n int
	err = Migrate(ctx, pool, "pgutil test", schema, list, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT count(*) FROM a").Scan(&n)
	})
	if err != nil || n != 1 {
		t.Fatalf("after step saw %d rows of a, %v; want 1", n, err)
	}
}
