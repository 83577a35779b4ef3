package powercut

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// tictactoeKind is the module kind of tic-tac-toe.
const tictactoeKind = "games.tictactoe"

// script is the game every match plays: a draw on a full board.
var script = []int{4, 0, 2, 6, 3, 5, 1, 7, 8}

// scriptMove returns the move of ply i (from 0) of the script.
func scriptMove(i int) tictactoe.Move { return tictactoe.Move{Cell: &script[i]} }

// match is one tic-tac-toe match of a pair, as its players saw it before
// the cut.
type match struct {
	nonce string
	room  string
	epoch string

	mu       sync.Mutex
	acked    int            // plies acked
	inflight bool           // a move's send failed: it was in flight at the cut
	seqs     map[int]uint64 // ply -> seq of its moved event, as received
	over     *games.GameOver
}

// cmid is the client message id of ply i (from 0) of the match.
func (m *match) cmid(i int) string { return fmt.Sprintf("%s-ply%d", m.nonce, i+1) }

// pair is two players who play matches one after the other.
type pair struct {
	names [2]string
	cs    [2]*client.Client

	mu      sync.Mutex
	matches []*match
	byRoom  map[string]*match
}

// dialGame connects a player and records, in the matches of p, the seq of
// every moved event and the game_over event it receives.
func dialGame(t *testing.T, srv *server, name string, p *pair) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL(name), client.Options{RequestTimeout: 20 * time.Second, Reconnect: client.ReconnectPolicy{Disabled: true}})
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	go func() {
		for ev := range c.Events() {
			p.mu.Lock()
			m := p.byRoom[ev.Room]
			p.mu.Unlock()
			if m == nil {
				continue
			}
			switch ev.Name {
			case games.EventMoved:
				var mv games.Moved
				if ev.Decode(&mv) == nil {
					m.mu.Lock()
					m.seqs[mv.Ply] = ev.Seq
					m.mu.Unlock()
				}
			case games.EventGameOver:
				var g games.GameOver
				if ev.Decode(&g) == nil {
					m.mu.Lock()
					m.over = &g
					m.mu.Unlock()
				}
			}
		}
	}()
	return c
}

// setupGames connects n pairs of players.
func setupGames(t *testing.T, srv *server, prefix string, n int) []*pair {
	t.Helper()
	var ps []*pair
	for i := range n {
		p := &pair{names: [2]string{fmt.Sprintf("%s-p%dx", prefix, i), fmt.Sprintf("%s-p%do", prefix, i)}, byRoom: map[string]*match{}}
		for s := range 2 {
			p.cs[s] = dialGame(t, srv, p.names[s], p)
		}
		ps = append(ps, p)
	}
	return ps
}

// joinMatch joins both players to the match of nonce and returns its room
// and epoch: the ones of the first join, checked against the second's.
func (p *pair) joinMatch(nonce string) (room, epoch string, err error) {
	for s, c := range p.cs {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		j, err := c.Join(ctx, tictactoeKind, games.JoinParams{Seats: p.names[:], Nonce: nonce})
		cancel()
		if err != nil {
			return room, epoch, err
		}
		if s == 0 {
			room, epoch = j.Room, j.Epoch
			// Record the match before anything is broadcast in it, so that
			// its events are recorded, and before the second join, which
			// may fail at the cut once the match is stored.
			p.mu.Lock()
			m := &match{nonce: nonce, room: room, epoch: epoch, seqs: map[int]uint64{}}
			p.matches = append(p.matches, m)
			p.byRoom[room] = m
			p.mu.Unlock()
		} else if j.Room != room || j.Epoch != epoch {
			return room, epoch, fmt.Errorf("the second player joined %s (epoch %q), the first %s (epoch %q)", j.Room, j.Epoch, room, epoch)
		}
	}
	return room, epoch, nil
}

