package games_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room/roomtest"
)

const c4Kind = "games.connectfour"

// challenge has p create (or join) the match of p and opponent with nonce.
func challenge(p *gamestest.Player, opponent, nonce string) error {
	return p.Join(games.JoinParams{Seats: []string{p.User, opponent}, Nonce: nonce})
}

// accept has p join the match of challenger and p with nonce.
func accept(p *gamestest.Player, challenger, nonce string) error {
	return p.Join(games.JoinParams{Seats: []string{challenger, p.User}, Nonce: nonce})
}

// TestMaxChallenges bounds the challenges one user has waiting: one more
// is limit_exceeded and creates no room, a challenge stops counting once
// accepted, and challenges naming another user do not count against them.
func TestMaxChallenges(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(connectFour{}, games.Config{MaxChallenges: 2}))
	alice := gamestest.Dial(t, s, c4Kind, "alice")
	for _, opp := range []string{"bob", "carol"} {
		if err := challenge(alice, opp, "n-"+opp); err != nil {
			t.Fatalf("challenge %s: %v", opp, err)
		}
	}
	rooms := s.Engine.Stats().Rooms
	err := challenge(alice, "dave", "n-dave")
	if gamestest.Code(err) != codec.CodeLimitExceeded || err.Error() != games.ErrTooManyChallenges.Error() {
		t.Fatalf("third challenge: %v, want %v", err, games.ErrTooManyChallenges)
	}
	// The refused join closed the room it had started (r.Close); the
	// room leaves the engine's registry as its goroutine ends, which may
	// be just after the reply.
	if n := roomsSettle(s.Engine, rooms); n != rooms {
		t.Fatalf("a refused challenge left %d rooms, want %d", n, rooms)
	}

	// Bob is named in one of alice's challenges; his own two still go
	// ahead, and so does his acceptance of hers.
	bob := gamestest.Dial(t, s, c4Kind, "bob")
	for _, opp := range []string{"erin", "frank"} {
		if err := challenge(bob, opp, "b-"+opp); err != nil {
			t.Fatalf("bystander bob's challenge to %s: %v", opp, err)
		}
	}
	bob2 := gamestest.Dial(t, s, c4Kind, "bob")
	if err := accept(bob2, "alice", "n-bob"); err != nil || bob2.Joined.Status != games.StatusPlaying {
		t.Fatalf("bob accepts: %v %+v", err, bob2.Joined)
	}
	// Accepted, alice's challenge no longer counts.
	if err := challenge(alice, "dave", "n-dave"); err != nil {
		t.Fatalf("challenge after one was accepted: %v", err)
	}
}

// TestMaxMatches bounds the matches a user plays at once: joining one more
// is limit_exceeded, a finished match stops counting, and the refused
// join leaves the other player's challenge waiting.
func TestMaxMatches(t *testing.T) {
	s := testserver.Start(t, engine.Config{}, games.NewModule(connectFour{}, games.Config{MaxMatches: 2}))
	first, _ := gamestest.Pair(t, s, c4Kind, "alice", "bob")
	gamestest.Pair(t, s, c4Kind, "alice", "carol")

	alice := gamestest.Dial(t, s, c4Kind, "alice")
	if err := challenge(alice, "dave", "x"); gamestest.Code(err) != codec.CodeLimitExceeded {
		t.Fatalf("alice's third match: %v, want limit_exceeded", err)
	}
	dave := gamestest.Dial(t, s, c4Kind, "dave")
	if err := challenge(dave, "alice", "y"); err != nil {
		t.Fatalf("bystander dave's challenge: %v", err)
	}
	err := accept(alice, "dave", "y")
	if gamestest.Code(err) != codec.CodeLimitExceeded || err.Error() != games.ErrTooManyMatches.Error() {
		t.Fatalf("alice accepts a third match: %v, want %v", err, games.ErrTooManyMatches)
	}
	if dave.Joined.Status != games.StatusWaiting {
		t.Fatalf("dave's challenge: %+v", dave.Joined)
	}
	// Alice resigns one; now she may take dave's.
	if err := first.Do(games.EventResign, nil); err != nil {
		t.Fatal(err)
	}
	if err := accept(alice, "dave", "y"); err != nil || alice.Joined.Status != games.StatusPlaying {
		t.Fatalf("alice accepts after a match ended: %v %+v", err, alice.Joined)
	}
}

