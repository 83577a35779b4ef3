package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/games/storetest"
	"github.com/parlorhq/parlor/internal/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) games.Store {
		return openStore(t, pgtest.NewSchema(t), Options{})
	})
}

// TestReopen: everything written is there for a store opened later on
// the same schema, and the log goes on from where it stood.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	schema := pgtest.NewSchema(t)
	s := openStore(t, schema, Options{})
	info := games.MatchInfo{ID: "m", Kind: "games.chess", Players: []string{"a", "b"}, Creator: "a", Epoch: "ep",
		Start: "fen", TimeControl: games.TimeControl{Base: 3 * time.Minute, Increment: 2 * time.Second}, Created: 7}
	if err := s.Create(ctx, info); err != nil {
		t.Fatal(err)
	}
	e := games.Entry{Seq: 1, Event: games.EventStarted, Data: msgpack.RawMessage{0x90}, At: 8}
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{e}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, info); !errors.Is(err, games.ErrStoreClosed) {
		t.Fatalf("Create after Close: %v", err)
	}

	s = openStore(t, schema, Options{})
	got, log, err := s.Load(ctx, "m")
	if err != nil || got.TimeControl != info.TimeControl || got.Epoch != "ep" || len(log) != 1 || log[0].Event != games.EventStarted {
		t.Fatalf("Load after reopen: %+v, %+v, %v", got, log, err)
	}
	next := games.Entry{Seq: 2, Event: games.EventMoved, Data: msgpack.RawMessage{0x90}, At: 9, Move: msgpack.RawMessage{0x01}, ClientMsgID: "c"}
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{next}}); err != nil {
		t.Fatal(err)
	}
}
