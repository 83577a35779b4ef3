package main

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/parlorhq/parlor/games"
)

// historyPageSize is how many finished games the "Your games" page lists
// at a time.
const historyPageSize = 20

// gameRow is one finished game on the "Your games" page.
type gameRow struct {
	// Room is the match's room id: the row's anchor is #game-ROOM, which
	// the game notes of the chat link to.
	Room string
	// Game is the game's display name.
	Game string
	// Opponent is the other player's display name.
	Opponent string
	// Outcome is "win", "loss", "draw" or "aborted", for the user.
	Outcome string
	// Reason is how the game ended, such as "checkmate".
	Reason string
	// Ended is when the game ended, in UTC.
	Ended string
	// Moves is the number of moves played.
	Moves int
	// PGN links to the game's PGN (chess only).
	PGN string
	// Replay links to the page that steps through the game (chess only).
	Replay string
}

// gamesPage lists the signed-in user's finished games, newest first, a
// page at a time (?ended=MS&room=ID continues after that game).
func (a *Arcade) gamesPage(w http.ResponseWriter, r *http.Request, s signedIn) {
	cur, _ := cursorParam(r)
	page, err := a.history.Page(r.Context(), s.me.ID, cur, historyPageSize)
	if err != nil {
		a.log.Error("games history", zap.String("user", s.me.ID), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	names := displayNames()
	rows := make([]gameRow, 0, len(page.Games))
	for _, g := range page.Games {
		row := gameRow{
			Room:    g.Room,
			Game:    map[string]string{"tictactoe": "Tic-tac-toe", "chess": "Chess"}[g.Game],
			Outcome: g.Outcome(),
			Reason:  strings.ReplaceAll(g.Result.Reason, "_", " "),
			Ended:   g.Ended.UTC().Format("2006-01-02 15:04"),
			Moves:   len(g.Moves),
		}
		var opp []string
		for _, u := range g.Opponents {
			opp = append(opp, cmpOr(names[u], u))
		}
		row.Opponent = strings.Join(opp, ", ")
		if g.Record != "" {
			row.PGN = "/games/pgn?" + cursorQuery(games.HistoryCursor{Ended: g.Ended.UnixMilli(), Room: g.Room})
		}
		row.Replay = replayLink(g)
		rows = append(rows, row)
	}
	d := pageData{Title: "Your games", Nav: "games", Me: s.me, CSRF: s.csrf, Games: rows, Data: s.data()}
	if page.More {
		d.NextPage = "/games?" + cursorQuery(page.Next)
	}
	a.render(w, r, "games", d)
}

// historyPGN serves the PGN of one of the signed-in user's finished chess
// games, named by its end time and room (?ended=MS&room=ID).
func (a *Arcade) historyPGN(w http.ResponseWriter, r *http.Request, me string) {
	at, ok := cursorParam(r)
	if !ok {
		apiError(w, http.StatusBadRequest, "bad_request", "ended and room are required")
		return
	}
	// The game itself is the first one after a cursor just past it.
	page, err := a.history.Page(r.Context(), me, games.HistoryCursor{Ended: at.Ended, Room: at.Room + "\x00"}, 1)
	if err != nil {
		apiError(w, http.StatusInternalServerError, "internal", "history unavailable")
		return
	}
	if len(page.Games) != 1 || page.Games[0].Room != at.Room || page.Games[0].Record == "" {
		apiError(w, http.StatusNotFound, "not_found", "no finished game of yours with this id")
		return
	}
	g := page.Games[0]
	name := fmt.Sprintf("parlor-%s-%s-%s.pgn", g.Game, strings.Join(g.Players, "-vs-"), g.Ended.UTC().Format("20060102-1504"))
	w.Header().Set("Content-Type", "application/x-chess-pgn; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = strings.NewReader(g.Record).WriteTo(w)
}

// cursorParam reads a history cursor from ?ended=MS&room=ID.
func cursorParam(r *http.Request) (games.HistoryCursor, bool) {
	q := r.URL.Query()
	ms, err := strconv.ParseInt(q.Get("ended"), 10, 64)
	room := q.Get("room")
	if err != nil || room == "" || len(room) > 128 {
		return games.HistoryCursor{}, false
	}
	return games.HistoryCursor{Ended: ms, Room: room}, true
}

// cursorQuery is the query string of a history cursor.
func cursorQuery(c games.HistoryCursor) string {
	return "ended=" + strconv.FormatInt(c.Ended, 10) + "&room=" + c.Room
}

// cmpOr returns a unless it is empty, else b.
func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
