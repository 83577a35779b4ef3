package games_test

import (
	"context"
	"testing"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/gamestest"
	"github.com/parlorhq/parlor/games/tictactoe"
	"github.com/parlorhq/parlor/internal/testserver"
)

// A CanChallenge that panics while the quick-match queue pairs a joiner
// refuses that pairing, as any refusal does: the joiner waits in line as
// a member, nobody is left in line (and counted by the Ledger) without
// being in the room, and a later joiner the policy has no trouble with
// is paired with the players before it.
func TestQueuePolicyPanicRefuses(t *testing.T) {
	ledger := games.NewLedger()
	policy := func(_ context.Context, from, to string) error {
		if from == "mallory" || to == "mallory" {
			var m map[string]*struct{ ok bool }
			_ = m["x"].ok // a host's bug: a nil profile
		}
		return nil
	}
	s := testserver.Start(t, engine.Config{},
		games.NewModule(tictactoe.Game{}, games.Config{QuickMatch: true, Ledger: ledger, CanChallenge: policy}),
		games.NewModule(connectFour{}, games.Config{QuickMatch: true, Ledger: ledger}))
	alice := gamestest.Dial(t, s, tttKind, "alice")
	if err := alice.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	mallory := gamestest.Dial(t, s, tttKind, "mallory")
	if err := mallory.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatalf("mallory's queue join, whose pairing the policy panics on: %v, want her waiting", err)
	}
	mallory.Close() // she leaves the line: her count is given back
	carol := gamestest.Dial(t, s, tttKind, "carol")
	if err := carol.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatal(err)
	}
	m2 := gamestest.Dial(t, s, c4Kind, "mallory")
	if err := m2.Join(games.JoinParams{Quick: true}); err != nil {
		t.Fatalf("mallory, out of the first line, joins another queue: %v", err)
	}
}
