package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
)

// TestUnstorableWritesRefused: a write that bbolt would refuse when it is
// applied (an empty or overlong match id, a finished game with no room or
// with a move that is not well-formed msgpack) is refused before it is
// logged. The store goes on taking other writes, and the file opens again
// with them, where such a write used to be acknowledged, then stop the
// store at its commit and make every later Open fail.
func TestUnstorableWritesRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := func(id string) games.MatchInfo {
		return games.MatchInfo{ID: id, Kind: "games.tictactoe", Players: []string{"a", "b"}, Epoch: "e"}
	}
	for _, id := range []string{"", strings.Repeat("m", 40_000)} {
		if err := s.Create(ctx, info(id)); !errors.Is(err, boltstore.ErrBadKey) {
			t.Fatalf("Create of a %d-byte id: %v, want ErrBadKey", len(id), err)
		}
	}
	if err := s.Create(ctx, games.MatchInfo{ID: "m", Players: []string{strings.Repeat("u", 40_000)}}); !errors.Is(err, boltstore.ErrBadKey) {
		t.Fatalf("Create with a 40,000-byte player: %v, want ErrBadKey", err)
	}
	if err := s.Create(ctx, info("fine")); err != nil {
		t.Fatal(err)
	}
	fin := func(room string, move msgpack.RawMessage) *games.FinishedGame {
		return &games.FinishedGame{Kind: "games.tictactoe", Room: room, Players: []string{"a", "b"},
			Moves: []games.LoggedMove{{Seat: 0, Move: move}}, Result: games.Result{Winner: -1, Reason: "draw"},
			Started: time.UnixMilli(1), Ended: time.UnixMilli(2)}
	}
	entry := games.Entry{Seq: 1, Event: games.EventMoved, Data: msgpack.RawMessage{0xc0}}
	for name, tc := range map[string]struct {
		g    *games.FinishedGame
		want error
	}{
		"no room":          {fin("", msgpack.RawMessage{0xc0}), boltstore.ErrBadFinished},
		"a move cut short": {fin("fine", msgpack.RawMessage{0x81}), boltstore.ErrBadFinished},
		"an overlong room": {fin(strings.Repeat("r", 40_000), msgpack.RawMessage{0xc0}), boltstore.ErrBadKey},
	} {
		if err := s.Append(ctx, games.Write{Match: "fine", Entries: []games.Entry{entry}, Finished: tc.g}); !errors.Is(err, tc.want) {
			t.Fatalf("Append of a finished game with %s: %v, want %v", name, err, tc.want)
		}
	}
	if err := s.Append(ctx, games.Write{Match: "fine", Entries: []games.Entry{entry}, Finished: fin("fine", msgpack.RawMessage{0xc0})}); err != nil {
		t.Fatalf("a good append after the refusals: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("open again: %v", err)
	}
	defer s.Close()
	if _, log, err := s.Load(ctx, "fine"); err != nil || len(log) != 1 {
		t.Fatalf("after the reopen: %d entries, %v; want 1", len(log), err)
	}
}
