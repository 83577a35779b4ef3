package main

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// logged is a chess move log as a match stores it, white first.
func logged(t *testing.T, moves ...chess.Move) []games.LoggedMove {
	t.Helper()
	out := make([]games.LoggedMove, len(moves))
	for i, m := range moves {
		raw, err := codec.MarshalData(m)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = games.LoggedMove{Seat: i % 2, Move: raw}
	}
	return out
}

// TestChessReplay: the replay has the start and one position per move,
// each with its move; a draw claim, which moves nothing, adds none; a log
// that does not replay is an error.
func TestChessReplay(t *testing.T) {
	knights := []string{"Nf3", "Nf6", "Ng1", "Ng8", "Nf3", "Nf6", "Ng1", "Ng8"}
	var moves []chess.Move
	for _, san := range knights {
		moves = append(moves, chess.Move{SAN: san})
	}
	moves = append(moves, chess.Move{Claim: chess.ClaimThreefold})
	got, err := chessReplay(logged(t, moves...))
	if err != nil {
		t.Fatalf("chessReplay: %v", err)
	}
	if len(got) != len(knights)+1 {
		t.Fatalf("%d positions, want %d (the start and one per move, none for the claim)", len(got), len(knights)+1)
	}
	start := chess.Game{}.FEN()
	if got[0].FEN != start || got[0].SAN != "" || got[0].UCI != "" {
		t.Errorf("position 0 = %+v, want the start %q and no move", got[0], start)
	}
	if got[1].SAN != "Nf3" || got[1].UCI != "g1f3" || got[1].FEN == start {
		t.Errorf("position 1 = %+v, want Nf3 (g1f3) and a new FEN", got[1])
	}
	// The knights are home again: the pieces (not the move counters) are
	// where they started.
	if strings.Fields(got[8].FEN)[0] != strings.Fields(start)[0] {
		t.Errorf("after the knights' dance the FEN is %q, want the start's position", got[8].FEN)
	}

	check, err := chessReplay(logged(t, chess.Move{SAN: "e4"}, chess.Move{SAN: "f5"}, chess.Move{SAN: "Qh5"}))
	if err != nil {
		t.Fatal(err)
	}
	if !check[3].Check || check[2].Check {
		t.Errorf("Qh5+ gives check: Check = %v after it, %v before", check[3].Check, check[2].Check)
	}

	if _, err := chessReplay(logged(t, chess.Move{UCI: "e2e5"})); err == nil {
		t.Errorf("a log with an illegal move replayed")
	}
}

// TestReplayPage: a finished chess game's replay is served to its players
// only, with every position in the page's data and the link on "Your
// games"; a tic-tac-toe game, a game of someone else's and a malformed
// address get 404.
func TestReplayPage(t *testing.T) {
	ta := startArcade(t, t.TempDir())
	ctx := ctx10s(t)
	aliceH, bobH, carolH := ta.login("alice"), ta.login("bob"), ta.login("carol")
	alice, bob := ta.dial(aliceH), ta.dial(bobH)
	players := []*client.Client{alice, bob}
	params := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "replay"}
	aj, err := alice.Join(ctx, "games.chess", params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.chess", params); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, alice, aj.Room, games.EventStarted)
	for i, san := range []string{"f3", "e5", "g4", "Qh4#"} {
		if _, err := players[i%2].Send(ctx, aj.Room, games.EventMove, map[string]string{"san": san}); err != nil {
			t.Fatalf("%s: %v", san, err)
		}
	}
	tp := games.JoinParams{Seats: []string{"alice", "bob"}, Nonce: "ttt"}
	tj, err := alice.Join(ctx, "games.tictactoe", tp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Join(ctx, "games.tictactoe", tp); err != nil {
		t.Fatal(err)
	}
	for i, cell := range []int{0, 3, 1, 4, 2} {
		if _, err := players[i%2].Send(ctx, tj.Room, games.EventMove, map[string]int{"cell": cell}); err != nil {
			t.Fatalf("cell %d: %v", cell, err)
		}
	}

	// "Your games" links the chess game's replay, and only that one.
	list := readBody(t, ta.do(http.MethodGet, "/games", bobH, nil))
	links := regexp.MustCompile(`class="replay" href="([^"]+)"`).FindAllStringSubmatch(list, -1)
	if len(links) != 1 {
		t.Fatalf("bob's games link %d replays, want 1 (the chess game):\n%s", len(links), list)
	}
	link := html.UnescapeString(links[0][1])

	resp := ta.do(http.MethodGet, link, bobH, nil)
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as bob: %d", link, resp.StatusCode)
	}
	data := regexp.MustCompile(`(?s)<script type="application/json" id="page-data">(.*?)</script>`).FindStringSubmatch(page)
	if data == nil {
		t.Fatalf("the replay page has no page data:\n%s", page)
	}
	var pd struct {
		Players   []string         `json:"players"`
		Positions []replayPosition `json:"positions"`
	}
	if err := json.Unmarshal([]byte(data[1]), &pd); err != nil {
		t.Fatalf("page data: %v\n%s", err, data[1])
	}
	var sans []string
	for _, p := range pd.Positions[1:] {
		sans = append(sans, p.SAN)
	}
	if strings.Join(pd.Players, ",") != "alice,bob" || len(pd.Positions) != 5 || strings.Join(sans, " ") != "f3 e5 g4 Qh4#" ||
		!pd.Positions[4].Check {
		t.Errorf("replay data: players %v, %d positions, moves %v, want alice,bob, 5, f3 e5 g4 Qh4# ending in check", pd.Players, len(pd.Positions), sans)
	}
	if !strings.Contains(page, `class="outcome">win<`) {
		t.Errorf("bob's replay heading lacks his win")
	}

	// Nobody else gets it, and nothing else is a replay.
	ttt := strings.Replace(link, "room="+aj.Room, "room="+tj.Room, 1)
	for _, c := range []struct {
		who, url string
		h        http.Header
	}{
		{"carol", link, carolH},
		{"bob, for the tic-tac-toe game", ttt, bobH},
		{"bob, without the room", strings.Split(link, "&room=")[0], bobH},
		{"bob, with another end time", strings.Replace(link, "ended=", "ended=1", 1), bobH},
	} {
		resp := ta.do(http.MethodGet, c.url, c.h, nil)
		if _ = readBody(t, resp); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: GET %s = %d, want 404", c.who, c.url, resp.StatusCode)
		}
	}
}
