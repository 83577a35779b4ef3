package pgstore

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/internal/pgtest"
)

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
