package games

import (
	"context"
	"slices"
	"time"
)

// Bounds of History.Page.
const (
	// DefaultHistoryPage is the page size History.Page uses for a limit
	// of zero or less.
	DefaultHistoryPage = 20
	// MaxHistoryPage is the largest page History.Page returns.
	MaxHistoryPage = 100
)

// Recorder is an optional interface of Game for games with a standard
// notation for a whole game, such as PGN for chess. History adds the
// record to each finished game it returns.
type Recorder interface {
	// Record returns the finished game written in the game's notation.
	Record(g FinishedGame) (string, error)
}

// History answers "my games" queries from a Store: a user's finished
// games, newest first, a page at a time, each with its record in its
// game's notation when the game has one (Recorder: PGN for chess). It is
// safe for concurrent use.
type History struct {
	store Store
	games map[string]Game // by kind
}

// NewHistory returns the history of the finished games in store, whose
// records are written by the games of modules (other kinds get none).
func NewHistory(store Store, modules ...*Module) *History {
	h := &History{store: store, games: make(map[string]Game, len(modules))}
	for _, m := range modules {
		h.games[m.Kind()] = m.Game()
	}
	return h
}

// PlayedGame is one finished game in a user's history.
type PlayedGame struct {
	FinishedGame
	// Game is the game's name, e.g. "chess".
	Game string
	// Seat is the user's seat.
	Seat int
	// Opponents lists the other players, by seat.
	Opponents []string
	// Record is the game in its game's notation (PGN for chess), or empty
	// if the game has none or it could not be written.
	Record string
}

// Outcome is "win", "loss" or "draw" for the user, or "aborted" for a
// match that was abandoned when its room was disposed.
func (g PlayedGame) Outcome() string {
	switch {
	case g.Result.Reason == ReasonAborted:
		return "aborted"
	case g.Result.Winner < 0:
		return "draw"
	case g.Result.Winner == g.Seat:
		return "win"
	}
	return "loss"
}

// HistoryPage is one page of a user's history.
type HistoryPage struct {
	// Games are the finished games, newest first.
	Games []PlayedGame
	// Next is the cursor of the next page; meaningful when More is true.
	Next HistoryCursor
	// More reports whether older games follow.
	More bool
}

// Page returns up to limit of user's finished games after cursor (the
// zero cursor for the newest), newest first. A limit of zero or less
// means DefaultHistoryPage; more than MaxHistoryPage means that.
func (h *History) Page(ctx context.Context, user string, cursor HistoryCursor, limit int) (HistoryPage, error) {
	if limit <= 0 {
		limit = DefaultHistoryPage
	}
	limit = min(limit, MaxHistoryPage)
	list, err := h.store.Finished(ctx, user, cursor, limit+1)
	if err != nil {
		return HistoryPage{}, err
	}
	var page HistoryPage
	if len(list) > limit {
		list, page.More = list[:limit], true
	}
	page.Games = make([]PlayedGame, 0, len(list))
	for _, g := range list {
		for i := range g.Moves {
			g.Moves[i].At = time.UnixMilli(g.Moves[i].AtMS)
		}
		p := PlayedGame{FinishedGame: g, Seat: slices.Index(g.Players, user)}
		for i, u := range g.Players {
			if i != p.Seat {
				p.Opponents = append(p.Opponents, u)
			}
		}
		if game := h.games[g.Kind]; game != nil {
			p.Game = game.Name()
			if r, ok := game.(Recorder); ok {
				p.Record, _ = r.Record(g)
			}
		}
		page.Games = append(page.Games, p)
	}
	if n := len(page.Games); n > 0 {
		page.Next = CursorOf(page.Games[n-1].FinishedGame)
	}
	return page, nil
}
