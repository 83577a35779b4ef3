package main

import (
	"testing"

	"github.com/parlorhq/parlor/games"
)

// TestChallengeSurvivesRestart: a challenge made before a restart is in
// its opponent's pending list after it, as it was (same room, nonce and
// deadline), and its DM still holds the one offer note, not a second.
func TestChallengeSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ta := startArcade(t, dir)
	alice := ta.dial(ta.login("alice"))
	if _, err := alice.Join(ctx10s(t), "games.chess", games.JoinParams{Opponent: "bob", Nonce: "r1"}); err != nil {
		t.Fatalf("alice challenges bob: %v", err)
	}
	before := ta.waitChallenges(ta.login("bob"), 1)[0]
	waitNotes(t, alice, "bob", 1)
	ta.stop()

	ta = startArcade(t, dir)
	bobH := ta.login("bob")
	after := ta.waitChallenges(bobH, 1)[0]
	if after != before {
		t.Fatalf("after the restart bob's challenge is %+v, was %+v", after, before)
	}
	if notes := dmNotes(t, ta.dial(bobH), "alice"); len(notes) != 1 {
		t.Fatalf("the DM's notes after the restart: %+v, want the one offer", notes)
	}
	if got := ta.listChallenges(ta.login("carol")); len(got) != 0 {
		t.Fatalf("carol's challenges: %+v", got)
	}
}
