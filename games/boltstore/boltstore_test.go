package boltstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/boltstore"
	"github.com/parlorhq/parlor/games/storetest"
)

// open opens the store at path (a new file if empty), closed when the
// test ends.
func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "games.db")
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) games.Store { return open(t, "") })
}

// TestReopen: a match, its log and a finished game are there after the
// file is closed and opened again; a closed store refuses calls.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "games.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := games.MatchInfo{ID: "m1", Kind: "games.tictactoe", Players: []string{"a", "b"}, Epoch: "e1"}
	if err := s.Create(ctx, info); err != nil {
		t.Fatal(err)
	}
	g := games.FinishedGame{Kind: info.Kind, Room: "m1", Players: info.Players, Result: games.Result{Winner: 1, Reason: "line"}, Ended: time.UnixMilli(5000)}
	e := games.Entry{Seq: 1, Event: games.EventGameOver, Data: msgpack.RawMessage{0xc0}, At: 5000}
	if err := s.Append(ctx, games.Write{Match: "m1", Entries: []games.Entry{e}, Finished: &g}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Load(ctx, "m1"); !errors.Is(err, games.ErrStoreClosed) {
		t.Fatalf("Load after Close: %v, want ErrStoreClosed", err)
	}
	if err := s.Append(ctx, games.Write{Match: "m1"}); !errors.Is(err, games.ErrStoreClosed) {
		t.Fatalf("Append after Close: %v, want ErrStoreClosed", err)
	}
	s = open(t, path)
	got, log, err := s.Load(ctx, "m1")
	if err != nil || got.Epoch != "e1" || len(log) != 1 || log[0].Event != games.EventGameOver {
		t.Fatalf("after reopening: %+v, %+v, %v", got, log, err)
	}
	list, err := s.Finished(ctx, "b", games.HistoryCursor{}, 5)
	if err != nil || len(list) != 1 || list[0].Result != g.Result {
		t.Fatalf("history after reopening: %+v, %v", list, err)
	}
}
