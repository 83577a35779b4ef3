package faulttest

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	gamesbolt "github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/games/chess"
)

// gamesDBFile is the games' bbolt file in the fault server's data
// directory (internal/faultserver.GamesDBFile).
const gamesDBFile = "games.db"

// operaGame is Morphy against the Duke of Brunswick and Count Isouard,
// Paris 1858 (the "Opera Game"), as published: 1-0 by checkmate.
const operaGame = `1.e4 e5 2.Nf3 d6 3.d4 Bg4 4.dxe5 Bxf3 5.Qxf3 dxe5 6.Bc4 Nf6 7.Qb3 Qe7
8.Nc3 c6 9.Bg5 b5 10.Nxb5 cxb5 11.Bxb5+ Nbd7 12.O-O-O Rd8 13.Rxd7 Rxd7
14.Rd1 Qe6 15.Bxd7+ Nxd7 16.Qb8+ Nxb8 17.Rd8# 1-0`

// sanMoves returns the moves of PGN movetext, without move numbers and
// the result.
func sanMoves(movetext string) []string {
	var out []string
	for _, f := range strings.Fields(movetext) {
		if _, san, ok := strings.Cut(f, "."); ok {
			f = san
		}
		if f == "" || f == "1-0" || f == "0-1" || f == "1/2-1/2" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// seatedPlayer is one player of a match across server restarts.
type seatedPlayer struct {
	name string
	c    *client.Client
	room string

	mu       sync.Mutex
	lastSeq  uint64
	moved    map[int]int // moved events received, by ply
	clocks   map[int][]int64
	gaps     []string
	rejoined int
	over     *games.GameOver
}

func (p *seatedPlayer) read() {
	for ev := range p.c.Events() {
		if ev.Room != p.room {
			continue
		}
		p.mu.Lock()
		switch {
		case ev.Name == client.EventRejoined:
			p.rejoined++
			p.lastSeq = ev.Seq
		case ev.Left:
		case ev.Seq > 0:
			if ev.Seq != p.lastSeq+1 {
				p.gaps = append(p.gaps, fmt.Sprintf("%s %d after %d", ev.Name, ev.Seq, p.lastSeq))
			}
			p.lastSeq = max(p.lastSeq, ev.Seq)
			switch ev.Name {
			case games.EventMoved:
				var m games.Moved
				if ev.Decode(&m) == nil {
					p.moved[m.Ply]++
					p.clocks[m.Ply] = m.Clocks
				}
			case games.EventGameOver:
				var g games.GameOver
				if ev.Decode(&g) == nil {
					p.over = &g
				}
			}
		}
		p.mu.Unlock()
	}
}

// clocksAt returns the clocks of the moved event of ply, once received.
func (p *seatedPlayer) clocksAt(t *testing.T, ply int) []int64 {
	t.Helper()
	var c []int64
	if !waitFor(10*time.Second, func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		c = p.clocks[ply]
		return p.moved[ply] > 0
	}) {
		t.Fatalf("%s never saw the move of ply %d", p.name, ply)
	}
	return c
}

// restartCase is a scripted match with the plies before which the server
// is killed with SIGKILL and started again on the same data.
type restartCase struct {
	name   string
	kind   string
	moves  []any
	kills  []int // before these plies; a negative one races the move's send
	winner int
	reason string
}

// TestKill9MidMatch kills the fault server with SIGKILL in the middle of
// timed matches, starts it again on the same data and port, and the
// clients, reconnecting by themselves, finish the game: tic-tac-toe with
// one kill between moves and one racing a move's send, and the Opera
// Game (Morphy, Paris 1858) transcribed from its published score, with
// a kill at move 10 and one at move 15.
//
// Every acked move is in the match once, in order: each player receives
// every moved event exactly once and every ordered event in seq order,
// with the missed ones replayed from the store (no rejoin from a
// snapshot); the move log holds the script; and the game ends with its
// recorded result. Clocks follow the documented rule: the seat to move
// after a restart resumes from the time it had at the last stored move,
// so the time the server was down (two seconds here) is charged to
// nobody. After a graceful stop the finished game is in both players'
// histories, its PGN the published moves.
func TestKill9MidMatch(t *testing.T) {
	opera := sanMoves(operaGame)
	if len(opera) != 33 {
		t.Fatalf("the Opera Game has %d plies, want 33", len(opera))
	}
	chessMoves := make([]any, len(opera))
	for i, m := range opera {
		chessMoves[i] = chess.Move{SAN: m}
	}
	checkLegal(t, chessMoves, 0, chess.ReasonCheckmate)
	cases := []restartCase{
		{name: "tictactoe", kind: "games.tictactoe", moves: cells(4, 0, 2, 6, 3, 5, 1, 7, 8), kills: []int{3, -6}, winner: -1, reason: "board_full"},
		{name: "opera", kind: "games.chess", moves: chessMoves, kills: []int{18, 28}, winner: 0, reason: chess.ReasonCheckmate},
	}
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) { playWithKills(t, rc) })
	}
}

