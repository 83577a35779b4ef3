package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
)

// TestMatchesSurviveRestart: a chess match in play survives a restart of
// the arcade on the same data directory, and once finished it is on both
// players' "Your games" pages with its PGN; a finished tic-tac-toe game is
// listed too, and nobody else sees either.
func TestMatchesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	ta := startArcade(t, dir)
	ctx := ctx10s(t)
	alice, bob := ta.dial(ta.login("alice")), ta.dial(ta.login("bob"))
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "durable"}
	aj, err := alice.Join(ctx, "games.chess", params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.chess", params); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, alice, aj.Room, games.EventStarted)
	scholar := []string{"e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#"}
	players := []*client.Client{alice, bob}
	for i, san := range scholar[:4] {
		if _, err := players[i%2].Send(ctx, aj.Room, games.EventMove, map[string]string{"san": san}); err != nil {
			t.Fatalf("%s: %v", san, err)
		}
	}
	ta.stop()

	ta = startArcade(t, dir)
	aliceH, bobH := ta.login("alice"), ta.login("bob")
	alice, bob = ta.dial(aliceH), ta.dial(bobH)
	aj, err = alice.Join(ctx, "games.chess", params)
	if err != nil {
		t.Fatal(err)
	}
	var snap games.Snapshot
	if err := aj.Decode(&snap); err != nil || snap.Ply != 4 || snap.Status != games.StatusPlaying {
		t.Fatalf("after the restart: %+v, %v", snap, err)
	}
	if _, err := bob.Join(ctx, "games.chess", params); err != nil {
		t.Fatal(err)
	}
	players = []*client.Client{alice, bob}
	for i, san := range scholar[4:] {
		if _, err := players[i%2].Send(ctx, aj.Room, games.EventMove, map[string]string{"san": san}); err != nil {
			t.Fatalf("%s: %v", san, err)
		}
	}
	// A tic-tac-toe game bob wins.
	tp := games.JoinParams{Seats: []string{"bob", "alice"}, Nonce: "ttt"}
	tj, err := bob.Join(ctx, "games.tictactoe", tp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Join(ctx, "games.tictactoe", tp); err != nil {
		t.Fatal(err)
	}
	players = []*client.Client{bob, alice}
	for i, cell := range []int{0, 3, 1, 4, 2} {
		if _, err := players[i%2].Send(ctx, tj.Room, games.EventMove, map[string]int{"cell": cell}); err != nil {
			t.Fatalf("cell %d: %v", cell, err)
		}
	}

	body := readBody(t, ta.do(http.MethodGet, "/games", aliceH, nil))
	rows := strings.Split(body, `<tr class="game" `)[1:]
	if len(rows) != 2 || !strings.Contains(rows[0], "Tic-tac-toe") || !strings.Contains(rows[0], ">loss<") ||
		!strings.Contains(rows[1], "Chess") || !strings.Contains(rows[1], ">win<") || !strings.Contains(rows[1], "Bob") {
		t.Fatalf("alice's games:\n%s", strings.Join(rows, "\n---\n"))
	}
	start := strings.Index(rows[1], `href="`) + len(`href="`)
	link := strings.ReplaceAll(rows[1][start:start+strings.Index(rows[1][start:], `"`)], "&amp;", "&")
	resp := ta.do(http.MethodGet, link, bobH, nil)
	pgn := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(pgn, "4. Qxf7#") || !strings.Contains(pgn, `[Result "1-0"]`) {
		t.Fatalf("PGN from bob's history (%s) = %d:\n%s", link, resp.StatusCode, pgn)
	}
	resp = ta.do(http.MethodGet, link, ta.login("carol"), nil)
	if _ = readBody(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Errorf("carol gets alice's PGN: %d, want 404", resp.StatusCode)
	}
	if body := readBody(t, ta.do(http.MethodGet, "/games", ta.login("carol"), nil)); strings.Contains(body, `class="game"`) {
		t.Errorf("carol's games list others' games")
	}
}
