package pgstore

import (
	"context"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestMigrateConcurrently: stores starting at once on a new schema take
// turns under the advisory lock (internal/pgutil tests the migrations):
// every Open succeeds, and all share the epoch the first one stored.
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
		if s.Epoch() != stores[0].Epoch() {
			t.Fatalf("store %d has epoch %q, store 0 %q", i, s.Epoch(), stores[0].Epoch())
		}
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
