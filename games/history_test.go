package games_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/tictactoe"
)

// TestHistoryPage: History pages through a user's finished games newest
// first, says who the opponents were and how each went for the user, and
// bounds the page size.
func TestHistoryPage(t *testing.T) {
	ctx := context.Background()
	store := games.NewMemoryStore()
	for i := range 5 {
		id := fmt.Sprint("m", i)
		players := []string{"u", fmt.Sprint("p", i)}
		if i%2 == 1 {
			players[0], players[1] = players[1], players[0]
		}
		if err := store.Create(ctx, games.MatchInfo{ID: id, Kind: "games.tictactoe", Players: players}); err != nil {
			t.Fatal(err)
		}
		g := games.FinishedGame{Kind: "games.tictactoe", Room: id, Players: players,
			Result: games.Result{Winner: i%3 - 1, Reason: "line"}, Ended: time.UnixMilli(int64(1000 * (i + 1)))}
		if err := store.Append(ctx, games.Write{Match: id, Finished: &g}); err != nil {
			t.Fatal(err)
		}
	}
	h := games.NewHistory(store, games.NewModule(tictactoe.Game{}, games.Config{}))
	var got []string
	var cur games.HistoryCursor
	for {
		page, err := h.Page(ctx, "u", cur, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.Games {
			got = append(got, fmt.Sprintf("%s %s %v %s", g.Room, g.Game, g.Opponents, g.Outcome()))
		}
		if !page.More {
			break
		}
		cur = page.Next
	}
	// Game i was won by seat i%3-1 (-1: drawn); u has seat 1 in odd games.
	want := []string{"m4 tictactoe [p4] win", "m3 tictactoe [p3] draw", "m2 tictactoe [p2] loss", "m1 tictactoe [p1] loss", "m0 tictactoe [p0] draw"}
	if !slices.Equal(got, want) {
		t.Fatalf("history in pages of 2:\n%q\nwant\n%q", got, want)
	}
	if page, _ := h.Page(ctx, "u", games.HistoryCursor{}, 0); len(page.Games) != 5 || page.More {
		t.Fatalf("the default page: %d games, more %v", len(page.Games), page.More)
	}
	if page, _ := h.Page(ctx, "u", games.HistoryCursor{}, 1000); len(page.Games) != 5 || page.More {
		t.Fatalf("a large page: %d games, more %v", len(page.Games), page.More)
	}
	if page, _ := h.Page(ctx, "nobody", games.HistoryCursor{}, 0); len(page.Games) != 0 || page.More {
		t.Fatalf("a bystander's page: %+v", page)
	}
}
