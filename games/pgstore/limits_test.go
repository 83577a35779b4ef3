package pgstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestMaxConns: the store never opens more than Options.MaxConns
// connections; callers beyond it wait for one, and all are served.
func TestMaxConns(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{MaxConns: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		match := fmt.Sprint("m", i)
		newMatch(t, s, match)
		wg.Go(func() {
			for seq := uint64(1); seq <= 5; seq++ {
				if err := s.Append(ctx, games.Write{Match: match, Entries: []games.Entry{moved(seq, 0)}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	pgtest.CheckPoolBound(t, s.pool, 2)
	if def := openStore(t, pgtest.NewSchema(t), Options{}); def.pool.Stat().MaxConns() != DefaultMaxConns {
		t.Fatalf("default MaxConns %d", def.pool.Stat().MaxConns())
	}
}