// move sends ply i (from 0) of match m from the seat whose turn it is,
// and returns the reply's ply.
func (p *pair) move(m *match, i int) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := p.cs[i%2].Send(ctx, m.room, games.EventMove, scriptMove(i), client.WithClientMsgID(m.cmid(i)))
	var mr games.MoveReply
	if err == nil {
		err = rep.Decode(&mr)
	}
	return mr.Ply, err
}

// playLoop plays matches one after the other, as fast as the acks come
// back, until stop is closed (it may leave a match unfinished) or a
// request fails (the server is gone).
func (p *pair) playLoop(prefix string, stop <-chan struct{}, errs chan<- error) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		if _, _, err := p.joinMatch(fmt.Sprintf("%s-%s-m%d", prefix, p.names[0], n)); err != nil {
			if !ended(p.cs[0]) && !ended(p.cs[1]) {
				errs <- fmt.Errorf("%s: a join failed with the server up: %v", p.names[0], err)
			}
			return
		}
		p.mu.Lock()
		m := p.matches[len(p.matches)-1]
		p.mu.Unlock()
		for i := range script {
			select {
			case <-stop:
				return
			default:
			}
			ply, err := p.move(m, i)
			m.mu.Lock()
			if err != nil {
				m.inflight = true
			} else {
				m.acked = i + 1
			}
			m.mu.Unlock()
			if err != nil {
				if !ended(p.cs[i%2]) {
					errs <- fmt.Errorf("match %s: ply %d failed with the server up: %v", m.nonce, i+1, err)
				}
				return
			}
			if ply != i+1 {
				errs <- fmt.Errorf("match %s: ply %d was acked as ply %d", m.nonce, i+1, ply)
				return
			}
		}
		// Leave the finished match: a connection is in at most
		// engine.DefaultMaxRoomsPerConn rooms.
		for _, c := range p.cs {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			err := c.Leave(ctx, m.room)
			cancel()
			if err != nil {
				if !ended(c) {
					errs <- fmt.Errorf("match %s: leave failed with the server up: %v", m.nonce, err)
				}
				return
			}
		}
	}
}

// ended reports whether c ends within a second: a request that failed
// because of the cut fails because the connection is gone.
func ended(c *client.Client) bool {
	return waitFor(time.Second, func() bool {
		select {
		case <-c.Done():
			return true
		default:
			return false
		}
	})
}

// movesAcked sums the acked moves of every match.
func movesAcked(ps []*pair) int {
	n := 0
	for _, p := range ps {
		p.mu.Lock()
		for _, m := range p.matches {
			m.mu.Lock()
			n += m.acked
			m.mu.Unlock()
		}
		p.mu.Unlock()
	}
	return n
}

