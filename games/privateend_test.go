package games_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/testserver"
)

// lastWord is a game of two seats and one move each, which seat 0 wins
// once both have moved; every seat sees a view of its own to the end, as
// in a card game whose hands stay hidden.
type lastWord struct{}

func (lastWord) Name() string       { return "lastword" }
func (lastWord) Seats() int         { return 2 }
func (lastWord) Setup() games.State { return lastWordState(0) }
func (lastWord) NewMove() any       { return new(int) }

// lastWordState is the number of moves made.
type lastWordState int

func (s lastWordState) Turn() int {
	if s >= 2 {
		return -1
	}
	return int(s)
}

func (s lastWordState) Apply(seat int, _ []byte) (games.State, error) {
	if seat != s.Turn() {
		return nil, codec.Errorf(games.CodeNotYourTurn, "not your turn")
	}
	return s + 1, nil
}

func (s lastWordState) Result() *games.Result {
	if s < 2 {
		return nil
	}
	return &games.Result{Winner: 0, Reason: "last_word"}
}

func (s lastWordState) View(seat int) any { return fmt.Sprintf("seat %d after %d moves", seat, int(s)) }
func (s lastWordState) Key() string       { return fmt.Sprint(int(s)) }

// failGameOver is a store whose writes fail from the first one that holds
// a game_over on. With split, that write stores the entries before its
// game_over first, as two writes of which the second failed would.
type failGameOver struct {
	games.Store
	split bool
	dead  atomic.Bool
}

func (s *failGameOver) Append(ctx context.Context, w games.Write) error {
	for i, e := range w.Entries {
		if e.Event == games.EventGameOver && !s.dead.Swap(true) && s.split && i > 0 {
			w.Entries, w.Finished = w.Entries[:i], nil
			if err := s.Store.Append(ctx, w); err != nil {
				return err
			}
		}
	}
	if s.dead.Load() {
		return errors.New("the node died")
	}
	return s.Store.Append(ctx, w)
}

// lastWordMatch plays alice's move of a lastWord match on a server over
// store, has bob play the last one, and returns the error bob's move got
// and the match's room.
func lastWordMatch(t *testing.T, store games.Store) (string, error) {
	t.Helper()
	ctx := context.Background()
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "lw"}
	srv := testserver.Start(t, engine.Config{}, games.NewModule(lastWord{}, games.Config{Store: store}))
	defer srv.Stop()
	alice, bob := srv.Dial("alice"), srv.Dial("bob")
	j, err := alice.Join(ctx, "games.lastword", params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.lastword", params); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Send(ctx, j.Room, games.EventMove, 1); err != nil {
		t.Fatal(err)
	}
	_, err = bob.Send(ctx, j.Room, games.EventMove, 2)
	return j.Room, err
}

// rebuiltLastWord rebuilds the lastWord match of lastWordMatch on a new
// server over store, with bob's join, and returns bob's snapshot.
func rebuiltLastWord(t *testing.T, store games.Store) (*testserver.Server, games.Snapshot) {
	t.Helper()
	srv := testserver.Start(t, engine.Config{}, games.NewModule(lastWord{}, games.Config{Store: store, Grace: time.Hour}))
	bob := srv.Dial("bob")
	j, err := bob.Join(context.Background(), "games.lastword", games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "lw"})
	if err != nil {
		t.Fatal(err)
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil {
		t.Fatal(err)
	}
	return srv, snap
}

// The move that ends a game whose seats see private views is stored in
// one write with its game_over: when that write fails, neither is stored,
// the mover is refused, and the rebuilt match waits for the same move.
func TestFinalMoveWithPrivateViewsStoredWithGameOver(t *testing.T) {
	mem := games.NewMemoryStore()
	_, err := lastWordMatch(t, &failGameOver{Store: mem})
	if err == nil {
		t.Fatal("bob's last move was acked, though the write that held it failed")
	}
	_, snap := rebuiltLastWord(t, mem)
	if snap.Status != games.StatusPlaying || snap.Ply != 1 || snap.Turn != 1 {
		t.Fatalf("rebuilt: status %s ply %d turn %d; want playing at ply 1, bob to move", snap.Status, snap.Ply, snap.Turn)
	}
}

// A log that ends with the move that finished the game but without its
// game_over (written apart by an earlier version, whose second write
// failed) is rebuilt as the finished match the move made, not as a match
// being played that nobody can move in.
func TestRebuildEndsFinishedPosition(t *testing.T) {
	mem := games.NewMemoryStore()
	_, err := lastWordMatch(t, &failGameOver{Store: mem, split: true})
	if err == nil {
		t.Fatal("bob's last move was acked, though its game_over was not stored")
	}
	_, snap := rebuiltLastWord(t, mem)
	if snap.Status != games.StatusOver || snap.Result == nil || snap.Result.Winner != 0 || snap.Result.Reason != "last_word" {
		t.Fatalf("rebuilt: status %s ply %d turn %d result %+v; want over, won by seat 0 (last_word)", snap.Status, snap.Ply, snap.Turn, snap.Result)
	}
}
