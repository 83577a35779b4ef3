package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The tests run against a real PostgreSQL server named by
// $PARLOR_TEST_POSTGRES (a DSN; scripts/postgres.sh start prints one).
// Without it they skip, except in CI (CI=true), where they fail. Each
// test works in a schema of its own, dropped when it ends.

// testDSN returns the test database's DSN, or skips (fails in CI).
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("PARLOR_TEST_POSTGRES")
	if dsn != "" {
		return dsn
	}
	const msg = "PARLOR_TEST_POSTGRES is not set (start a server with scripts/postgres.sh start)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// newSchema returns the name of a schema that no other test uses, and
// drops it, with everything in it, when the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// openStore opens a store on schema and closes it when the test ends.
func openStore(t testing.TB, schema string, opts Options) *Store {
	t.Helper()
	opts.Schema = schema
	s, err := Open(context.Background(), testDSN(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
