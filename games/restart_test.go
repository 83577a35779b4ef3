package games_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
)

// restarter serves one engine at a time on a fixed loopback address, so
// that clients reconnect to the next engine as they would to a restarted
// server. All its engines share one games.Store and one fake clock.
type restarter struct {
	t     *testing.T
	clk   *roomtest.FakeClock
	store games.Store
	cfg   games.Config
	url   string

	eng     atomic.Pointer[engine.Engine]
	mod     atomic.Pointer[games.Module]
	mu      sync.Mutex
	blocked map[string]bool // users refused at the upgrade (503)
}

func newRestarter(t *testing.T, cfg games.Config) *restarter {
	if cfg.Store == nil {
		cfg.Store = games.NewMemoryStore()
	}
	rs := &restarter{t: t, clk: roomtest.NewFakeClock(time.Unix(1_700_000_000, 0)), store: cfg.Store,
		cfg: cfg, blocked: map[string]bool{}}
	srv := testserver.Start(t, engine.Config{}) // only for its listener
	srv.HTTP.Config.Handler = rs
	rs.url = srv.URL("")
	rs.start(room.Config{})
	return rs
}

func (rs *restarter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs.mu.Lock()
	blocked := rs.blocked[r.URL.Query().Get("user")]
	rs.mu.Unlock()
	if blocked {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	rs.eng.Load().ServeHTTP(w, r)
}

// block refuses user's connections until unblocked.
func (rs *restarter) block(user string, on bool) {
	rs.mu.Lock()
	rs.blocked[user] = on
	rs.mu.Unlock()
}

// start serves a new engine with rc as its rooms' config (the fake clock
// added).
func (rs *restarter) start(rc room.Config) {
	rc.Clock = rs.clk
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.URL.Query().Get("user"), nil },
		Secret:       []byte("parlor test secret"),
		Logger:       zaptest.NewLogger(rs.t),
		Room:         rc,
	})
	if err != nil {
		rs.t.Fatal(err)
	}
	cfg := rs.cfg
	cfg.Rooms = e // {room} joins check the running rooms, then the store
	cfg.Clock = rs.clk
	mod := games.NewModule(tictactoe.Game{}, cfg)
	if err := e.Register(mod); err != nil {
		rs.t.Fatal(err)
	}
	rs.mod.Store(mod)
	rs.t.Cleanup(func() { _ = e.Shutdown(context.Background()) })
	rs.eng.Store(e)
}

// restart shuts the engine down, lets down pass on the clock, and serves
// a new one.
func (rs *restarter) restart(down time.Duration, rc room.Config) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rs.eng.Load().Shutdown(ctx); err != nil {
		rs.t.Fatal(err)
	}
	rs.clk.Advance(down)
	rs.start(rc)
}

// dial connects user with fast reconnects.
func (rs *restarter) dial(user string) *client.Client {
	rs.t.Helper()
	c, err := client.Dial(context.Background(), strings.TrimSuffix(rs.url, "=")+"="+user,
		client.Options{Reconnect: client.ReconnectPolicy{MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}})
	if err != nil {
		rs.t.Fatal(err)
	}
	rs.t.Cleanup(func() { _ = c.Close() })
	return c
}

// seen records a client's ordered events in one room and checks that
// their seqs run on without a gap or a repeat.
type seen struct {
	t     *testing.T
	c     *client.Client
	room  string
	seq   uint64
	moves []int
}

// next returns the next event in the room, failing on a rejoin without
// recovery or on an out-of-order seq.
func (s *seen) next() client.Event {
	s.t.Helper()
	ev := testserver.Next(s.t, s.c, s.room, 5*time.Second)
	if ev.Name == client.EventRejoined {
		s.t.Fatalf("%s rejoined without recovery at seq %d (had %d)", s.c.UserID(), ev.Seq, s.seq)
	}
	if ev.Seq != 0 {
		if ev.Seq != s.seq+1 {
			s.t.Fatalf("%s got %s with seq %d after %d", s.c.UserID(), ev.Name, ev.Seq, s.seq)
		}
		s.seq = ev.Seq
	}
	if ev.Name == games.EventMoved {
		var m games.Moved
		var mv tictactoe.Move
		if err := ev.Decode(&m); err != nil || codec.UnmarshalData(m.Move, &mv) != nil {
			s.t.Fatalf("decode moved: %v", err)
		}
		s.moves = append(s.moves, *mv.Cell)
	}
	return ev
}