// finishOverWire resumes, on the restarted server, every match of p that
// was not over at the cut: both players join it again with the epoch of
// the first join; its move log holds the acked moves (and at most the one
// in flight at the cut), each the script's; and the players play it to
// its end, a full board, and get its game_over. It returns how many
// matches it resumed.
func (p *pair) finishOverWire(t *testing.T, srv *server) int {
	t.Helper()
	q := &pair{names: p.names, byRoom: map[string]*match{}}
	for s := range 2 {
		q.cs[s] = dialGame(t, srv, p.names[s], q)
	}
	finished := 0
	for _, old := range p.matches {
		old.mu.Lock()
		acked, inflight := old.acked, old.inflight
		old.mu.Unlock()
		if acked == len(script) {
			continue
		}
		room, epoch, err := q.joinMatch(old.nonce)
		if err != nil {
			t.Errorf("match %s: join after the cut: %v", old.nonce, err)
			continue
		}
		if room != old.room || epoch != old.epoch {
			t.Errorf("match %s: room %s epoch %q after the cut, %s %q before", old.nonce, room, epoch, old.room, old.epoch)
			continue
		}
		m := q.matches[len(q.matches)-1]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rep, err := q.cs[1].Send(ctx, room, games.EventLog, games.LogRequest{})
		cancel()
		var lr games.LogReply
		if err == nil {
			err = rep.Decode(&lr)
		}
		if err != nil {
			t.Errorf("match %s: the move log: %v", old.nonce, err)
			continue
		}
		played := len(lr.Moves)
		if played < acked || played > acked+1 || played > acked && !inflight {
			t.Errorf("match %s: %d moves after the cut; %d were acked, one in flight: %v", old.nonce, played, acked, inflight)
			continue
		}
		for i, lm := range lr.Moves {
			want, _ := codec.MarshalData(scriptMove(i))
			if lm.Seat != i%2 || !bytes.Equal(lm.Move, want) {
				t.Errorf("match %s: log[%d] = seat %d move %x, want seat %d move %x", old.nonce, i, lm.Seat, []byte(lm.Move), i%2, want)
			}
		}
		for i := played; i < len(script); i++ {
			if ply, err := q.move(m, i); err != nil || ply != i+1 {
				t.Fatalf("match %s: ply %d after the cut: ply %d, %v", old.nonce, i+1, ply, err)
			}
		}
		if played == len(script) {
			// The move in flight at the cut was the last: the game was
			// over before the players joined again, and verifyStoredMatch
			// checks its game_over.
			finished++
			continue
		}
		var over *games.GameOver
		if !waitFor(10*time.Second, func() bool {
			m.mu.Lock()
			defer m.mu.Unlock()
			over = m.over
			return over != nil
		}) {
			t.Errorf("match %s: no game_over after its last move (%d acked before the cut, %d in the log after it)", old.nonce, acked, played)
			continue
		}
		if over.Winner != -1 || over.Reason != "board_full" || over.Ply != len(script) {
			t.Errorf("match %s: game over %+v, want a draw on a full board", old.nonce, *over)
		}
		finished++
	}
	return finished
}

// verifyStoredMatch checks a match as the games store holds it after the
// restarted server stopped: the epoch of the first join; a log of ordered
// events from seq 1 without gaps; the script's nine moves, each once and
// in order, each acked one with its client message id and at the seq its
// moved event had before the cut; and the game over at the end.
func verifyStoredMatch(t *testing.T, st games.Store, m *match) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	info, entries, err := st.Load(context.Background(), m.room)
	if err != nil {
		t.Errorf("match %s: load: %v", m.nonce, err)
		return
	}
	if info.Epoch != m.epoch {
		t.Errorf("match %s: stored epoch %q, joined with %q", m.nonce, info.Epoch, m.epoch)
	}
	ply := 0
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Errorf("match %s: entry %d has seq %d (the log is not contiguous)", m.nonce, i, e.Seq)
			return
		}
		if e.Event != games.EventMoved {
			continue
		}
		var mv games.Moved
		if err := codec.UnmarshalData(e.Data, &mv); err != nil || mv.Ply != ply+1 {
			t.Errorf("match %s: seq %d holds ply %d (%v), want ply %d", m.nonce, e.Seq, mv.Ply, err, ply+1)
			return
		}
		if want, _ := codec.MarshalData(scriptMove(ply)); !bytes.Equal(e.Move, want) {
			t.Errorf("match %s: ply %d is move %x, want %x", m.nonce, ply+1, []byte(e.Move), want)
		}
		if ply < m.acked && e.ClientMsgID != m.cmid(ply) {
			t.Errorf("match %s: acked ply %d is stored with id %q, sent with %q", m.nonce, ply+1, e.ClientMsgID, m.cmid(ply))
		}
		if seq, ok := m.seqs[ply+1]; ok && ply < m.acked && seq != e.Seq {
			t.Errorf("match %s: acked ply %d was broadcast at seq %d, is stored at seq %d", m.nonce, ply+1, seq, e.Seq)
		}
		ply++
	}
	if ply != len(script) {
		t.Errorf("match %s: %d moves stored, want %d (%d acked before the cut)", m.nonce, ply, len(script), m.acked)
	}
	if len(entries) == 0 || entries[len(entries)-1].Event != games.EventGameOver {
		t.Errorf("match %s: the stored log does not end with game_over", m.nonce)
	}
}
