package main

import (
	"context"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/chess"
)

// replayPosition is one position of a chess replay: the start, or the
// position after a move.
type replayPosition struct {
	// FEN is the position.
	FEN string `json:"fen"`
	// UCI and SAN are the move that led to it; empty at the start.
	UCI string `json:"uci,omitempty"`
	SAN string `json:"san,omitempty"`
	// Check is true when the side to move is in check.
	Check bool `json:"check,omitempty"`
}

// chessReplay replays a finished chess game's move log through the rules
// and returns every position, the start first. Draw claims, which are in
// the log but move nothing, add no position.
func chessReplay(moves []games.LoggedMove) ([]replayPosition, error) {
	var s games.State = chess.Game{}.Initial()
	out := make([]replayPosition, 1, len(moves)+1)
	out[0] = replayPosition{FEN: s.(*chess.State).FEN()}
	played := 0
	for _, m := range moves {
		next, err := s.Apply(m.Seat, m.Move)
		if err != nil {
			return nil, err
		}
		s = next
		cs := s.(*chess.State)
		ms := cs.Moves()
		if len(ms) == played {
			continue // a claim
		}
		played = len(ms)
		last := ms[len(ms)-1]
		out = append(out, replayPosition{FEN: cs.FEN(), UCI: last.UCI, SAN: last.SAN, Check: cs.InCheck()})
	}
	return out, nil
}

// replayLink is the address of a finished game's replay: chess games
// with moves have one, others "".
func replayLink(g games.PlayedGame) string {
	if g.Game != "chess" || len(g.Moves) == 0 {
		return ""
	}
	return "/games/replay?" + cursorQuery(games.HistoryCursor{Ended: g.Ended.UnixMilli(), Room: g.Room})
}

// findFinished returns one of user's finished games, named by its end
// time and room; ok is false when the user has no such game.
func (a *Arcade) findFinished(ctx context.Context, user string, at games.HistoryCursor) (g games.PlayedGame, ok bool, err error) {
	// The game itself is the first one after a cursor just past it.
	page, err := a.history.Page(ctx, user, games.HistoryCursor{Ended: at.Ended, Room: at.Room + "\x00"}, 1)
	if err != nil || len(page.Games) != 1 || page.Games[0].Room != at.Room {
		return games.PlayedGame{}, false, err
	}
	return page.Games[0], true, nil
}

// replayPage shows one of the signed-in user's finished chess games, to
// step through move by move (?ended=MS&room=ID, as on "Your games").
func (a *Arcade) replayPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	at, ok := cursorParam(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	g, ok, err := a.findFinished(r.Context(), s.me.ID, at)
	if err != nil {
		a.log.Error("games history", zap.String("user", s.me.ID), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if !ok || g.Game != "chess" {
		http.NotFound(w, r)
		return
	}
	positions, err := chessReplay(g.Moves)
	if err != nil {
		a.log.Error("chess replay", zap.String("room", g.Room), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	names := displayNames()
	var opp []string
	for _, u := range g.Opponents {
		opp = append(opp, cmpOr(names[u], u))
	}
	// The game as "Your games" lists it, for the heading.
	row := gameRow{
		Game: "Chess", Opponent: strings.Join(opp, ", "), Outcome: g.Outcome(),
		Reason: strings.ReplaceAll(g.Result.Reason, "_", " "),
		Ended:  g.Ended.UTC().Format("2006-01-02 15:04"), Moves: len(g.Moves),
	}
	if g.Record != "" {
		row.PGN = "/games/pgn?" + cursorQuery(at)
	}
	d := s.data()
	d["positions"] = positions
	d["players"] = g.Players
	a.render(w, r, "replay", pageData{
		Title: "Replay: chess with " + row.Opponent, Nav: "games", Me: s.me, CSRF: s.csrf,
		Games: []gameRow{row}, Script: "replay.js", Data: d,
	})
}