// until returns the next event called name.
func (s *seen) until(name string) client.Event {
	s.t.Helper()
	for {
		if ev := s.next(); ev.Name == name {
			return ev
		}
	}
}

// play sends a move and waits for its moved event.
func (s *seen) play(cell int) games.Moved {
	s.t.Helper()
	if _, err := s.c.Send(context.Background(), s.room, games.EventMove, tictactoe.Move{Cell: &cell}); err != nil {
		s.t.Fatalf("%s plays %d: %v", s.c.UserID(), cell, err)
	}
	var m games.Moved
	if err := s.until(games.EventMoved).Decode(&m); err != nil {
		s.t.Fatal(err)
	}
	return m
}

// pair seats alice (X) and bob (O) and waits for the start.
func (rs *restarter) pair() (alice, bob *seen, epoch string) {
	rs.t.Helper()
	return rs.pairOf("alice", "bob", "n1")
}

// pairOf seats a (X) and b (O) in the match with nonce and waits for the
// start.
func (rs *restarter) pairOf(a, b, nonce string) (alice, bob *seen, epoch string) {
	rs.t.Helper()
	params := games.JoinParams{Seats: []string{a, b}, Nonce: nonce}
	var out [2]*seen
	for i, u := range []string{a, b} {
		c := rs.dial(u)
		j, err := c.Join(context.Background(), "games.tictactoe", params)
		if err != nil {
			rs.t.Fatalf("%s joins: %v", u, err)
		}
		epoch = j.Epoch
		out[i] = &seen{t: rs.t, c: c, room: j.Room, seq: j.Seq}
	}
	out[0].until(games.EventStarted) // bob's join started the match
	return out[0], out[1], epoch
}

