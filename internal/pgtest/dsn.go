package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// DSNVar is the environment variable that names the test database.
const DSNVar = "PARLOR_TEST_POSTGRES"

// DSN returns the test database's DSN from $PARLOR_TEST_POSTGRES. Without
// it, it skips the test, or fails it in CI (CI=true).
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(DSNVar)
	if dsn != "" {
		return dsn
	}
	const msg = DSNVar + " is not set (start a server with scripts/postgres.sh start)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// DSNWith returns the test database's DSN (see DSN) with the parameter
// key set to value, such as a run-time setting of its sessions.
func DSNWith(t testing.TB, key, value string) string {
	t.Helper()
	dsn, err := url.Parse(DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := dsn.Query()
	q.Set(key, value)
	dsn.RawQuery = q.Encode()
	return dsn.String()
}

// NewSchema returns the name of a schema in the test database that no
// other test uses, and drops it, with everything in it, when the test
// ends.
func NewSchema(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
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
