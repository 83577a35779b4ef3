package games_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room/roomtest"
)

// TestChallengeRate checks Config.ChallengeRate: a user who creates and
// cancels challenges in a loop is refused with rate_limited and a
// retry_after_ms once the window holds the rate, whatever is still open;
// the refused challenge creates nothing and tells nobody; another user
// challenges the same opponent as usual; once the oldest challenge leaves
// the window the user may challenge again. The default is documented.
func TestChallengeRate(t *testing.T) {
	if games.DefaultChallengeRate != 20 || games.DefaultChallengeRateWindow != time.Minute {
		t.Fatalf("defaults %d per %s", games.DefaultChallengeRate, games.DefaultChallengeRateWindow)
	}
	clk := roomtest.NewFakeClock(time.Time{})
	var ecfg engine.Config
	ecfg.Room.Clock = clk
	hl := newHookLog()
	s := testserver.Start(t, ecfg, games.NewModule(connectFour{}, games.Config{ChallengeRate: 3, OnChallenge: hl.hook}))
	churn := func(i int) error {
		p := gamestest.Dial(t, s, c4Kind, "alice")
		defer p.Close()
		if err := challenge(p, "bob", fmt.Sprint("churn-", i)); err != nil {
			return err
		}
		return p.Do(games.EventCancel, nil)
	}
	for i := range 3 {
		if err := churn(i); err != nil {
			t.Fatalf("challenge and cancel %d: %v", i, err)
		}
		clk.Advance(10 * time.Second)
	}
	hl.states(t, 6) // offered and cancelled, three times
	rooms := s.Engine.Stats().Rooms
	err := churn(3)
	if gamestest.Code(err) != codec.CodeRateLimited {
		t.Fatalf("the fourth challenge in a minute: %v, want rate_limited", err)
	}
	if got := retryAfter.FindStringSubmatch(err.Error()); got == nil || got[1] != "30000" {
		t.Fatalf("the refusal %q, want retry_after_ms=30000", err)
	}
	if n := roomsSettle(s.Engine, rooms); n != rooms {
		t.Fatalf("a refused challenge left %d rooms, want %d", n, rooms)
	}

	// A bystander challenges bob at once; bob accepts.
	carol := gamestest.Dial(t, s, c4Kind, "carol")
	if err := challenge(carol, "bob", "carol-1"); err != nil {
		t.Fatalf("bystander carol's challenge: %v", err)
	}
	bob := gamestest.Dial(t, s, c4Kind, "bob")
	if err := accept(bob, "carol", "carol-1"); err != nil || bob.Joined.Status != games.StatusPlaying {
		t.Fatalf("bob accepts carol's challenge: %v %+v", err, bob.Joined)
	}
	// Carol's offer and its acceptance: the refused one told nobody.
	if got := hl.states(t, 2); len(got) != 8 || got[6] != games.ChallengeOffered || got[7] != games.ChallengeAccepted {
		t.Fatalf("the host heard %v", got)
	}

	clk.Advance(30*time.Second - time.Millisecond)
	if err := churn(4); gamestest.Code(err) != codec.CodeRateLimited {
		t.Fatalf("a millisecond early: %v, want rate_limited", err)
	}
	clk.Advance(time.Millisecond)
	if err := churn(5); err != nil {
		t.Fatalf("once the first challenge left the window: %v", err)
	}
}
