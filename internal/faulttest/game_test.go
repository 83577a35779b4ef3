package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/wstest"
)

// player is one seat of a match, connected through its own proxy.
type player struct {
	name  string
	seat  int
	proxy *wstest.Proxy
	c     *client.Client
	room  string

	reconnects atomic.Int64
	resumed    atomic.Int64

	mu       sync.Mutex
	lastSeq  uint64
	moved    map[int]int // moved events received, by ply
	gaps     []string
	rejoined int
	over     *games.GameOver
	readDone chan struct{}
}

// read follows the player's events for the match until the client ends.
func (p *player) read() {
	defer close(p.readDone)
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

// sawMove reports whether the player received the moved event of ply.
func (p *player) sawMove(ply int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.moved[ply] > 0
}

// gameCase is a scripted match: the moves in order (seat 0 first) and
// how it ends.
type gameCase struct {
	kind   string
	moves  []any
	winner int
	reason string
}

func cells(cs ...int) []any {
	out := make([]any, len(cs))
	for i := range cs {
		out[i] = tictactoe.Move{Cell: &cs[i]}
	}
	return out
}

func uci(ms ...string) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = chess.Move{UCI: m}
	}
	return out
}

// TestTCPDropMidGame plays a scripted match (tic-tac-toe to a full-board
// draw, chess to scholar's mate) between two Go clients, each through a
// proxy that breaks its TCP connection mid-game, without any WebSocket
// close, four ways:
//
//   - before ply 2, the mover's connection is reset while idle; its move
//     waits for the reconnect and goes out on the new connection;
//   - at ply 3, the mover's connection stops delivering the server's bytes,
//     the move is applied (the opponent sees it), the reply is lost, and
//     then the connection is reset: the client resends the move with its
//     client message id and must get the first reply, not a second move;
//   - at ply 4, the mover's connection is cut on the client side only, so
//     the server still holds the old connection: the client comes back with
//     its resume token, and the server closes the old connection with 4009;
//   - at ply 5, the mover's connection is reset right after the move is
//     written, racing the server.
//
// Every reconnect is within the games' grace period. The match must go on
// and finish as scripted; every move's reply must carry its ply; the move
// log must hold every move exactly once, in order, by the right seat; and
// both players must receive every ordered event exactly once, in order,
// missed ones replayed on resume.
func TestTCPDropMidGame(t *testing.T) {
	cases := []gameCase{
		{kind: "games.tictactoe", moves: cells(4, 0, 2, 6, 3, 5, 1, 7, 8), winner: -1, reason: "board_full"},
		{kind: "games.chess", moves: uci("e2e4", "e7e5", "f1c4", "b8c6", "d1h5", "g8f6", "h5f7"), winner: 0, reason: chess.ReasonCheckmate},
	}
	srv := startServer(t, t.TempDir(), "127.0.0.1:0", "-rate-limit", "-1", "-grace", "30s")
	for _, gc := range cases {
		t.Run(strings.TrimPrefix(gc.kind, "games."), func(t *testing.T) { playWithDrops(t, srv, gc) })
	}
}

