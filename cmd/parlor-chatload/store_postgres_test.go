package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
)

// TestPostgresStore: -store postgres without -dsn is refused; with one, a
// run gets an empty store of its own, and closing it drops its schema.
// It runs with $PARLOR_TEST_POSTGRES set (scripts/postgres.sh start);
// without it the test skips, except in CI (CI=true), where it fails.
func TestPostgresStore(t *testing.T) {
	if _, _, err := openPostgres(config{store: "postgres"}); err == nil || !strings.Contains(err.Error(), "-dsn") {
		t.Fatalf("without -dsn: %v", err)
	}
	dsn := os.Getenv("PARLOR_TEST_POSTGRES")
	if dsn == "" {
		const msg = "PARLOR_TEST_POSTGRES is not set (start a server with scripts/postgres.sh start)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx := context.Background()
	schemas := func() int {
		t.Helper()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'parlor_chatload_%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := schemas()
	st, closeStore, err := openPostgres(config{store: "postgres", dsn: dsn})
	if err != nil {
		t.Fatal(err)
	}
	if ls, err := st.State(ctx, "room"); err != nil || ls.Head != 0 {
		t.Fatalf("a new run's store: %+v, %v", ls, err)
	}
	if _, _, err := st.Append(ctx, chat.Write{Entry: chat.Message{Room: "room", Seq: 1, ID: "1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if n := schemas(); n != before+1 {
		t.Fatalf("%d chatload schemas while open, want %d", n, before+1)
	}
	closeStore()
	if n := schemas(); n != before {
		t.Fatalf("%d chatload schemas after close, want %d", n, before)
	}
}
