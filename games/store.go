package games

import (
	"context"
	"errors"
	"slices"

	"github.com/vmihailenco/msgpack/v5"
)

// Errors a Store returns. Implementations must return them (or wrap them)
// so that the module and the conformance suite (games/storetest) can tell
// the cases apart.
var (
	// ErrNotFound: no match is stored with that id.
	ErrNotFound = errors.New("games: match not found")
	// ErrMatchExists: Create found a match stored with that id already.
	ErrMatchExists = errors.New("games: match exists")
	// ErrSeqConflict: an appended entry's seq is not the log's head + 1,
	// so another writer (an older owner of the room) has appended to the
	// same match, or this one is stale.
	ErrSeqConflict = errors.New("games: seq conflict")
	// ErrStoreClosed: the store has been closed.
	ErrStoreClosed = errors.New("games: store closed")
)

// MatchInfo is the stored record of a match, written when its first
// player joins, before anything is broadcast.
type MatchInfo struct {
	// ID is the match's room id.
	ID string `msgpack:"id"`
	// Kind is the module's kind, e.g. "games.chess".
	Kind string `msgpack:"kind"`
	// Players lists the players by seat.
	Players []string `msgpack:"players"`
	// Creator is the player whose join created the match.
	Creator string `msgpack:"creator"`
	// Nonce is the nonce of the join that created the match (see
	// JoinParams), empty for one the server arranged: with the players it
	// names the match, so a challenge read back from the store can still
	// be accepted or declined.
	Nonce string `msgpack:"nonce,omitempty"`
	// Epoch is the epoch of the match room's ordered stream; a rebuilt
	// room takes it again, so clients resume across restarts.
	Epoch string `msgpack:"epoch"`
	// Start is State.Key of the starting position (the FEN for chess). A
	// match is rebuilt only by a module whose Setup has the same Key.
	Start string `msgpack:"start"`
	// TimeControl is the match's time control.
	TimeControl TimeControl `msgpack:"tc"`
	// Created is when the match was created, in Unix milliseconds.
	Created int64 `msgpack:"created"`
}

// Clone returns a copy of m that shares no slices with it.
func (m MatchInfo) Clone() MatchInfo {
	m.Players = slices.Clone(m.Players)
	return m
}

// Entry is one ordered event of a match room, as stored: the log of a
// match is its room's ordered stream, so entry seqs are event seqs, from
// 1, without gaps. Replaying the entries rebuilds the match; emitting
// them resends the events a resuming client missed.
type Entry struct {
	// Seq is the event's seq in the match room.
	Seq uint64 `msgpack:"seq"`
	// Event is the event's name, such as EventMoved.
	Event string `msgpack:"event"`
	// Data is the event's payload as it was broadcast (msgpack).
	Data msgpack.RawMessage `msgpack:"data"`
	// At is when the event happened by the module's clock, in Unix
	// milliseconds.
	At int64 `msgpack:"at"`
	// Move is, in a moved entry, the move that was applied, also for
	// games whose moves are private (where Data carries none).
	Move msgpack.RawMessage `msgpack:"move,omitempty"`
	// ClientMsgID is, in a moved entry, the client message id the mover
	// sent the move with, if any: a resend after a restart gets the
	// first reply instead of being applied again.
	ClientMsgID string `msgpack:"cmid,omitempty"`
}

// Clone returns a copy of e that shares no bytes with it.
func (e Entry) Clone() Entry {
	e.Data = slices.Clone(e.Data)
	e.Move = slices.Clone(e.Move)
	return e
}

// Write is one atomic change to a stored match: Store.Append applies all
// of it or none of it.
type Write struct {
	// Match is the match's id.
	Match string
	// Entries are appended in order; Entries[0].Seq must be the log's
	// head + 1, and each next one the seq after.
	Entries []Entry
	// Finished, if set, records the match as finished: it joins the
	// history of each of its players (Store.Finished), once per player
	// however often the player is seated. Recorded again for the same
	// match, it replaces the earlier record, in the history of the
	// earlier record's players too.
	Finished *FinishedGame
}

// HistoryCursor is a position in a user's finished games, which are
// ordered newest first: by Ended, then by Room, both descending. The zero
// cursor is before the newest game.
type HistoryCursor struct {
	// Ended is the Ended time of the last game of the previous page, in
	// Unix milliseconds.
	Ended int64
	// Room is that game's room id.
	Room string
}

// IsZero reports whether c is the zero cursor: the first page.
func (c HistoryCursor) IsZero() bool { return c == HistoryCursor{} }

// CursorOf returns the cursor just after g, for the next page.
func CursorOf(g FinishedGame) HistoryCursor {
	return HistoryCursor{Ended: g.Ended.UnixMilli(), Room: g.Room}
}

// after reports whether a game that ended at ended (Unix ms) in room
// comes after the cursor in history order, that is on a later page.
func (c HistoryCursor) after(ended int64, room string) bool {
	if c.IsZero() {
		return true
	}
	return ended < c.Ended || ended == c.Ended && room < c.Room
}

// Store persists matches: their records, their logs of ordered events,
// and each user's finished games. Implementations must be safe for
// concurrent use by many rooms. A match room is its match's only writer
// and appends in seq order; the seq check of Append fences off a stale
// writer (the old owner of a room another node took over). Every
// implementation must pass games/storetest.Run.
type Store interface {
	// Create stores a new match's record with an empty log. If a match
	// with that id is stored, it changes nothing and returns
	// ErrMatchExists.
	Create(ctx context.Context, m MatchInfo) error
	// Append applies w atomically. It returns ErrNotFound if the match
	// is not stored, and ErrSeqConflict unless the entries' seqs follow
	// the log's head.
	Append(ctx context.Context, w Write) error
	// Load returns the match's record and its whole log, in seq order, or
	// ErrNotFound.
	Load(ctx context.Context, id string) (MatchInfo, []Entry, error)
	// Info returns the match's record without its log, or ErrNotFound.
	Info(ctx context.Context, id string) (MatchInfo, error)
	// Waiting returns the records of the matches of kind whose log is
	// empty, created at or after since (Unix milliseconds): challenges
	// whose players have not all joined, since a match logs nothing
	// before it starts or ends. They come oldest first (by Created, then
	// by ID), at most limit; a limit of zero or less returns none.
	Waiting(ctx context.Context, kind string, since int64, limit int) ([]MatchInfo, error)
	// Entries returns up to limit entries with a seq above after, in seq
	// order; none for an unknown match. A limit of zero or less returns
	// none.
	Entries(ctx context.Context, id string, after uint64, limit int) ([]Entry, error)
	// Finished returns up to limit of user's finished games (recorded by
	// Append with Write.Finished) that come after cursor, newest first
	// (see HistoryCursor). A limit of zero or less returns none.
	Finished(ctx context.Context, user string, cursor HistoryCursor, limit int) ([]FinishedGame, error)
}

// Clone returns a copy of g that shares nothing with it.
func (g FinishedGame) Clone() FinishedGame {
	g.Players = slices.Clone(g.Players)
	g.Moves = slices.Clone(g.Moves)
	for i := range g.Moves {
		g.Moves[i].Move = slices.Clone(g.Moves[i].Move)
	}
	return g
}