func playWithDrops(t *testing.T, srv *server, gc gameCase) {
	names := []string{"alice-" + gc.kind, "bob-" + gc.kind}
	nonce := fmt.Sprintf("fault-%d", time.Now().UnixNano())
	ps := make([]*player, 2)
	for i, name := range names {
		p := &player{name: name, seat: i, proxy: wstest.StartProxy(t, srv.Addr), moved: map[int]int{}, readDone: make(chan struct{})}
		opts := client.Options{
			RequestTimeout: 20 * time.Second,
			Reconnect:      client.ReconnectPolicy{MinDelay: 50 * time.Millisecond, MaxDelay: 500 * time.Millisecond},
			OnStateChange: func(sc client.StateChange) {
				if sc.State == client.StateOpen && sc.Attempt > 0 {
					p.reconnects.Add(1)
					if sc.Resumed {
						p.resumed.Add(1)
					}
				}
			},
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := client.Dial(ctx, "ws://"+p.proxy.Addr()+"/ws?user="+name, opts)
		cancel()
		if err != nil {
			t.Fatalf("dial %s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Close() })
		p.c = c
		ps[i] = p
	}
	for _, p := range ps {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		j, err := p.c.Join(ctx, gc.kind, games.JoinParams{Seats: names, Nonce: nonce})
		cancel()
		if err != nil {
			t.Fatalf("%s joins: %v", p.name, err)
		}
		p.room, p.lastSeq = j.Room, j.Seq
		go p.read()
	}

	send := func(p *player, ply int) (games.MoveReply, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rep, err := p.c.Send(ctx, p.room, games.EventMove, gc.moves[ply], client.WithClientMsgID(fmt.Sprintf("%s-ply%d", p.name, ply)))
		var mr games.MoveReply
		if err == nil {
			err = rep.Decode(&mr)
		}
		return mr, err
	}
	var staleServerSide []*net.TCPConn
	for ply := range gc.moves {
		mover, other := ps[ply%2], ps[1-ply%2]
		var rep games.MoveReply
		var err error
		switch ply {
		case 2: // idle reset, then the move waits for the reconnect
			if n := mover.proxy.Cut(); n != 1 {
				t.Fatalf("ply %d: cut %d connections, want 1", ply, n)
			}
			rep, err = send(mover, ply)
		case 3: // applied, reply lost, then reset: the resend is deduplicated
			mover.proxy.Freeze()
			type result struct {
				rep games.MoveReply
				err error
			}
			res := make(chan result, 1)
			go func() {
				r, err := send(mover, ply)
				res <- result{r, err}
			}()
			if !waitFor(10*time.Second, func() bool { return other.sawMove(ply + 1) }) {
				t.Fatalf("ply %d: the opponent never saw the move", ply)
			}
			select {
			case r := <-res:
				t.Fatalf("ply %d: the reply arrived through a frozen connection: %+v %v", ply, r.rep, r.err)
			default:
			}
			mover.proxy.Cut()
			r := <-res
			rep, err = r.rep, r.err
		case 4: // the server keeps the old connection until the resume
			staleServerSide = mover.proxy.CutClientSide()
			if len(staleServerSide) != 1 {
				t.Fatalf("ply %d: cut %d connections, want 1", ply, len(staleServerSide))
			}
			rep, err = send(mover, ply)
		case 5: // reset racing the move
			type result struct {
				rep games.MoveReply
				err error
			}
			res := make(chan result, 1)
			go func() {
				r, err := send(mover, ply)
				res <- result{r, err}
			}()
			time.Sleep(time.Millisecond)
			mover.proxy.Cut()
			r := <-res
			rep, err = r.rep, r.err
		default:
			rep, err = send(mover, ply)
		}
		if err != nil {
			t.Fatalf("ply %d: %s's move failed: %v", ply, mover.name, err)
		}
		if rep.Ply != ply+1 {
			t.Fatalf("ply %d: %s's move was answered with ply %d, want %d", ply, mover.name, rep.Ply, ply+1)
		}
	}

	// The server closed the connection the resume replaced, with 4009
	// (engine.CloseReplaced).
	if len(staleServerSide) == 1 {
		rest, closed := readUntilEnd(staleServerSide[0], 5*time.Second)
		if !closed {
			t.Errorf("the server still holds the connection that the resume replaced")
		}
		if !hasCloseFrame(rest, engine.CloseReplaced) {
			t.Errorf("no 4009 close frame on the replaced connection (%d bytes after the cut: %x)", len(rest), rest[:min(len(rest), 64)])
		}
		_ = staleServerSide[0].Close()
	}

	// Both players see the end, and every ordered event once, in order.
	n := len(gc.moves)
	for _, p := range ps {
		if !waitFor(10*time.Second, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.over != nil
		}) {
			t.Fatalf("%s never received game_over", p.name)
		}
		p.mu.Lock()
		if p.over.Winner != gc.winner || p.over.Reason != gc.reason || p.over.Ply != n {
			t.Errorf("%s: game over %+v, want winner %d by %s at ply %d", p.name, *p.over, gc.winner, gc.reason, n)
		}
		for ply := 1; ply <= n; ply++ {
			if p.moved[ply] != 1 {
				t.Errorf("%s: received the moved event of ply %d %d times", p.name, ply, p.moved[ply])
			}
		}
		if len(p.moved) != n {
			t.Errorf("%s: moved events for %d plies, want %d", p.name, len(p.moved), n)
		}
		if len(p.gaps) > 0 {
			t.Errorf("%s: ordered events out of sequence: %s", p.name, strings.Join(p.gaps, ", "))
		}
		if p.rejoined > 0 {
			t.Errorf("%s: %d rejoins without replay; the replay buffer should have covered the gap", p.name, p.rejoined)
		}
		p.mu.Unlock()
	}
	if r := ps[0].reconnects.Load(); r != 2 { // plies 2 and 4
		t.Errorf("%s reconnected %d times, want 2", ps[0].name, r)
	}
	if r := ps[1].reconnects.Load(); r != 2 { // plies 3 and 5
		t.Errorf("%s reconnected %d times, want 2", ps[1].name, r)
	}
	if r := ps[0].resumed.Load() + ps[1].resumed.Load(); r != 4 {
		t.Errorf("%d of 4 reconnects resumed their session", r)
	}

	// The move log has every move once, in order, by the right seat.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	rep, err := ps[0].c.Send(ctx, ps[0].room, games.EventLog, games.LogRequest{})
	cancel()
	if err != nil {
		t.Fatalf("log: %v", err)
	}
	var log games.LogReply
	if err := rep.Decode(&log); err != nil {
		t.Fatalf("log: %v", err)
	}
	if len(log.Moves) != n {
		t.Errorf("the move log has %d moves, want %d", len(log.Moves), n)
	}
	for i, m := range log.Moves[:min(n, len(log.Moves))] {
		want, _ := codec.MarshalData(gc.moves[i])
		if m.Seat != i%2 || !bytes.Equal(m.Move, want) {
			t.Errorf("log[%d] = seat %d move %x, want seat %d move %x", i, m.Seat, []byte(m.Move), i%2, want)
		}
	}
	t.Logf("%s: %d moves, 4 connection drops, %d+%d reconnects (%d resumed)", gc.kind, n,
		ps[0].reconnects.Load(), ps[1].reconnects.Load(), ps[0].resumed.Load()+ps[1].resumed.Load())
}

// readUntilEnd reads c until it ends or timeout passes, and returns what
// it read and whether the connection ended.
func readUntilEnd(c *net.TCPConn, timeout time.Duration) ([]byte, bool) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	var buf bytes.Buffer
	_, err := io.Copy(&buf, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return buf.Bytes(), false
	}
	return buf.Bytes(), true
}

// hasCloseFrame reports whether b holds an unmasked WebSocket close frame
// with code.
func hasCloseFrame(b []byte, code uint16) bool {
	for i := 0; i+4 <= len(b); i++ {
		if b[i] == 0x88 && b[i+1] >= 2 && b[i+1] < 126 && uint16(b[i+2])<<8|uint16(b[i+3]) == code {
			return true
		}
	}
	return false
}
