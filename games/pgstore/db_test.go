package pgstore

import (
	"context"
	"testing"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// The tests run against a real PostgreSQL server (internal/pgtest):
// each test works in a schema of its own, dropped when it ends.

// openStore opens a store on schema and closes it when the test ends.
func openStore(t testing.TB, schema string, opts Options) *Store {
	t.Helper()
	opts.Schema = schema
	s, err := Open(context.Background(), pgtest.DSN(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
