package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/chat"
)

// testPostgres returns the DSN of a new, empty database on the server
// named by $PARLOR_TEST_POSTGRES, dropped when the test ends. Without the
// variable the test skips, except in CI (CI=true), where it fails.
func testPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PARLOR_TEST_POSTGRES")
	if dsn == "" {
		const msg = "PARLOR_TEST_POSTGRES is not set (start a server with scripts/postgres.sh start)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "arcade_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	if !strings.Contains(dsn, "://") {
		return dsn + " dbname=" + name // key=value: the last one counts
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// TestPostgresChatSurvivesRestart: the arcade with -postgres keeps its
// chat in PostgreSQL, not in chat.db, and a message sent before a restart
// is in the history after it.
func TestPostgresChatSurvivesRestart(t *testing.T) {
	dsn := testPostgres(t)
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Postgres: dsn}
	ta := startArcadeWith(t, cfg)
	ctx := ctx10s(t)
	alice := ta.dial(ta.login("alice"))
	j1, err := alice.Join(ctx, chat.KindDM, map[string]string{"with": "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, j1.Room, "send", map[string]string{"text": "kept in postgres"}); err != nil {
		t.Fatal(err)
	}
	ta.stop()
	if _, err := os.Stat(filepath.Join(dir, chatDBFile)); !os.IsNotExist(err) {
		t.Fatalf("%s exists (%v): the chat went to bbolt", chatDBFile, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM parlor_chat.entries WHERE room = $1 AND text = $2",
		j1.Room, "kept in postgres").Scan(&n); err != nil || n != 1 {
		t.Fatalf("entries in PostgreSQL: %d, %v; want 1", n, err)
	}

	ta2 := startArcadeWith(t, cfg)
	bob := ta2.dial(ta2.login("bob"))
	j2, err := bob.Join(ctx, chat.KindDM, map[string]string{"with": "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var snap struct {
		Messages []chat.Message `msgpack:"messages"`
	}
	if err := j2.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if j2.Room != j1.Room || len(snap.Messages) != 1 || snap.Messages[0].Text != "kept in postgres" || snap.Messages[0].From != "alice" {
		t.Fatalf("after the restart: room %s (was %s), history %+v", j2.Room, j1.Room, snap.Messages)
	}
}
