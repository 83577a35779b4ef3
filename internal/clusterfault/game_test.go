package clusterfault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// operaGame is Morphy against the Duke of Brunswick and Count Isouard,
// Paris 1858, as published: 1-0 by checkmate on move 17.
const operaGame = `1.e4 e5 2.Nf3 d6 3.d4 Bg4 4.dxe5 Bxf3 5.Qxf3 dxe5 6.Bc4 Nf6 7.Qb3 Qe7
8.Nc3 c6 9.Bg5 b5 10.Nxb5 cxb5 11.Bxb5+ Nbd7 12.O-O-O Rd8 13.Rxd7 Rxd7
14.Rd1 Qe6 15.Bxd7+ Nxd7 16.Qb8+ Nxb8 17.Rd8# 1-0`

// pgnMoves returns the SAN moves of PGN movetext.
func pgnMoves(movetext string) []string {
	var out []string
	for _, f := range strings.Fields(movetext) {
		if i := strings.LastIndexByte(f, '.'); i >= 0 {
			f = f[i+1:]
		}
		switch f {
		case "", "1-0", "0-1", "1/2-1/2", "*":
			continue
		}
		out = append(out, f)
	}
	return out
}

// watcher follows one match: a player or a spectator.
type watcher struct {
	name string
	c    *client.Client
	room string

	mu       sync.Mutex
	lastSeq  uint64
	moved    map[int]int // moved events received, by ply
	gaps     []string
	rejoined int
	over     *games.GameOver
}

// follow reads the client's events for the match until the client ends.
func (w *watcher) follow() {
	for ev := range w.c.Events() {
		if ev.Room != w.room {
			continue
		}
		w.mu.Lock()
		switch {
		case ev.Name == client.EventRejoined:
			w.rejoined++
			w.lastSeq = ev.Seq
		case ev.Left:
		case ev.Seq > 0:
			if ev.Seq != w.lastSeq+1 {
				w.gaps = append(w.gaps, fmt.Sprintf("%s %d after %d", ev.Name, ev.Seq, w.lastSeq))
			}
			w.lastSeq = max(w.lastSeq, ev.Seq)
			switch ev.Name {
			case games.EventMoved:
				var m games.Moved
				if ev.Decode(&m) == nil {
					w.moved[m.Ply]++
				}
			case games.EventGameOver:
				var g games.GameOver
				if ev.Decode(&g) == nil {
					w.over = &g
				}
			}
		}
		w.mu.Unlock()
	}
}

// TestChessAcrossNodes plays the Opera Game from its PGN between white on
// one node and black on another, watched by a spectator on the third, all
// through the proxy. After move 9 of black (ply 18) the match's owner is
// killed with SIGKILL: the match moves to another node, rebuilt from its
// move log in PostgreSQL; the players on the killed node reconnect through
// the proxy, and the mover retries its move with the same client message
// id until a node takes it. The game ends as published, every client
// received every move once and in order, and the move log has each move
// once.
func TestChessAcrossNodes(t *testing.T) {
	c := startParlor(t, "-grace", "30s")
	moves := pgnMoves(operaGame)
	if len(moves) != 33 {
		t.Fatalf("the Opera Game has %d plies, want 33", len(moves))
	}
	var reconnects atomic.Int64
	opts := clientOpts(&reconnects)
	names := []string{"morphy", "duke", "isouard"}
	ws := make([]*watcher, 3)
	for i, name := range names {
		// Round robin: one client on each node.
		ws[i] = &watcher{name: name, c: dial(t, c.proxyURL(name), opts), moved: map[int]int{}}
	}
	nonce := randomHex(8)
	for _, w := range ws[:2] {
		r, err := join(t, w.c, "games.chess", games.JoinParams{Seats: names[:2], Nonce: nonce})
		if err != nil {
			t.Fatalf("%s joins: %v", w.name, err)
		}
		w.room, w.lastSeq = r.Room, r.Seq
	}
	r, err := join(t, ws[2].c, "games.chess", games.JoinParams{Room: ws[0].room, Spectate: true})
	if err != nil {
		t.Fatalf("the spectator joins: %v", err)
	}
	ws[2].room, ws[2].lastSeq = r.Room, r.Seq
	for _, w := range ws {
		go w.follow()
	}
	room := ws[0].room

	var killedAt time.Time
	var serving time.Duration
	for ply, san := range moves {
		if ply == 18 {
			owner := c.owner(room, 5*time.Second)
			if owner < 0 {
				t.Fatal("no node holds the match's lease")
			}
			c.nodes[owner].p.kill()
			killedAt = time.Now()
			t.Logf("ply %d: killed the owner %s", ply, c.nodes[owner].name)
		}
		mover := ws[ply%2]
		id := fmt.Sprintf("%s-ply%d", mover.name, ply)
		var rep games.MoveReply
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := mover.c.Send(ctx, room, games.EventMove, chess.Move{SAN: san}, client.WithClientMsgID(id))
			cancel()
			if err == nil {
				err = res.Decode(&rep)
			}
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("ply %d: %s's move %s: %v", ply, mover.name, san, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if ply == 18 {
			serving = time.Since(killedAt)
		}
		if rep.Ply != ply+1 {
			t.Fatalf("ply %d: %s's move %s answered with ply %d", ply, mover.name, san, rep.Ply)
		}
	}
	t.Logf("the match took a move again %v after its owner's death; %d reconnects", serving.Round(time.Millisecond), reconnects.Load())

	n := len(moves)
	for _, w := range ws {
		if !waitFor(15*time.Second, func() bool {
			w.mu.Lock()
			defer w.mu.Unlock()
			return w.over != nil
		}) {
			t.Fatalf("%s never received game_over", w.name)
		}
		w.mu.Lock()
		if w.over.Winner != 0 || w.over.Reason != chess.ReasonCheckmate || w.over.Ply != n {
			t.Errorf("%s: game over %+v, want white winning by checkmate at ply %d", w.name, *w.over, n)
		}
		for ply := 1; ply <= n; ply++ {
			if w.moved[ply] != 1 {
				t.Errorf("%s: received the move of ply %d %d times", w.name, ply, w.moved[ply])
			}
		}
		if len(w.gaps) > 0 || w.rejoined > 0 {
			t.Errorf("%s: out of sequence %v; %d rejoins from a snapshot", w.name, w.gaps, w.rejoined)
		}
		w.mu.Unlock()
	}
	res, err := ws[2].c.Send(ctxTimeout(t, 10*time.Second), room, games.EventLog, games.LogRequest{})
	var log games.LogReply
	if err == nil {
		err = res.Decode(&log)
	}
	if err != nil || len(log.Moves) != n {
		t.Fatalf("the move log: %d moves, %v; want %d", len(log.Moves), err, n)
	}
	for i, m := range log.Moves {
		if m.Seat != i%2 {
			t.Errorf("log[%d] by seat %d, want %d", i, m.Seat, i%2)
		}
	}
}
