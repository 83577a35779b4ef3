package clustertest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/room"
)

// drawCells is a tic-tac-toe game that fills the board without a winner.
var drawCells = []int{4, 0, 2, 6, 3, 5, 1, 7, 8}

// BenchmarkMoveAckRate measures the ack latency of game moves in one
// process, as internal/clusterfault's BenchmarkClusterMoveAck does across
// processes: 50 pairs play tic-tac-toe matches back to back for 3 s per
// iteration, the second player's moves paced to 1,000 per second in all
// and timed from when each was due (open loop; the first player answers
// at once). The second players sit on node a; each match's owner, its
// first player's node, is a too ("local") or b ("remote"). Both nodes and
// the NATS server share this process, so "remote" against "local" is the
// forwarded path itself: a match's lease, joins and leaves, the moves
// forwarded to the owner and its frames coming back. It reports p50-ms,
// p99-ms and moves/s.
func BenchmarkMoveAckRate(b *testing.B) {
	const pairs, rate, window = 50, 1000, 3 * time.Second
	mods := func(st *stores) []room.Module {
		// The pairs play far past the per-user challenge rate a public
		// site wants.
		return []room.Module{games.NewModule(tictactoe.Game{}, games.Config{Store: st.games, ChallengeRate: 1_000_000})}
	}
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			ns := StartServer(b)
			st := newStores()
			opts := nodeOptions{unlimited: true, quiet: true, modules: mods}
			a := startNode(b, "a", []string{ns.URL()}, st, opts)
			nb := startNode(b, "b", []string{ns.URL()}, st, opts)
			owner := a
			if where == "remote" {
				owner = nb
			}
			type pair struct{ first, second *client.Client }
			ps := make([]pair, pairs)
			for k := range ps {
				ps[k] = pair{owner.dial(fmt.Sprint("a", k)), a.dial(fmt.Sprint("b", k))}
				for _, cl := range []*client.Client{ps[k].first, ps[k].second} {
					go func() {
						for range cl.Events() {
						}
					}()
				}
			}
			interval := time.Duration(pairs) * time.Second / rate
			b.ResetTimer()
			for i := range b.N {
				var mu sync.Mutex
				lat := make([]time.Duration, 0, rate*int(window/time.Second))
				start := time.Now()
				var wg sync.WaitGroup
				for k, p := range ps {
					wg.Go(func() {
						time.Sleep(time.Duration(k) * interval / pairs)
						seats := []string{fmt.Sprint("a", k), fmt.Sprint("b", k)}
						for m := 0; time.Since(start) < window; m++ {
							nonce := fmt.Sprintf("%d-%d-%d", i, k, m)
							err := playPaced(p.first, p.second, seats, nonce, interval, func(d time.Duration) {
								mu.Lock()
								lat = append(lat, d)
								mu.Unlock()
							})
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				elapsed := time.Since(start)
				slices.Sort(lat)
				if len(lat) == 0 {
					b.Fatal("no move acked")
				}
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "moves/s")
			}
		})
	}
}

// playPaced plays one tic-tac-toe match to a draw: first joins first, so
// that its node owns the match; second's moves are due every interval
// from the joins on, and record gets each one's latency from its due time.
func playPaced(first, second *client.Client, seats []string, nonce string, interval time.Duration, record func(time.Duration)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var rooms [2]string
	for i, cl := range []*client.Client{first, second} {
		r, err := cl.Join(ctx, "games."+tictactoe.Name, games.JoinParams{Seats: seats, Nonce: nonce})
		if err != nil {
			return fmt.Errorf("join: %w", err)
		}
		rooms[i] = r.Room
	}
	due := time.Now()
	for ply, cell := range drawCells {
		mover, room := first, rooms[0]
		if ply%2 == 1 {
			mover, room = second, rooms[1]
			due = due.Add(interval)
			time.Sleep(time.Until(due))
		}
		if _, err := mover.Send(ctx, room, games.EventMove, tictactoe.Move{Cell: &cell}); err != nil {
			return fmt.Errorf("ply %d: %w", ply, err)
		}
		if ply%2 == 1 {
			record(time.Since(due))
		}
	}
	for i, cl := range []*client.Client{first, second} {
		if err := cl.Leave(ctx, rooms[i]); err != nil {
			return fmt.Errorf("leave: %w", err)
		}
	}
	return nil
}
