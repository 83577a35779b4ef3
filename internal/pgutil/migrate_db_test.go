package pgutil

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
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

// TestMigrateOwnSchemaWithoutCreate: a database user that owns its schema
// and may not create schemas in the database (a role given a schema and
// nothing more, as docs/postgres.md allows) migrates it, and starts again
// on it.
func TestMigrateOwnSchemaWithoutCreate(t *testing.T) {
	list, err := Migrations(testMigrations, "m/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(ctx) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	role := "test_role_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'only-its-schema'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the schema's drop (NewSchema's, registered later)
		if _, err := admin.Exec(ctx, "DROP ROLE "+role); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	schema := pgtest.NewSchema(t)
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()+" AUTHORIZATION "+role); err != nil {
		t.Fatal(err)
	}
	var canCreate bool
	if err := admin.QueryRow(ctx, "SELECT has_database_privilege($1, current_database(), 'CREATE')", role).Scan(&canCreate); err != nil || canCreate {
		t.Fatalf("the role may create schemas (%v, %v): the test needs one that may not", canCreate, err)
	}
	dsn, err := url.Parse(pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	dsn.User = url.UserPassword(role, "only-its-schema")
	for i := range 2 {
		pool, err := OpenPool(ctx, dsn.String(), schema, 2)
		if err != nil {
			t.Fatal(err)
		}
		err = Migrate(ctx, pool, "pgutil test", schema, list, nil)
		pool.Close()
		if err != nil {
			t.Fatalf("start %d as the schema's owner: %v", i+1, err)
		}
	}
}
