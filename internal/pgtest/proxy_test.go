package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestProxyCutsAfterCommit: through the proxy a connection works; armed,
// it cuts the connection right after passing a COMMIT on, so the server
// commits but the client gets no answer; stalled, it holds statements.
func TestProxyCutsAfterCommit(t *testing.T) {
	ctx := context.Background()
	schema := NewSchema(t)
	direct, err := pgx.Connect(ctx, DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close(ctx)
	table := pgx.Identifier{schema, "t"}.Sanitize()
	if _, err := direct.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()+"; CREATE TABLE "+table+" (n int)"); err != nil {
		t.Fatal(err)
	}

	proxy, dsn := NewProxy(t, DSN(t), nil)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+table+" VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	proxy.Armed.Store(true)
	if err := tx.Commit(ctx); err == nil {
		t.Fatal("the commit's answer arrived through an armed proxy")
	}
	if proxy.Cuts.Load() != 1 || proxy.Armed.Load() {
		t.Fatalf("cuts %d, armed %v after one cut", proxy.Cuts.Load(), proxy.Armed.Load())
	}
	// The server got the COMMIT; it may finish it a moment after the cut.
	var n int
	for deadline := time.Now().Add(5 * time.Second); n != 1 && time.Now().Before(deadline); {
		if err := direct.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if n != 1 {
		t.Fatalf("rows committed: %d, want 1", n)
	}

	again, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	proxy.Stalled.Store(true)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := again.Ping(short); err == nil {
		t.Fatal("a stalled proxy passed a statement on")
	}
	proxy.Stalled.Store(false)
}
