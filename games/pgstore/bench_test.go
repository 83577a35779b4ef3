package pgstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// benchStores returns the durable stores the benchmarks compare: bbolt in
// a temporary file, and PostgreSQL (skipped without PARLOR_TEST_POSTGRES).
func benchStores() []struct {
	name string
	open func(b *testing.B) games.Store
} {
	return []struct {
		name string
		open func(b *testing.B) games.Store
	}{
		{"bbolt", func(b *testing.B) games.Store {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "games.db"), boltstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"postgres", func(b *testing.B) games.Store { return openStore(b, pgtest.NewSchema(b), Options{}) }},
	}
}

// benchData is a moved event's data: seat, move and clocks.
var benchData, _ = msgpack.Marshal([]any{0, map[string]int{"cell": 4}, []int64{59_000, 60_000}})

// benchMove is a moved entry as the games module writes it: a small move,
// the event's data with the clocks, and a client message id.
func benchMove(seq uint64) games.Entry {
	return games.Entry{Seq: seq, Event: games.EventMoved, Data: benchData, At: int64(seq),
		Move: msgpack.RawMessage{0x81, 0xa4, 'c', 'e', 'l', 'l', 4}, ClientMsgID: "c"}
}

func benchCreate(b *testing.B, s games.Store, id string) {
	err := s.Create(context.Background(), games.MatchInfo{ID: id, Kind: "games.bench", Players: []string{"a", "b"},
		Epoch: "e", Start: "s", TimeControl: games.TimeControl{Base: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendMove measures the durable write of one move (Append of
// one moved entry, committed before it returns) in one match, one at a
// time: the cost the store adds to a move's reply. It reports the 50th
// and 99th percentiles in microseconds.
func BenchmarkAppendMove(b *testing.B) {
	ctx := context.Background()
	for _, st := range benchStores() {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			benchCreate(b, s, "m")
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				e := benchMove(uint64(i + 1))
				t0 := time.Now()
				if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{e}}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkAppendMoveParallel measures moves written per second across
// 64 matches, each written by its own goroutine one move at a time, as
// 64 match rooms would: bbolt shares commits between them, PostgreSQL
// commits each on one of its connections (Options.MaxConns).
func BenchmarkAppendMoveParallel(b *testing.B) {
	ctx := context.Background()
	for _, st := range benchStores() {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			var next atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				id := fmt.Sprint("m", next.Add(1))
				benchCreate(b, s, id)
				var seq uint64
				for pb.Next() {
					seq++
					if err := s.Append(ctx, games.Write{Match: id, Entries: []games.Entry{benchMove(seq)}}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "moves/s")
		})
	}
}
