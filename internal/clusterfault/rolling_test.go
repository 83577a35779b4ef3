package clusterfault

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// TestRollingRestart restarts the three nodes one after the other with
// SIGTERM, as a deploy does, while six members send to a group and two
// players, on different nodes, play the Opera Game with a pause before
// each move. Each node must exit cleanly (status 0) and start again. No
// acked message is lost or doubled, every member ends with the whole log,
// and the match is never aborted: it ends as published, every client
// having received each move once, in order. No send is refused other
// than unavailable.
func TestRollingRestart(t *testing.T) {
	c := startParlor(t, "-grace", "30s")
	var reconnects atomic.Int64
	opts := clientOpts(&reconnects)
	members, room := busyGroup(t, c, 6, opts)

	moves := pgnMoves(operaGame)
	names := []string{"morphy", "duke"}
	ps := make([]*watcher, 2)
	for i, name := range names {
		ps[i] = &watcher{name: name, c: dial(t, c.proxyURL(name), opts), moved: map[int]int{}}
	}
	nonce := randomHex(8)
	for _, p := range ps {
		r, err := join(t, p.c, "games.chess", games.JoinParams{Seats: names, Nonce: nonce})
		if err != nil {
			t.Fatalf("%s joins: %v", p.name, err)
		}
		p.room, p.lastSeq = r.Room, r.Seq
		go p.follow()
	}
	match := ps[0].room

	stop := load(t, members)
	played := make(chan error, 1)
	go func() { played <- playSlowly(ps, match, moves, 400*time.Millisecond) }()

	if !waitFor(20*time.Second, func() bool { return totalAcked(members) >= 100 }) {
		t.Fatalf("only %d messages acked before the restarts", totalAcked(members))
	}
	for i, n := range c.nodes {
		old := n.name
		t.Logf("stopping %s at %s", old, time.Now().Format("15:04:05.000"))
		n.p.terminate(30*time.Second, nodeStoppedLine)
		c.startNode(i)
		t.Logf("%s restarted at %s", old, time.Now().Format("15:04:05.000"))
		before := ackCounts(members)
		ackedAgain(t, before, 10, 30*time.Second)
		t.Logf("restarted %s as %s", old, n.name)
	}
	if err := <-played; err != nil {
		t.Fatal(err)
	}
	stop()
	t.Logf("%d acked; %d reconnects; failed sends by code %v", totalAcked(members), reconnects.Load(), failureCodes(members))
	for _, r := range refusals(members) {
		t.Logf("refused: %s", r)
	}
	// A drain runs what its rooms had queued and leaves later sends to
	// the clients' resends: a refusal other than a transient one is a
	// spurious error for the application.
	for code, n := range failureCodes(members) {
		if code != string(codec.CodeUnavailable) {
			t.Errorf("%d sends refused with %s during the restarts", n, code)
		}
	}
	entries := history(t, members[0].c, room)
	checkLog(t, "group", members, entries)
	checkReceived(t, "group", members, entries)

	n := len(moves)
	for _, p := range ps {
		if !waitFor(15*time.Second, func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.over != nil
		}) {
			t.Fatalf("%s never received game_over", p.name)
		}
		p.mu.Lock()
		if p.over.Winner != 0 || p.over.Reason != chess.ReasonCheckmate || p.over.Ply != n {
			t.Errorf("%s: game over %+v, want white winning by checkmate at ply %d", p.name, *p.over, n)
		}
		for ply := 1; ply <= n; ply++ {
			if p.moved[ply] != 1 {
				t.Errorf("%s: received the move of ply %d %d times", p.name, ply, p.moved[ply])
			}
		}
		if len(p.gaps) > 0 || p.rejoined > 0 {
			t.Errorf("%s: out of sequence %v; %d rejoins from a snapshot", p.name, p.gaps, p.rejoined)
		}
		p.mu.Unlock()
	}
}

// playSlowly plays moves (SAN) in the match, seat 0 first, pausing before
// each, and retries a move with the same client message id until a node
// takes it or 30 s pass.
func playSlowly(ps []*watcher, room string, moves []string, pause time.Duration) error {
	for ply, san := range moves {
		time.Sleep(pause)
		mover := ps[ply%2]
		id := fmt.Sprintf("%s-ply%d", mover.name, ply)
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			res, err := mover.c.Send(ctx, room, games.EventMove, chess.Move{SAN: san}, client.WithClientMsgID(id))
			cancel()
			var rep games.MoveReply
			if err == nil {
				err = res.Decode(&rep)
			}
			if err == nil {
				if rep.Ply != ply+1 {
					return fmt.Errorf("ply %d: %s's move %s answered with ply %d", ply, mover.name, san, rep.Ply)
				}
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("ply %d: %s's move %s: %w", ply, mover.name, san, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}
