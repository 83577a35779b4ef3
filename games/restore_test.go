package games_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/room"
)

// openBolt opens the bbolt games store at path, closed at the end of the
// test unless closed before.
func openBolt(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// challenge has user create the match against opponent with nonce, on a
// connection closed at once, and returns the join's error and the match's
// room id.
func (rs *restarter) challenge(user, opponent, nonce string) (string, error) {
	rs.t.Helper()
	c := rs.dial(user)
	defer c.Close()
	j, err := c.Join(context.Background(), "games.tictactoe", games.JoinParams{Opponent: opponent, Nonce: nonce})
	if err != nil {
		return "", err
	}
	return j.Room, nil
}

// restartOnFile restarts the server on a store newly opened on the same
// bbolt file, after down has passed, and restores its challenges.
func (rs *restarter) restartOnFile(path string, down time.Duration) int {
	rs.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rs.eng.Load().Shutdown(ctx); err != nil {
		rs.t.Fatal(err)
	}
	if err := rs.cfg.Store.(*boltstore.Store).Close(); err != nil {
		rs.t.Fatal(err)
	}
	rs.cfg.Store = openBolt(rs.t, path)
	rs.clk.Advance(down)
	rs.start(room.Config{})
	n, err := rs.mod.Load().RestoreChallenges(ctx)
	if err != nil {
		rs.t.Fatal(err)
	}
	return n
}

// TestRestoreChallenges: a challenge stored in a bbolt file is taken up
// again by the server started on that file: the host hears of it as
// offered and restored, with its original deadline; it counts again
// against its challenger's open challenges; and it expires at that
// deadline on the games clock, in the store and for the host, which
// frees the challenger's count. The server's other matches are not
// touched.
func TestRestoreChallenges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	hl := newHookLog()
	rs := newRestarter(t, games.Config{Store: openBolt(t, path), OnChallenge: hl.hook, MaxChallenges: 2,
		StartTimeout: 2 * time.Minute, Grace: time.Hour}) // the bystander match does not end
	rs.pairOf("carol", "dave", "n9") // a bystander match, being played
	hl.states(t, 2)                  // its challenge, offered and accepted
	id, err := rs.challenge("alice", "bob", "n1")
	if err != nil {
		t.Fatalf("alice challenges bob: %v", err)
	}
	if got := hl.states(t, 1); got[2] != games.ChallengeOffered {
		t.Fatalf("before the restart the host heard %v", got)
	}
	created := rs.clk.Now()

	if n := rs.restartOnFile(path, 30*time.Second); n != 1 {
		t.Fatalf("RestoreChallenges took up %d challenges, want 1", n)
	}
	hl.states(t, 1)
	hl.mu.Lock()
	got := hl.list[3]
	hl.mu.Unlock()
	want := created.Add(2 * time.Minute).UnixMilli()
	if got.State != games.ChallengeOffered || !got.Restored || got.Room != id || got.From != "alice" ||
		got.Nonce != "n1" || got.ExpiresMS != want || !slices.Equal(got.Players, []string{"alice", "bob"}) {
		t.Fatalf("restored notice %+v, want offered and restored, expiring at %d", got, want)
	}

	// Counted again: alice has one open challenge of two.
	if _, err := rs.challenge("alice", "erin", "n2"); err != nil {
		t.Fatalf("alice's second challenge: %v", err)
	}
	if _, err := rs.challenge("alice", "frank", "n3"); codec.AsError(err).Code != codec.CodeLimitExceeded {
		t.Fatalf("alice's third challenge: %v, want limit_exceeded", err)
	}
	hl.states(t, 1) // the offer to erin

	// It expires at its deadline, not before.
	rs.clk.Advance(time.Minute + 29*time.Second)
	if _, log, _ := rs.cfg.Store.Load(context.Background(), id); len(log) != 0 {
		t.Fatalf("before its deadline the challenge's log holds %+v", log)
	}
	rs.clk.Advance(time.Second)
	if got := hl.states(t, 1); got[5] != games.ChallengeExpired {
		t.Fatalf("at the deadline the host heard %v", got)
	}
	hl.mu.Lock()
	exp := hl.list[5]
	hl.mu.Unlock()
	if exp.Room != id || exp.Restored {
		t.Fatalf("expired notice %+v", exp)
	}
	_, log, err := rs.cfg.Store.Load(context.Background(), id)
	var over games.GameOver
	if err != nil || len(log) != 1 || log[0].Event != games.EventGameOver || codec.UnmarshalData(log[0].Data, &over) != nil ||
		over.Reason != games.ReasonAborted || log[0].At != want {
		t.Fatalf("the expired challenge's log: %+v, %v", log, err)
	}
	if _, err := rs.challenge("alice", "frank", "n3"); err != nil {
		t.Fatalf("after the expiry alice's challenge: %v", err)
	}

	// A restart now finds nothing more to take up but the challenges
	// made since.
	if waiting, err := rs.cfg.Store.Waiting(context.Background(), "games.tictactoe", 0, 10); err != nil || len(waiting) != 2 {
		t.Fatalf("waiting after the expiry: %+v, %v", waiting, err)
	}
}

// TestRestoredChallengeAccepted: a restored challenge whose opponent
// accepts after the restart is taken over by its room: the match starts,
// the challenger's count is released, and the module's expiry does not
// fire at the old deadline.
func TestRestoredChallengeAccepted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "games.db")
	hl := newHookLog()
	rs := newRestarter(t, games.Config{Store: openBolt(t, path), OnChallenge: hl.hook, MaxChallenges: 1})
	if _, err := rs.challenge("alice", "bob", "n1"); err != nil {
		t.Fatal(err)
	}
	hl.states(t, 1)
	if n := rs.restartOnFile(path, time.Minute); n != 1 {
		t.Fatalf("RestoreChallenges took up %d challenges, want 1", n)
	}
	hl.states(t, 1)
	if _, err := rs.challenge("alice", "carol", "n2"); codec.AsError(err).Code != codec.CodeLimitExceeded {
		t.Fatalf("alice's second challenge before bob accepts: %v, want limit_exceeded", err)
	}
	bob := rs.dial("bob")
	j, err := bob.Join(context.Background(), "games.tictactoe", games.JoinParams{Opponent: "alice", Nonce: "n1"})
	if err != nil {
		t.Fatalf("bob accepts: %v", err)
	}
	var snap games.Snapshot
	if err := j.Decode(&snap); err != nil || snap.Status != games.StatusWaiting {
		t.Fatalf("bob's snapshot: %+v, %v", snap, err)
	}
	if _, err := rs.challenge("alice", "carol", "n2"); codec.AsError(err).Code != codec.CodeLimitExceeded {
		t.Fatalf("alice's second challenge while her first waits for her: %v, want limit_exceeded", err)
	}
	a := rs.dial("alice")
	if _, err := a.Join(context.Background(), "games.tictactoe", games.JoinParams{Opponent: "bob", Nonce: "n1"}); err != nil {
		t.Fatalf("alice rejoins: %v", err)
	}
	if got := hl.states(t, 1); got[2] != games.ChallengeAccepted {
		t.Fatalf("the host heard %v", got)
	}
	if _, err := rs.challenge("alice", "carol", "n2"); err != nil {
		t.Fatalf("alice's second challenge once the first started: %v", err)
	}
	hl.states(t, 1)
	rs.clk.Advance(time.Minute + time.Second) // past the first challenge's deadline, not the second's
	hl.mu.Lock()
	defer hl.mu.Unlock()
	for _, n := range hl.list {
		if n.State == games.ChallengeExpired {
			t.Fatalf("a started match expired: %+v", hl.list)
		}
	}
}
