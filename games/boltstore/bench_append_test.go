package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
)

// The store alone, without rooms or WebSockets: the write of one
// tic-tac-toe move as the games module makes it (a moved and a state
// entry in one Append), one at a time and at 1,000 moves/s.

// moveData and stateData are a moved and a state event's data of about
// the size tic-tac-toe's have.
var (
	moveData, _  = msgpack.Marshal([]any{0, map[string]int{"cell": 4}, []int64{59_000, 60_000}})
	stateData, _ = msgpack.Marshal([]any{1, "playing", []any{0, -1, -1, -1, 1, -1, -1, -1, -1}, []int64{59_000, 60_000}})
)

// moveWrite is the Write of ply seq (its moved entry; the state entry
// after it).
func moveWrite(match string, seq uint64) games.Write {
	return games.Write{Match: match, Entries: []games.Entry{
		{Seq: seq, Event: games.EventMoved, Data: moveData, At: int64(seq),
			Move: msgpack.RawMessage{0x81, 0xa4, 'c', 'e', 'l', 'l', 4}, ClientMsgID: "c"},
		{Seq: seq + 1, Event: games.EventState, Data: stateData, At: int64(seq)},
	}}
}

// openBench opens a store in a new file, closed when b ends.
func openBench(b *testing.B) *boltstore.Store {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "games.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// createMatch stores match id.
func createMatch(b *testing.B, s games.Store, id string) {
	err := s.Create(context.Background(), games.MatchInfo{ID: id, Kind: "games.tictactoe", Players: []string{"a", "b"},
		Epoch: "e", Start: "s", TimeControl: games.TimeControl{Base: time.Minute}})
	if err != nil {
		b.Fatal(err)
	}
}

// quantiles reports the 50th and 99th percentiles and the maximum of d in
// microseconds.
func quantiles(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(d[len(d)-1].Microseconds()), "max-µs")
}

// BenchmarkAppendOne measures one move's durable write in one match, one
// at a time: the latency the store adds to a lone move's reply, and its
// allocations.
func BenchmarkAppendOne(b *testing.B) {
	s := openBench(b)
	createMatch(b, s, "m")
	took := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if err := s.Append(context.Background(), moveWrite("m", uint64(2*i+1))); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	quantiles(b, took)
}

// BenchmarkAppendRate writes b.N moves at 1,000 a second, spread in turn
// over 500 matches, each written by its match's goroutine as a match room
// would, and measures each write from the time it was due, so that a
// write that waited for its match's previous one counts that wait too.
// -benchtime 10000x is a 10-second run.
func BenchmarkAppendRate(b *testing.B) {
	const (
		matches = 500
		rate    = 1000
	)
	s := openBench(b)
	due := make([]chan time.Time, matches)
	for m := range matches {
		createMatch(b, s, fmt.Sprint("m", m))
		due[m] = make(chan time.Time, 64)
	}
	took := make([][]time.Duration, matches)
	var wg sync.WaitGroup
	for m := range matches {
		wg.Go(func() {
			id, seq := fmt.Sprint("m", m), uint64(1)
			for t := range due[m] {
				if err := s.Append(context.Background(), moveWrite(id, seq)); err != nil {
					b.Error(err)
					return
				}
				took[m] = append(took[m], time.Since(t))
				seq += 2
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t := start.Add(time.Duration(i) * time.Second / rate)
		time.Sleep(time.Until(t))
		due[i%matches] <- t
	}
	for _, c := range due {
		close(c)
	}
	wg.Wait()
	b.StopTimer()
	quantiles(b, slices.Concat(took...))
}
