package pgstore

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestMigrateConcurrently: stores starting at once on a new schema take
// turns under the advisory lock: every Open succeeds and each migration
// is applied once.
func TestMigrateConcurrently(t *testing.T) {
	schema := pgtest.NewSchema(t)
	const n = 6
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = Open(context.Background(), pgtest.DSN(t), Options{Schema: schema})
		})
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		t.Cleanup(func() { _ = s.Close() })
	}
	list, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	versions := appliedVersions(t, stores[0])
	if len(versions) != len(list) {
		t.Fatalf("applied versions %v, want %d of them", versions, len(list))
	}
	for i, v := range versions {
		if v != i+1 {
			t.Fatalf("applied versions %v", versions)
		}
	}
	// Opening again applies nothing new.
	openStore(t, schema, Options{})
	if again := appliedVersions(t, stores[0]); len(again) != len(list) {
		t.Fatalf("after another Open: %v", again)
	}
}

func appliedVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

// TestMigrateRefusesNewerSchema: a schema migrated by a newer build is
// not touched by this one.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	schema := pgtest.NewSchema(t)
	s := openStore(t, schema, Options{})
	if _, err := s.pool.Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES (999, 'future')"); err != nil {
		t.Fatal(err)
	}
	if other, err := Open(context.Background(), pgtest.DSN(t), Options{Schema: schema}); err == nil {
		_ = other.Close()
		t.Fatal("Open accepted a schema at version 999")
	} else if !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open: %v", err)
	}
}

// TestDefaultSchema: with no Options.Schema the tables go to
// parlor_games, beside (not in) the chat store's parlor_chat.
func TestDefaultSchema(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var existed bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", DefaultSchema).Scan(&existed); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !existed {
		defer func() { _, _ = conn.Exec(ctx, "DROP SCHEMA "+DefaultSchema+" CASCADE") }()
	}
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN ('matches', 'entries', 'finished', 'history')", DefaultSchema).Scan(&n)
	if err != nil || n != 4 {
		t.Fatalf("%d of the store's tables in %s, %v", n, DefaultSchema, err)
	}
}

// TestMigrationFiles: the embedded migrations are numbered 1..n.
func TestMigrationFiles(t *testing.T) {
	list, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 || list[0].Version != 1 || list[0].SQL == "" {
		t.Fatalf("migrations: %+v", list)
	}
}
