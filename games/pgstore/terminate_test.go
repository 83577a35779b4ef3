package pgstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestTerminatedConnections: the server kills the store's connections
// (pg_terminate_backend) again and again while one writer per match
// appends, as a match room does: after a failure it reads the log's head
// again, as a rebuilt room would, and appends its move there. Every
// failure is ErrUnavailable, every acked move is in the log once, at the
// seq it was acked at, and the log has no gap.
func TestTerminatedConnections(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.AppDSN(t, "games-pgstore-fault-test")
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	// Each writer makes at least perMatch moves, and goes on up to
	// maxMoves until some append has failed: on a quiet machine the
	// appends are fast enough to slip between the kills for a while.
	const matches, perMatch, maxMoves = 4, 50, 120
	// The matches are created before the killer starts: their creation
	// is the setup, not what is tested.
	for m := range matches {
		newMatch(t, s, fmt.Sprint("m", m))
	}
	killer := pgtest.StartKiller(t, "games-pgstore-fault-test", 5*time.Millisecond)

	var failures atomic.Int64
	acked := make([]map[uint64]int, matches) // seq -> move number
	made := make([]int, matches)             // moves stored, per match
	var wg sync.WaitGroup
	errs := make(chan error, matches)
	for m := range matches {
		match := fmt.Sprint("m", m)
		acked[m] = map[uint64]int{}
		wg.Go(func() {
			var head uint64
			move := 0
			defer func() { made[m] = move }()
			for move < perMatch || (failures.Load() == 0 && move < maxMoves) {
				e := moved(head+1, move)
				err := s.Append(ctx, games.Write{Match: match, Entries: []games.Entry{e}})
				if err == nil {
					acked[m][e.Seq] = move
					head++
					move++
					continue
				}
				if !isUnavailable(err) {
					errs <- fmt.Errorf("%s move %d: %w", match, move, err)
					return
				}
				failures.Add(1)
				for {
					log, err := s.Entries(ctx, match, 0, 10_000)
					if err == nil {
						// The failed move may have been stored: then
						// it is the head, and the next move follows it.
						if uint64(len(log)) > head {
							move++
						}
						head = uint64(len(log))
						break
					}
					if !isUnavailable(err) {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	kills := killer.Stop()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d kills, %d appends failed as unavailable", kills, failures.Load())
	if failures.Load() == 0 {
		t.Fatal("no append failed: the connections were not killed under the writers")
	}
	for m := range matches {
		_, log, err := s.Load(ctx, fmt.Sprint("m", m))
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != made[m] {
			t.Fatalf("m%d holds %d entries, want %d", m, len(log), made[m])
		}
		for i, e := range log {
			if e.Seq != uint64(i+1) || int(e.Data[1]) != i {
				t.Fatalf("m%d: entry %d has seq %d, move %d", m, i, e.Seq, e.Data[1])
			}
			if want, ok := acked[m][e.Seq]; ok && want != i {
				t.Fatalf("m%d: seq %d acked for move %d holds move %d", m, e.Seq, want, i)
			}
		}
	}
}
