package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/games"
)

// TestPostgresMatchSurvivesRestart: the arcade with -postgres keeps its
// matches in PostgreSQL, not in games.db: a chess match in play survives
// a restart of the arcade, goes on from where it stood, and once finished
// is on the players' "Your games" page, read from PostgreSQL.
func TestPostgresMatchSurvivesRestart(t *testing.T) {
	dsn := testPostgres(t)
	dir := t.TempDir()
	cfg := Config{DataDir: dir, Postgres: dsn}
	ta := startArcadeWith(t, cfg)
	ctx := ctx10s(t)
	alice, bob := ta.dial(ta.login("alice")), ta.dial(ta.login("bob"))
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "pg"}
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
	if _, err := os.Stat(filepath.Join(dir, gamesDBFile)); !os.IsNotExist(err) {
		t.Fatalf("%s exists (%v): the matches went to bbolt", gamesDBFile, err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM parlor_games.entries WHERE match = $1 AND event = $2",
		aj.Room, games.EventMoved).Scan(&n); err != nil || n != 4 {
		t.Fatalf("moves in PostgreSQL: %d, %v; want 4", n, err)
	}

	ta = startArcadeWith(t, cfg)
	aliceH := ta.login("alice")
	alice, bob = ta.dial(aliceH), ta.dial(ta.login("bob"))
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
	body := readBody(t, ta.do(http.MethodGet, "/games", aliceH, nil))
	rows := strings.Split(body, `<tr class="game" `)[1:]
	if len(rows) != 1 || !strings.Contains(rows[0], "Chess") || !strings.Contains(rows[0], ">win<") {
		t.Fatalf("alice's games:\n%s", strings.Join(rows, "\n---\n"))
	}
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM parlor_games.history WHERE room = $1", aj.Room).Scan(&n); err != nil || n != 2 {
		t.Fatalf("history rows in PostgreSQL: %d, %v; want 2", n, err)
	}
}