// TestMaxQueuedAcrossGames shares a Ledger between two games' modules: a
// user waits in one quick-match queue at a time, across both.
func TestMaxQueuedAcrossGames(t *testing.T) {
	ledger := games.NewLedger()
	s := testserver.Start(t, engine.Config{},
		games.NewModule(tictactoe.Game{}, games.Config{QuickMatch: true, Ledger: ledger}),
		games.NewModule(connectFour{}, games.Config{QuickMatch: true, Ledger: ledger}))
	a1 := gamestest.Dial(t, s, tttKind, "alice")
	if err := a1.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	a2 := gamestest.Dial(t, s, c4Kind, "alice")
	err := a2.Join(games.JoinParams{Quick: true})
	if gamestest.Code(err) != codec.CodeLimitExceeded || err.Error() != games.ErrTooManyQueued.Error() {
		t.Fatalf("second queue: %v, want %v", err, games.ErrTooManyQueued)
	}
	// Joining the same queue again (another tab) is not another entry.
	tab := gamestest.Dial(t, s, tttKind, "alice")
	if err := tab.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatalf("same queue, second tab: %v", err)
	}
	// A bystander queues for connect four.
	bob := gamestest.Dial(t, s, c4Kind, "bob")
	if err := bob.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatalf("bystander bob queues: %v", err)
	}
	// Out of the tic-tac-toe queue (both tabs), alice may queue for
	// connect four, where bob waits.
	for _, p := range []*gamestest.Player{a1, tab} {
		ctx, cancel := context.WithTimeout(context.Background(), gamestest.Timeout)
		if err := p.Client.Leave(ctx, p.Room); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	if err := a2.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatalf("connect four queue after leaving the other: %v", err)
	}
	var m games.Matched
	a2.Expect(games.EventMatched, &m)
	if m.Opponent != "bob" {
		t.Fatalf("matched %+v", m)
	}
}

var retryAfter = regexp.MustCompile(`retry_after_ms=(\d+)$`)

// TestQuickMatchCooldown checks the rule of Config.QuickMatchStrikes: a
// user paired three times in a row without making a move is refused the
// queue with rate_limited until a minute after the last pairing; a move
// clears the count; other users queue as usual.
func TestQuickMatchCooldown(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	var ecfg engine.Config
	ecfg.Room.Clock = clk
	ecfg.Room.IdleTTL = time.Hour
	s := testserver.Start(t, ecfg, games.NewModule(tictactoe.Game{}, games.Config{QuickMatch: true}))
	alice := gamestest.Dial(t, s, tttKind, "alice")
	bob := gamestest.Dial(t, s, tttKind, "bob")
	queue := func(p *gamestest.Player) error { return p.Join(games.JoinParams{Quick: true}) }
	// pair queues alice then bob and returns the match they are paired in.
	pair := func() games.Matched {
		t.Helper()
		for _, p := range []*gamestest.Player{alice, bob} {
			if err := queue(p); err != nil {
				t.Fatalf("%s queues: %v", p.User, err)
			}
		}
		var m games.Matched
		alice.Expect(games.EventMatched, &m)
		bob.Expect(games.EventMatched, &m)
		return m
	}

	// Two pairings left unplayed, then a third in which alice moves.
	pair()
	pair()
	m := pair()
	x := gamestest.Dial(t, s, tttKind, "alice")
	o := gamestest.Dial(t, s, tttKind, "bob")
	for _, p := range []*gamestest.Player{x, o} {
		if err := p.Join(games.JoinParams{Seats: m.Seats, Nonce: m.Nonce}); err != nil {
			t.Fatal(err)
		}
	}
	x.MustMove(map[string]int{"cell": 4})

	// Bob has three unplayed pairings: a minute's cooldown from the last.
	clk.Advance(10 * time.Second)
	err := queue(bob)
	if gamestest.Code(err) != codec.CodeRateLimited {
		t.Fatalf("bob queues after three unplayed pairings: %v, want rate_limited", err)
	}
	if got := retryAfter.FindStringSubmatch(err.Error()); got == nil || got[1] != "50000" {
		t.Fatalf("bob's refusal %q, want retry_after_ms=50000", err)
	}
	// Alice moved, so her count was cleared; carol never queued.
	if err := queue(alice); err != nil {
		t.Fatalf("alice queues after moving: %v", err)
	}
	carol := gamestest.Dial(t, s, tttKind, "carol")
	if err := queue(carol); err != nil {
		t.Fatalf("bystander carol queues: %v", err)
	}
	var mc games.Matched
	carol.Expect(games.EventMatched, &mc)
	if mc.Opponent != "alice" {
		t.Fatalf("carol matched %+v", mc)
	}

	clk.Advance(50*time.Second - time.Millisecond)
	if err := queue(bob); gamestest.Code(err) != codec.CodeRateLimited {
		t.Fatalf("bob queues a millisecond early: %v", err)
	}
	clk.Advance(time.Millisecond)
	if err := queue(bob); err != nil {
		t.Fatalf("bob queues after the cooldown: %v", err)
	}
}

// roomsSettle waits up to 5 s for the engine's open rooms to number want,
// and returns the last count seen.
func roomsSettle(e *engine.Engine, want int) int {
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := e.Stats().Rooms
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}