// snapshot joins as a spectator and returns the match's snapshot and the
// room's epoch.
func (rs *restarter) snapshot(user, roomID string) (games.Snapshot, string) {
	rs.t.Helper()
	c := rs.dial(user)
	j, err := c.Join(context.Background(), "games.tictactoe", games.JoinParams{Room: roomID})
	if err != nil {
		rs.t.Fatalf("%s watches: %v", user, err)
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil {
		rs.t.Fatal(err)
	}
	_ = c.Close()
	return snap, j.Epoch
}

// TestRestartResumesMatch: a timed match survives a server restart. The
// players' clients reconnect and resume with their epoch and seq: no
// snapshot, no gap; a player who comes back after the other has moved
// gets the missed events from the store (the new rooms keep no replay
// buffer). The seat to move resumes with the time it had at the last
// stored move: neither the time before the crash nor the time the server
// was down is charged. The finished game is in both players' histories.
func TestRestartResumesMatch(t *testing.T) {
	rs := newRestarter(t, games.Config{TimeControl: games.TimeControl{Base: time.Minute}, Grace: 10 * time.Minute})
	alice, bob, epoch := rs.pair()
	alice.play(0)
	rs.clk.Advance(10 * time.Second)
	bob.play(3) // bob: 50s left; alice to move with 60s
	alice.until(games.EventMoved)
	rs.clk.Advance(7 * time.Second)

	rs.block("bob", true)
	rs.restart(time.Hour, room.Config{ReplayEvents: -1})
	alice.until(games.EventPlayerBack)
	snap, ep := rs.snapshot("carol", alice.room)
	if ep != epoch || snap.Status != games.StatusPlaying || snap.Ply != 2 || snap.Turn != 0 ||
		!slices.Equal(snap.Clocks, []int64{60_000, 50_000}) || !slices.Equal(snap.Players, []string{"alice", "bob"}) {
		t.Fatalf("after the restart: epoch %q (was %q), %+v", ep, epoch, snap)
	}
	rs.clk.Advance(2 * time.Second)
	if m := alice.play(1); !slices.Equal(m.Clocks, []int64{58_000, 50_000}) || m.Ply != 3 {
		t.Fatalf("alice's move after the restart: %+v", m)
	}

	rs.block("bob", false) // bob comes back having missed alice's move
	for p := (games.Presence{}); p.User != "bob"; {
		if err := bob.until(games.EventPlayerBack).Decode(&p); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(bob.moves, []int{0, 3, 1}) {
		t.Fatalf("bob saw moves %v, want [0 3 1]", bob.moves)
	}
	bob.play(4)
	alice.play(2) // the top row
	var over games.GameOver
	if err := alice.until(games.EventGameOver).Decode(&over); err != nil || over.Winner != 0 || over.Reason != "line" {
		t.Fatalf("game over: %+v, %v", over, err)
	}
	bob.until(games.EventGameOver)
	for _, s := range []*seen{alice, bob} {
		if !slices.Equal(s.moves, []int{0, 3, 1, 4, 2}) {
			t.Fatalf("%s saw moves %v", s.c.UserID(), s.moves)
		}
	}
	for _, u := range []string{"alice", "bob"} {
		list, err := rs.store.Finished(context.Background(), u, games.HistoryCursor{}, 10)
		if err != nil || len(list) != 1 || len(list[0].Moves) != 5 || list[0].Result != (games.Result{Winner: 0, Reason: "line"}) {
			t.Fatalf("%s's history: %+v, %v", u, list, err)
		}
	}
}

// TestRestartClockAndGrace: after a restart, the seat to move has the
// time it had at the last stored move, counted from the rebuild, and
// every seat's disconnect grace starts again: a player who does not come
// back forfeits once it runs out, whatever was left of it before.
func TestRestartClockAndGrace(t *testing.T) {
	rs := newRestarter(t, games.Config{TimeControl: games.TimeControl{Base: time.Minute}, Grace: 40 * time.Second})
	alice, bob, _ := rs.pair()
	alice.play(0)
	bob.until(games.EventMoved)
	rs.clk.Advance(30 * time.Second) // bob thinks for 30s, then the server dies
	rs.block("bob", true)
	rs.restart(time.Hour, room.Config{})
	alice.until(games.EventPlayerBack)

	rs.clk.Advance(39 * time.Second)
	snap, _ := rs.snapshot("carol", alice.room)
	if snap.Status != games.StatusPlaying || !slices.Equal(snap.Clocks, []int64{60_000, 21_000}) || !slices.Equal(snap.Present, []bool{true, false}) {
		t.Fatalf("39s after the restart: %+v", snap)
	}
	rs.clk.Advance(time.Second) // bob's grace, restarted at the rebuild, runs out
	var over games.GameOver
	if err := alice.until(games.EventGameOver).Decode(&over); err != nil || over.Winner != 0 || over.Reason != games.ReasonForfeit {
		t.Fatalf("game over: %+v, %v", over, err)
	}
}

// send sends an event with no payload and fails the test on an error.
func (s *seen) send(event string) {
	s.t.Helper()
	if _, err := s.c.Send(context.Background(), s.room, event, nil); err != nil {
		s.t.Fatalf("%s sends %s: %v", s.c.UserID(), event, err)
	}
}

// TestRestartKeepsOffers: a pending draw offer comes back after a
// restart and can be accepted; so do rematch votes once the match is
// over.
func TestRestartKeepsOffers(t *testing.T) {
	rs := newRestarter(t, games.Config{})
	alice, bob, _ := rs.pair()
	alice.play(4)
	alice.send(games.EventOfferDraw)
	bob.until(games.EventDrawOffered)
	rs.restart(time.Minute, room.Config{})
	alice.until(games.EventPlayerBack)
	bob.until(games.EventPlayerBack)
	if snap, _ := rs.snapshot("carol", alice.room); snap.DrawOffer != 0 || snap.Ply != 1 {
		t.Fatalf("after the restart: %+v", snap)
	}
	bob.send(games.EventAcceptDraw)
	var over games.GameOver
	if err := alice.until(games.EventGameOver).Decode(&over); err != nil || over.Winner != -1 || over.Reason != games.ReasonAgreement {
		t.Fatalf("game over: %+v, %v", over, err)
	}
	bob.until(games.EventGameOver)

	bob.send(games.EventRematch)
	alice.until(games.EventRematchOffered)
	rs.restart(time.Minute, room.Config{})
	alice.send(games.EventRematch) // the client rejoins first, then sends
	var rm games.Rematch
	if err := bob.until(games.EventRematchReady).Decode(&rm); err != nil || !slices.Equal(rm.Seats, []string{"bob", "alice"}) {
		t.Fatalf("rematch: %+v, %v", rm, err)
	}
}

// TestRestartKeepsArranged: quick-match pairings announced before a
// restart, one of them joined by one player then, and a rematch agreed
// before another restart, are joined after them as matches the server
// arranged. With Config.Secret their nonces are signed, so CanChallenge,
// which refuses everyone from the pairings on, is not asked, and no match
// is told as a challenge: not by RestoreChallenges, not at its start, not
// at its end.
func TestRestartKeepsArranged(t *testing.T) {
	var strict atomic.Bool
	var mu sync.Mutex
	var notices []games.ChallengeNotice
	told := make(chan struct{}, 16)
	rs := newRestarter(t, games.Config{
		QuickMatch: true, Grace: time.Hour, Secret: []byte("parlor test secret"),
		CanChallenge: func(context.Context, string, string) error {
			if strict.Load() {
				return games.ErrNotAllowed
			}
			return nil
		},
		OnChallenge: func(_ context.Context, n games.ChallengeNotice) {
			mu.Lock()
			notices = append(notices, n)
			mu.Unlock()
			told <- struct{}{}
		},
	})
	ctx := context.Background()
	// pairUp queues a and b, waits for their pairing, and takes them out
	// of the queue, as a client does once it is matched.
	pairUp := func(a, b string) (clients [2]*client.Client, matched [2]games.Matched) {
		t.Helper()
		var queues [2]string
		for i, u := range []string{a, b} {
			clients[i] = rs.dial(u)
			j, err := clients[i].Join(ctx, "games.tictactoe", games.JoinParams{Quick: true})
			if err != nil {
				t.Fatalf("%s queues: %v", u, err)
			}
			queues[i] = j.Room
		}
		for i, c := range clients {
			ev := testserver.NextNamed(t, c, queues[i], games.EventMatched, 5*time.Second)
			if err := ev.Decode(&matched[i]); err != nil {
				t.Fatal(err)
			}
			if err := c.Leave(ctx, queues[i]); err != nil {
				t.Fatalf("%s leaves the queue: %v", c.UserID(), err)
			}
		}
		if matched[0].Nonce != matched[1].Nonce || len(matched[0].Nonce) > games.MaxNonceLen {
			t.Fatalf("pairing: %+v, %+v", matched[0], matched[1])
		}
		return clients, matched
	}
	users := []string{"alice", "bob"}
	clients, matched := pairUp("alice", "bob")
	waiting, wm := pairUp("carol", "dave")
	// carol joins her pairing before the restart: stored, waiting for dave.
	if _, err := waiting[0].Join(ctx, "games.tictactoe", games.JoinParams{Seats: wm[0].Seats, Nonce: wm[0].Nonce}); err != nil {
		t.Fatalf("carol joins her pairing: %v", err)
	}
	strict.Store(true)
	rs.restart(time.Second, room.Config{})

	// The waiting pairing is taken up again, counted and with its start
	// timeout, but told to nobody; it starts with dave's join and carol's
	// client rejoining it.
	if n, err := rs.mod.Load().RestoreChallenges(ctx); n != 1 || err != nil {
		t.Fatalf("RestoreChallenges: %d, %v; want the waiting pairing", n, err)
	}
	j, err := waiting[1].Join(ctx, "games.tictactoe", games.JoinParams{Seats: wm[1].Seats, Nonce: wm[1].Nonce})
	if err != nil {
		t.Fatalf("dave joins his pairing after the restart: %v", err)
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	if snap.Status != games.StatusPlaying { // carol's client is not back in it yet
		dave := &seen{t: t, c: waiting[1], room: j.Room, seq: j.Seq}
		dave.until(games.EventStarted)
	}

	// The pairing: neither player joined it before the restart. Only its
	// signed nonce says it was arranged, and in which seats: a first join
	// in the other seats is refused.
	if _, err := clients[1].Join(ctx, "games.tictactoe", games.JoinParams{Seats: []string{matched[0].Seats[1], matched[0].Seats[0]}, Nonce: matched[1].Nonce}); err == nil || err.Error() != games.ErrSeatedAsArranged.Error() {
		t.Fatalf("bob's join in the other seats after the restart: %v, want %v", err, games.ErrSeatedAsArranged)
	}
	var players [2]*seen
	for i, c := range clients {
		j, err := c.Join(ctx, "games.tictactoe", games.JoinParams{Seats: matched[i].Seats, Nonce: matched[i].Nonce})
		if err != nil {
			t.Fatalf("%s joins the pairing after the restart: %v", users[i], err)
		}
		players[i] = &seen{t: t, c: c, room: j.Room, seq: j.Seq}
	}
	players[0].until(games.EventStarted) // the second join started it
	x, o := players[0], players[1]
	if matched[0].Seat != 0 {
		x, o = o, x
	}
	for _, cell := range []int{0, 3, 1, 4} {
		if cell == 0 || cell == 1 {
			x.play(cell)
		} else {
			o.play(cell)
		}
	}
	x.play(2) // a row: X wins
	x.until(games.EventGameOver)
	o.until(games.EventGameOver)
	x.send(games.EventRematch)
	o.send(games.EventRematch)
	var rm games.Rematch
	if err := x.until(games.EventRematchReady).Decode(&rm); err != nil {
		t.Fatal(err)
	}
	rs.restart(time.Second, room.Config{})

	// The rematch: agreed before the restart, joined after it.
	for _, p := range []*seen{o, x} {
		j, err := p.c.Join(ctx, "games.tictactoe", games.JoinParams{Seats: rm.Seats, Nonce: rm.Nonce})
		if err != nil {
			t.Fatalf("%s joins the rematch after the restart: %v", p.c.UserID(), err)
		}
		p.room, p.seq = j.Room, j.Seq
	}
	o.until(games.EventStarted) // x's join started it

	// Rebuilt from the store, the rematch still knows it was arranged:
	// its end is not told as a challenge's.
	rs.restart(time.Second, room.Config{})
	first, second := o, x // the seats rotated
	first.until(games.EventPlayerBack)
	second.until(games.EventPlayerBack)
	for _, cell := range []int{0, 3, 1, 4} {
		if cell == 0 || cell == 1 {
			first.play(cell)
		} else {
			second.play(cell)
		}
	}
	first.play(2)
	var over games.GameOver
	if err := second.until(games.EventGameOver).Decode(&over); err != nil || over.Winner != 0 {
		t.Fatalf("rematch over: %+v, %v", over, err)
	}
	// Notices go out from a goroutine of each match: give them time.
	select {
	case <-told:
	case <-time.After(200 * time.Millisecond):
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 0 {
		t.Fatalf("arranged matches told as challenges: %+v", notices)
	}
}

// TestReplayLimit: a client that missed more events than
// Config.ReplayLimit is not replayed from the store but rejoins with a
// snapshot, while the player who missed nothing resumes as usual.
func TestReplayLimit(t *testing.T) {
	rs := newRestarter(t, games.Config{ReplayLimit: 2, Grace: time.Hour})
	alice, bob, _ := rs.pair()
	alice.play(4)
	bob.play(0)
	alice.until(games.EventMoved)
	rs.block("bob", true)
	rs.restart(time.Minute, room.Config{ReplayEvents: -1})
	alice.until(games.EventPlayerBack)
	alice.play(8) // bob misses player_back, moved and state: 3 events
	rs.block("bob", false)
	ev := testserver.NextNamed(t, bob.c, bob.room, client.EventRejoined, 5*time.Second)
	var snap games.Snapshot
	if err := ev.Decode(&snap); err != nil || snap.Ply != 3 || snap.Turn != 1 {
		t.Fatalf("bob's snapshot: %+v, %v", snap, err)
	}
	bob.seq = ev.Seq
	bob.play(2)
	alice.until(games.EventMoved)
	if !slices.Equal(alice.moves, []int{4, 0, 8, 2}) {
		t.Fatalf("alice saw moves %v", alice.moves)
	}
}

// failingStore fails the appends of one match while failing is set.
type failingStore struct {
	games.Store
	match   atomic.Pointer[string]
	failing atomic.Bool
}

func (s *failingStore) Append(ctx context.Context, w games.Write) error {
	if s.failing.Load() && w.Match == *s.match.Load() {
		return errors.New("disk on fire")
	}
	return s.Store.Append(ctx, w)
}

// TestStoreFailure: a move the store fails to write is refused with
// unavailable, is never broadcast, and closes the match room; its
// players rejoin and find the match as stored. A bystander match on the
// same module plays on meanwhile.
func TestStoreFailure(t *testing.T) {
	fs := &failingStore{Store: games.NewMemoryStore()}
	rs := newRestarter(t, games.Config{Store: fs})
	alice, bob, _ := rs.pair()
	carol, dave, _ := rs.pairOf("carol", "dave", "n2")
	alice.play(4)
	fs.match.Store(&alice.room)
	fs.failing.Store(true)
	cell := 0
	_, err := bob.c.Send(context.Background(), bob.room, games.EventMove, tictactoe.Move{Cell: &cell})
	if code := codec.AsError(err).Code; code != codec.CodeUnavailable {
		t.Fatalf("a move the store failed: %v, want unavailable", err)
	}
	for ev := bob.next(); !ev.Left; ev = bob.next() {
	}
	if !slices.Equal(bob.moves, []int{4}) {
		t.Fatalf("bob saw moves %v; the refused one must not be broadcast", bob.moves)
	}
	carol.play(0) // the bystander match is untouched
	dave.play(1)
	fs.failing.Store(false)

	j, err := bob.c.Join(context.Background(), "games.tictactoe", games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "n1"})
	if err != nil {
		t.Fatalf("bob rejoins: %v", err)
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil || snap.Ply != 1 || snap.Turn != 1 || snap.Status != games.StatusPlaying {
		t.Fatalf("the match as stored: %+v, %v", snap, err)
	}
	bob.seq = j.Seq
	if _, err := bob.c.Send(context.Background(), bob.room, games.EventMove, tictactoe.Move{Cell: &cell}); err != nil {
		t.Fatalf("bob moves again: %v", err)
	}
}

// TestWatchStoredMatch: after a restart, a {room} join of a stored match
// that is not running yet rebuilds it (Config.Rooms checks the store
// too), while an id that is neither running nor stored is not_found.
func TestWatchStoredMatch(t *testing.T) {
	st := &loadCounter{Store: games.NewMemoryStore()}
	rs := newRestarter(t, games.Config{Grace: time.Hour, Store: st})
	alice, bob, _ := rs.pair()
	alice.play(4)
	bob.until(games.EventMoved)
	rs.block("alice", true)
	rs.block("bob", true)
	rs.restart(time.Minute, room.Config{})
	st.loads.Store(0)
	snap, _ := rs.snapshot("carol", alice.room)
	if snap.Ply != 1 || snap.Status != games.StatusPlaying || snap.Seat != -1 || !slices.Equal(snap.Present, []bool{false, false}) {
		t.Fatalf("carol's snapshot of the rebuilt match: %+v", snap)
	}
	if n := st.loads.Load(); n != 1 {
		t.Fatalf("the join read the whole log %d times, want once (by the room it rebuilt)", n)
	}
	c := rs.dial("carol")
	_, err := c.Join(context.Background(), "games.tictactoe", games.JoinParams{Room: strings.Repeat("ab", 32)})
	if code := codec.AsError(err).Code; code != codec.CodeNotFound {
		t.Fatalf("watching an unknown match: %v, want not_found", err)
	}
}

// A spectator's look at a stored match that none of its players came
// back to after a restart changes nothing: no clock runs and no grace
// period passes until one of its players joins, however long the
// rebuilt room lives. From that join on, the seat to move has its clock
// again and the absent player the grace period.
func TestSpectatorLookLeavesStoredMatch(t *testing.T) {
	rs := newRestarter(t, games.Config{Grace: 40 * time.Second, TimeControl: games.TimeControl{Base: time.Minute}})
	alice, bob, _ := rs.pair()
	alice.play(4)
	bob.until(games.EventMoved)
	rs.block("alice", true)
	rs.block("bob", true)
	rs.restart(time.Minute, room.Config{})
	rs.snapshot("carol", alice.room) // looks in and leaves
	rs.clk.Advance(2 * time.Minute)  // past the grace, bob's clock and the room's idle time
	snap, _ := rs.snapshot("dave", alice.room)
	if snap.Status != games.StatusPlaying || snap.Ply != 1 || snap.Turn != 1 {
		t.Fatalf("two minutes after a spectator's look, the match is %s at ply %d, turn %d, result %+v; want playing at ply 1, bob to move",
			snap.Status, snap.Ply, snap.Turn, snap.Result)
	}
	rs.block("alice", false) // alice's client resumes: the match is hers again
	alice.until(games.EventPlayerBack)
	rs.clk.Advance(41 * time.Second) // bob's grace runs out before his clock
	var over games.GameOver
	if err := alice.until(games.EventGameOver).Decode(&over); err != nil || over.Winner != 0 || over.Reason != games.ReasonForfeit {
		t.Fatalf("game over %+v (%v), want bob's forfeit after his grace from alice's return", over, err)
	}
}

// A rebuilt match that no player has claimed runs no clock, and shows
// none running: a spectator who stays in it, and one who looks in later,
// see the seat to move with the time the log left it, not counting down.
func TestUnclaimedClocksStill(t *testing.T) {
	rs := newRestarter(t, games.Config{Grace: time.Hour, TimeControl: games.TimeControl{Base: time.Minute}})
	alice, bob, _ := rs.pair()
	alice.play(4)
	bob.until(games.EventMoved)
	rs.block("alice", true)
	rs.block("bob", true)
	rs.restart(time.Minute, room.Config{})
	carol := rs.dial("carol") // watches, and stays
	j, err := carol.Join(context.Background(), "games.tictactoe", games.JoinParams{Room: alice.room})
	if err != nil {
		t.Fatal(err)
	}
	var first games.Snapshot
	if err := j.Decode(&first); err != nil {
		t.Fatal(err)
	}
	rs.clk.Advance(30 * time.Second)
	later, _ := rs.snapshot("dave", alice.room)
	if !slices.Equal(later.Clocks, first.Clocks) || first.Clocks[1] != time.Minute.Milliseconds() {
		t.Fatalf("clocks %v at the rebuild, %v 30 s later with no player back; want bob's minute both times", first.Clocks, later.Clocks)
	}
}

// loadCounter is a store that counts the calls of Load, which read a
// match's whole log.
type loadCounter struct {
	games.Store
	loads atomic.Int32
}

func (s *loadCounter) Load(ctx context.Context, id string) (games.MatchInfo, []games.Entry, error) {
	s.loads.Add(1)
	return s.Store.Load(ctx, id)
}

// A seat's player_left and player_back events are stored up to
// MaxPresenceEvents; past it they still reach the members, as ephemeral
// events, and the log stops growing however often the player leaves and
// comes back. A rebuilt match counts the ones stored before.
func TestPresenceEventsBounded(t *testing.T) {
	rs := newRestarter(t, games.Config{Grace: time.Hour, MaxPresenceEvents: 2})
	alice, bob, _ := rs.pair()
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "n1"}
	presence := func() (n int) {
		t.Helper()
		_, log, err := rs.store.Load(context.Background(), alice.room)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			if e.Event == games.EventPlayerLeft || e.Event == games.EventPlayerBack {
				n++
			}
		}
		return n
	}
	for round := range 3 {
		if err := bob.c.Leave(context.Background(), bob.room); err != nil {
			t.Fatal(err)
		}
		if ev := alice.until(games.EventPlayerLeft); (ev.Seq != 0) != (round == 0) {
			t.Fatalf("round %d: player_left at seq %d, stored only in round 0", round, ev.Seq)
		}
		j, err := bob.c.Join(context.Background(), "games.tictactoe", params)
		if err != nil {
			t.Fatal(err)
		}
		bob.seq = j.Seq
		if ev := alice.until(games.EventPlayerBack); (ev.Seq != 0) != (round == 0) {
			t.Fatalf("round %d: player_back at seq %d, stored only in round 0", round, ev.Seq)
		}
	}
	if n := presence(); n != 2 {
		t.Fatalf("%d presence events stored, want 2", n)
	}

	// Rebuilt: alice's return is stored (her seat's first), bob's is not.
	rs.block("alice", true)
	rs.block("bob", true)
	rs.restart(time.Second, room.Config{})
	rs.block("alice", false)
	deadline := time.Now().Add(5 * time.Second)
	for presence() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("%d presence events stored after alice's return, want 3", presence())
		}
		time.Sleep(5 * time.Millisecond)
	}
	rs.block("bob", false)
	for { // alice's resume replays her own return first
		ev := alice.until(games.EventPlayerBack)
		var p games.Presence
		if err := ev.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Seat != 1 {
			continue
		}
		if ev.Seq != 0 {
			t.Fatalf("bob's return to the rebuilt match at seq %d, want it past the bound (ephemeral)", ev.Seq)
		}
		break
	}
	if n := presence(); n != 3 {
		t.Fatalf("%d presence events stored after bob's return, want 3", n)
	}
	alice.play(4) // the match goes on
	bob.until(games.EventMoved)
}

// The creator of a challenge cannot decline it, after a restart as
// before (a rebuilt match does not keep who joined): only the challenged
// player declines, and the challenger cancels.
func TestCreatorCannotDeclineRestored(t *testing.T) {
	hl := newHookLog()
	rs := newRestarter(t, games.Config{OnChallenge: hl.hook})
	if _, err := rs.challenge("alice", "bob", "n1"); err != nil {
		t.Fatal(err)
	}
	hl.states(t, 1)
	decline := func() error {
		c := rs.dial("alice")
		defer c.Close()
		_, err := c.Join(context.Background(), "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "n1", Decline: true})
		return err
	}
	if err := decline(); codec.AsError(err).Code != codec.CodeConflict {
		t.Fatalf("before the restart, alice declines her own challenge: %v, want conflict", err)
	}
	rs.restart(time.Second, room.Config{})
	if _, err := rs.mod.Load().RestoreChallenges(context.Background()); err != nil {
		t.Fatal(err)
	}
	hl.states(t, 1)
	if err := decline(); codec.AsError(err).Code != codec.CodeConflict {
		t.Fatalf("after the restart, alice declines her own challenge: %v, want conflict", err)
	}
}