// checkLegal plays moves through the chess package and checks the result.
func checkLegal(t *testing.T, moves []any, winner int, reason string) {
	t.Helper()
	var s games.State = chess.Game{}.Setup()
	for i, m := range moves {
		raw, err := codec.MarshalData(m)
		if err != nil {
			t.Fatal(err)
		}
		if s, err = s.Apply(s.Turn(), raw); err != nil {
			t.Fatalf("ply %d (%v) is illegal: %v", i+1, m, err)
		}
	}
	if r := s.Result(); r == nil || r.Winner != winner || r.Reason != reason {
		t.Fatalf("the transcription ends with %+v, want winner %d by %s", r, winner, reason)
	}
}

func playWithKills(t *testing.T, rc restartCase) {
	data := t.TempDir()
	flags := []string{"-rate-limit", "-1", "-grace", "1m", "-game-base", "10m"}
	srv := startServer(t, data, "127.0.0.1:0", flags...)
	addr := srv.Addr
	names := []string{"alice-" + rc.name, "bob-" + rc.name}
	nonce := fmt.Sprintf("kill-%d", time.Now().UnixNano())
	ps := make([]*seatedPlayer, 2)
	for i, name := range names {
		c, err := client.Dial(context.Background(), srv.URL(name), client.Options{
			RequestTimeout: 30 * time.Second,
			Reconnect:      client.ReconnectPolicy{MinDelay: 50 * time.Millisecond, MaxDelay: 300 * time.Millisecond},
		})
		if err != nil {
			t.Fatalf("dial %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		ps[i] = &seatedPlayer{name: name, c: c, moved: map[int]int{}, clocks: map[int][]int64{}}
	}
	for _, p := range ps {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		j, err := p.c.Join(ctx, rc.kind, games.JoinParams{Seats: names, Nonce: nonce})
		cancel()
		if err != nil {
			t.Fatalf("%s joins: %v", p.name, err)
		}
		p.room, p.lastSeq = j.Room, j.Seq
		go p.read()
	}
	send := func(ply int) (games.MoveReply, error) {
		p := ps[ply%2]
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rep, err := p.c.Send(ctx, p.room, games.EventMove, rc.moves[ply], client.WithClientMsgID(fmt.Sprintf("%s-ply%d", p.name, ply)))
		var mr games.MoveReply
		if err == nil {
			err = rep.Decode(&mr)
		}
		return mr, err
	}
	restart := func() time.Time {
		srv.kill()
		time.Sleep(2 * time.Second) // down time, to be charged to nobody
		started := time.Now()
		srv = startServer(t, data, addr, flags...)
		return started
	}

	for ply := range rc.moves {
		var rep games.MoveReply
		var err error
		switch {
		case slices.Contains(rc.kills, ply):
			// Between moves: the move after the restart is charged only
			// from the rebuild.
			before := ps[0].clocksAt(t, ply)
			started := restart()
			rep, err = send(ply)
			since := time.Since(started)
			after := ps[0].clocksAt(t, ply+1)
			mover := ply % 2
			if after[1-mover] != before[1-mover] {
				t.Errorf("ply %d: the waiting seat's clock went from %d to %d ms", ply+1, before[1-mover], after[1-mover])
			}
			if spent := time.Duration(before[mover]-after[mover]) * time.Millisecond; spent < 0 || spent > since {
				t.Errorf("ply %d: the mover was charged %v, more than the %v since the restart began", ply+1, spent, since)
			}
		case slices.Contains(rc.kills, -ply):
			// Racing the send: stored or not, the move is applied once.
			res := make(chan error, 1)
			go func() {
				r, err := send(ply)
				if err == nil && r.Ply != ply+1 {
					err = fmt.Errorf("answered with ply %d", r.Ply)
				}
				res <- err
			}()
			time.Sleep(time.Millisecond)
			restart()
			rep, err = games.MoveReply{Ply: ply + 1}, <-res
		default:
			rep, err = send(ply)
		}
		if err != nil {
			t.Fatalf("ply %d: the move failed: %v", ply+1, err)
		}
		if rep.Ply != ply+1 {
			t.Fatalf("ply %d: answered with ply %d", ply+1, rep.Ply)
		}
	}

	n := len(rc.moves)
	for _, p := range ps {
		if !waitFor(10*time.Second, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.over != nil
		}) {
			t.Fatalf("%s never received game_over", p.name)
		}
		p.mu.Lock()
		if p.over.Winner != rc.winner || p.over.Reason != rc.reason || p.over.Ply != n {
			t.Errorf("%s: game over %+v, want winner %d by %s at ply %d", p.name, *p.over, rc.winner, rc.reason, n)
		}
		for ply := 1; ply <= n; ply++ {
			if p.moved[ply] != 1 {
				t.Errorf("%s: received the moved event of ply %d %d times", p.name, ply, p.moved[ply])
			}
		}
		if len(p.gaps) > 0 || p.rejoined > 0 {
			t.Errorf("%s: out of sequence %v; %d rejoins from a snapshot", p.name, p.gaps, p.rejoined)
		}
		p.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	rep, err := ps[1].c.Send(ctx, ps[1].room, games.EventLog, games.LogRequest{})
	cancel()
	var log games.LogReply
	if err == nil {
		err = rep.Decode(&log)
	}
	if err != nil || len(log.Moves) != n {
		t.Fatalf("the move log: %d moves, %v; want %d", len(log.Moves), err, n)
	}
	for i, m := range log.Moves {
		want, _ := codec.MarshalData(rc.moves[i])
		if m.Seat != i%2 || string(m.Move) != string(want) {
			t.Errorf("log[%d] = seat %d move %x, want seat %d move %x", i, m.Seat, []byte(m.Move), i%2, want)
		}
	}

	// Stopped, the server leaves the finished game in the store.
	for _, p := range ps {
		_ = p.c.Close()
	}
	srv.terminate(15 * time.Second)
	st, err := gamesbolt.Open(filepath.Join(data, gamesDBFile), gamesbolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := games.NewHistory(st, games.NewModule(chess.Game{}, games.Config{}))
	for _, name := range names {
		page, err := h.Page(context.Background(), name, games.HistoryCursor{}, 10)
		if err != nil || len(page.Games) != 1 || len(page.Games[0].Moves) != n {
			t.Fatalf("%s's history: %+v, %v", name, page, err)
		}
		if rc.kind == "games.chess" && !strings.Contains(strings.Join(strings.Fields(page.Games[0].Record), " "), "16. Qb8+ Nxb8 17. Rd8# ") {
			t.Errorf("the PGN does not end as published:\n%s", page.Games[0].Record)
		}
	}
}
