package chess

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
)

// TestHistoryRecord: History gives a finished chess game its PGN.
func TestHistoryRecord(t *testing.T) {
	ctx := context.Background()
	g := finished(t, &Game{}, games.Result{Winner: 0, Reason: "checkmate"}, "e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7#")
	g.Room, g.Ended = "m1", time.UnixMilli(5000)
	store := games.NewMemoryStore()
	if err := store.Create(ctx, games.MatchInfo{ID: "m1", Kind: g.Kind, Players: g.Players}); err != nil {
		t.Fatal(err)
	}
	if err := store.Append(ctx, games.Write{Match: "m1", Finished: &g}); err != nil {
		t.Fatal(err)
	}
	h := games.NewHistory(store, games.NewModule(Game{}, games.Config{}))
	page, err := h.Page(ctx, "bob", games.HistoryCursor{}, 10)
	if err != nil || len(page.Games) != 1 {
		t.Fatalf("bob's history: %+v, %v", page, err)
	}
	p := page.Games[0]
	if p.Game != "chess" || p.Outcome() != "loss" || !strings.Contains(p.Record, "1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# ") ||
		!strings.Contains(p.Record, `[Result "1-0"]`) {
		t.Fatalf("bob's game: %s %s\n%s", p.Game, p.Outcome(), p.Record)
	}
}
