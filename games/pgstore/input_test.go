package pgstore

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestUnstorableStrings: PostgreSQL text holds neither NUL bytes nor
// invalid UTF-8, and bigint no seq above 2^63-1. A record, entry or
// finished game with such an id, name or key is refused with
// ErrUnstorable (bad_request) before it reaches the database, nothing of
// it is stored, and the match and a bystander's go on; reads that name
// such a string find nothing. Moves, data and client message ids are
// bytes: any value is stored as given.
func TestUnstorableStrings(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{})
	newMatch(t, s, "m")
	newMatch(t, s, "by")
	if err := s.Append(ctx, games.Write{Match: "by", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	good := games.MatchInfo{ID: "n", Kind: "games.test", Players: []string{"a", "b"}, Epoch: "e", Start: "s"}
	for name, edit := range map[string]func(*games.MatchInfo){
		"NUL in the id":             func(m *games.MatchInfo) { m.ID = "n\x00" },
		"invalid UTF-8 in a player": func(m *games.MatchInfo) { m.Players = []string{"a", "\xff"} },
		"NUL in the creator":        func(m *games.MatchInfo) { m.Creator = "\x00" },
		"NUL in the start":          func(m *games.MatchInfo) { m.Start = "s\x00" },
		"NUL in the epoch":          func(m *games.MatchInfo) { m.Epoch = "\x00" },
	} {
		m := good.Clone()
		edit(&m)
		if err := s.Create(ctx, m); !errors.Is(err, ErrUnstorable) || codec.AsError(err).Code != codec.CodeBadRequest {
			t.Errorf("Create with %s: %v, want ErrUnstorable (bad_request)", name, err)
		}
	}
	fin := func(players ...string) *games.FinishedGame {
		return &games.FinishedGame{Kind: "games.test", Room: "m", Players: players, Result: games.Result{Reason: "line"}}
	}
	badEvent := moved(1, 0)
	badEvent.Event = "moved\x00"
	for name, w := range map[string]games.Write{
		"NUL in an event":          {Match: "m", Entries: []games.Entry{badEvent}},
		"NUL in a finished player": {Match: "m", Entries: []games.Entry{moved(1, 0)}, Finished: fin("a", "b\x00")},
	} {
		if err := s.Append(ctx, w); !errors.Is(err, ErrUnstorable) {
			t.Errorf("Append with %s: %v, want ErrUnstorable", name, err)
		}
	}
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{{Seq: math.MaxInt64 + 1, Event: "x"}}}); !errors.Is(err, games.ErrSeqConflict) {
		t.Errorf("Append at seq 2^63: %v, want ErrSeqConflict", err)
	}
	if err := s.Append(ctx, games.Write{Match: "m\x00", Entries: []games.Entry{moved(1, 0)}}); !errors.Is(err, games.ErrNotFound) {
		t.Errorf("Append to a NUL id: %v, want ErrNotFound", err)
	}
	if _, err := s.Finished(ctx, "a", games.HistoryCursor{Ended: 1, Room: "m\x00"}, 10); !errors.Is(err, ErrUnstorable) {
		t.Errorf("Finished after a NUL room id: %v, want ErrUnstorable", err)
	}

	// Reads naming such strings find nothing.
	if _, _, err := s.Load(ctx, "m\xff"); !errors.Is(err, games.ErrNotFound) {
		t.Errorf("Load: %v", err)
	}
	if got, err := s.Entries(ctx, "\x00", 0, 10); err != nil || len(got) != 0 {
		t.Errorf("Entries: %v, %v", got, err)
	}
	if got, err := s.Entries(ctx, "by", math.MaxUint64, 10); err != nil || len(got) != 0 {
		t.Errorf("Entries after 2^64-1: %v, %v", got, err)
	}
	if got, err := s.Finished(ctx, "a\x00", games.HistoryCursor{}, 10); err != nil || len(got) != 0 {
		t.Errorf("Finished: %v, %v", got, err)
	}

	// Nothing was stored; the match goes on at seq 1, with a client
	// message id and a move that are not text, and the bystander's log is
	// untouched.
	e := games.Entry{Seq: 1, Event: games.EventMoved, Data: msgpack.RawMessage{0x90}, Move: msgpack.RawMessage{0x00, 0xff},
		ClientMsgID: "c\x00\xff"}
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{e}, Finished: fin("a", "b")}); err != nil {
		t.Fatal(err)
	}
	if _, log, err := s.Load(ctx, "m"); err != nil || len(log) != 1 || log[0].ClientMsgID != e.ClientMsgID || string(log[0].Move) != string(e.Move) {
		t.Fatalf("the log: %+v, %v", log, err)
	}
	if _, _, err := s.Load(ctx, "n"); !errors.Is(err, games.ErrNotFound) {
		t.Fatalf("a refused Create stored the match: %v", err)
	}
	if list, _ := s.Finished(ctx, "a", games.HistoryCursor{}, 10); len(list) != 1 {
		t.Fatalf("a's history: %+v", list)
	}
	if _, log, _ := s.Load(ctx, "by"); len(log) != 1 || log[0].ClientMsgID != "c1" {
		t.Fatalf("the bystander's log: %+v", log)
	}
}
