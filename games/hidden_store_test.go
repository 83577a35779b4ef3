package games_test

import (
	"context"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/testserver"
)

// TestHiddenMovesRebuilt: a match of a game with private moves is rebuilt
// from its store on another server: the moves the events do not show are
// in the log all the same, so the rebuilt match has them, and the players
// still see only their own bids.
func TestHiddenMovesRebuilt(t *testing.T) {
	ctx := context.Background()
	store := games.NewMemoryStore()
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "sealed"}
	first := testserver.Start(t, engine.Config{}, games.NewModule(sealedBid{}, games.Config{Store: store}))
	alice, bob := first.Dial("alice"), first.Dial("bob")
	j, err := alice.Join(ctx, "games.sealedbid", params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.sealedbid", params); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, j.Room, games.EventMove, bid{Bid: 7}); err != nil {
		t.Fatal(err)
	}
	first.Stop()

	second := testserver.Start(t, engine.Config{}, games.NewModule(sealedBid{}, games.Config{Store: store}))
	bob = second.Dial("bob")
	bj, err := bob.Join(ctx, "games.sealedbid", params)
	if err != nil {
		t.Fatal(err)
	}
	var snap games.Snapshot
	var v bidView
	if err := bj.Decode(&snap); err != nil || codec.UnmarshalData(snap.View, &v) != nil || snap.Ply != 1 || v.Bids != [2]int{-1, -1} {
		t.Fatalf("bob's snapshot of the rebuilt match: %+v, bids %v, %v", snap, v.Bids, err)
	}
	if _, err := bob.Send(ctx, bj.Room, games.EventMove, bid{Bid: 5}); err != nil {
		t.Fatal(err)
	}
	var over games.GameOver
	if err := testserver.NextNamed(t, bob, bj.Room, games.EventGameOver, 5*time.Second).Decode(&over); err != nil || over.Winner != 0 || over.Reason != "higher_bid" {
		t.Fatalf("game over: %+v, %v; alice's hidden 7 must beat 5", over, err)
	}
}
