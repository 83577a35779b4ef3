package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/room"
)

// endless is a two-seat game that never ends: each move adds one to a
// count. It keeps the benchmarks on the toolkit's move path (turn check,
// clocks, log, events, store, broadcast) rather than a game's rules.
type endless struct{}

func (endless) Name() string       { return "endless" }
func (endless) Seats() int         { return 2 }
func (endless) Setup() games.State { return endlessState(0) }
func (endless) NewMove() any       { return new(endlessMove) }

type endlessMove struct {
	Step int `msgpack:"step"`
}

type endlessState int

func (s endlessState) Turn() int                              { return int(s) % 2 }
func (s endlessState) Apply(int, []byte) (games.State, error) { return s + 1, nil }
func (s endlessState) Result() *games.Result                  { return nil }
func (s endlessState) View(int) any                           { return int(s) }
func (s endlessState) Key() string                            { return strconv.Itoa(int(s)) }

// benchSession is a room.Session that drops what it is sent.
type benchSession struct{ id, user string }

func (s *benchSession) ID() string                            { return s.id }
func (s *benchSession) UserID() string                        { return s.user }
func (s *benchSession) Deliver([]byte) bool                   { return true }
func (s *benchSession) RoomJoined(*room.Room)                 {}
func (s *benchSession) RoomLeft(*room.Room, room.LeaveReason) {}

// benchMatch is a started match room of m with its two players.
type benchMatch struct {
	r       *room.Room
	players [2]*benchSession
	move    []byte
	ply     int
}

func newBenchMatch(b *testing.B, m *games.Module, id string) *benchMatch {
	bm := &benchMatch{r: room.New(id, m.Kind(), m.NewHandler(id), room.Config{})}
	bm.r.Start()
	b.Cleanup(func() {
		bm.r.Shutdown()
		<-bm.r.Done()
	})
	users := []string{id + "-a", id + "-b"}
	params, err := codec.MarshalData(games.JoinParams{Seats: users, Nonce: "n"})
	if err != nil {
		b.Fatal(err)
	}
	for i, u := range users {
		bm.players[i] = &benchSession{id: u, user: u}
		if err := bm.r.Join(context.Background(), bm.players[i], 1, params); err != nil {
			b.Fatal(err)
		}
	}
	bm.move, _ = codec.MarshalData(endlessMove{Step: 1})
	return bm
}

// play sends the next move and waits until the room has handled it: its
// events broadcast and, with a store, written.
func (bm *benchMatch) play(b *testing.B) {
	s := bm.players[bm.ply%2]
	bm.ply++
	if err := bm.r.Send(s, uint64(bm.ply), games.EventMove, bm.move, ""); err != nil {
		b.Fatal(err)
	}
	if err := bm.r.Do(context.Background(), func() {}); err != nil {
		b.Fatal(err)
	}
}

// stores returns the stores the benchmarks compare: none, in memory,
// and bbolt in a temporary file.
func stores(b *testing.B) []struct {
	name  string
	store func() games.Store
} {
	return []struct {
		name  string
		store func() games.Store
	}{
		{"none", func() games.Store { return nil }},
		{"memory", func() games.Store { return games.NewMemoryStore() }},
		{"bbolt", func() games.Store {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "games.db"), boltstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
	}
}

// BenchmarkMove measures one move in one timed match room, played and
// awaited one at a time: the latency of a move, with its events stored
// before the reply (memory, bbolt) or not stored (none). It reports the
// 50th and 99th percentiles in microseconds.
func BenchmarkMove(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			m := games.NewModule(endless{}, games.Config{Store: st.store(), TimeControl: games.TimeControl{Base: time.Hour}})
			bm := newBenchMatch(b, m, "bench")
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				bm.play(b)
				took = append(took, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkMoveParallel measures moves/s across 64 match rooms played at
// once, each by its own goroutine one move at a time: bbolt then shares
// commits between rooms.
func BenchmarkMoveParallel(b *testing.B) {
	for _, st := range stores(b) {
		b.Run(st.name, func(b *testing.B) {
			m := games.NewModule(endless{}, games.Config{Store: st.store(), TimeControl: games.TimeControl{Base: time.Hour}, MaxMatches: 1 << 20})
			var next atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				bm := newBenchMatch(b, m, fmt.Sprint("bench", next.Add(1)))
				for pb.Next() {
					bm.play(b)
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "moves/s")
		})
	}
}
