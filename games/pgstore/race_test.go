package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// moved returns a moved entry with seq, written by writer (in its data).
func moved(seq uint64, writer int) games.Entry {
	return games.Entry{Seq: seq, Event: games.EventMoved, Data: msgpack.RawMessage{0x91, byte(writer)},
		At: int64(seq), Move: msgpack.RawMessage{byte(seq & 0x7f)}, ClientMsgID: fmt.Sprint("c", seq)}
}

func newMatch(t *testing.T, s *Store, id string) {
	t.Helper()
	err := s.Create(context.Background(), games.MatchInfo{ID: id, Kind: "games.test", Players: []string{"a", "b"}, Epoch: "e", Start: "s"})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTwoStoresRace: two stores (two pools, as two nodes would have)
// append to the same matches at once, each writer appending after the
// head it last saw (Entries) and reading it again after a seq conflict.
// Every match ends with seqs 1..n without gaps or duplicates, every acked
// entry is stored as its writer wrote it, and none is lost.
func TestTwoStoresRace(t *testing.T) {
	schema := pgtest.NewSchema(t)
	stores := []*Store{openStore(t, schema, Options{}), openStore(t, schema, Options{})}
	const matches, writersPerStore, perWriter = 3, 2, 20
	ctx := context.Background()
	for m := range matches {
		newMatch(t, stores[0], fmt.Sprint("m", m))
	}
	type ack struct {
		match  string
		seq    uint64
		writer int
	}
	var (
		mu        sync.Mutex
		acks      []ack
		conflicts int
	)
	var wg sync.WaitGroup
	errs := make(chan error, matches*len(stores)*writersPerStore)
	for m := range matches {
		match := fmt.Sprint("m", m)
		for si, s := range stores {
			for w := range writersPerStore {
				writer := si*writersPerStore + w
				wg.Go(func() {
					var head uint64
					for range perWriter {
						for {
							e := moved(head+1, writer)
							err := s.Append(ctx, games.Write{Match: match, Entries: []games.Entry{e}})
							if errors.Is(err, games.ErrSeqConflict) {
								mu.Lock()
								conflicts++
								mu.Unlock()
								log, err := s.Entries(ctx, match, head, 1000)
								if err != nil {
									errs <- err
									return
								}
								head += uint64(len(log))
								continue
							}
							if err != nil {
								errs <- err
								return
							}
							head++
							mu.Lock()
							acks = append(acks, ack{match, e.Seq, writer})
							mu.Unlock()
							break
						}
					}
				})
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if conflicts == 0 {
		t.Fatal("no seq conflict at all: the writers did not race")
	}
	t.Logf("%d seq conflicts", conflicts)
	want := len(stores) * writersPerStore * perWriter
	stored := map[string][]games.Entry{}
	for m := range matches {
		match := fmt.Sprint("m", m)
		_, log, err := stores[m%2].Load(ctx, match)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != want {
			t.Fatalf("%s holds %d entries, want %d", match, len(log), want)
		}
		for i, e := range log {
			if e.Seq != uint64(i+1) {
				t.Fatalf("%s: entry %d has seq %d", match, i, e.Seq)
			}
		}
		stored[match] = log
	}
	if len(acks) != matches*want {
		t.Fatalf("%d acks, want %d", len(acks), matches*want)
	}
	for _, a := range acks {
		if got := stored[a.match][a.seq-1].Data[1]; int(got) != a.writer {
			t.Fatalf("%s seq %d acked to writer %d holds writer %d's entry", a.match, a.seq, a.writer, got)
		}
	}
}

// TestStaleOwnerFenced: a room's old owner (store a) pauses, a new owner
// on another node (store b) rebuilds the match from the log and appends;
// the old owner's next append, at the seq it expects, is refused with
// ErrSeqConflict and changes nothing, with or without a finished game,
// and the new owner goes on.
func TestStaleOwnerFenced(t *testing.T) {
	schema := pgtest.NewSchema(t)
	a, b := openStore(t, schema, Options{}), openStore(t, schema, Options{})
	ctx := context.Background()
	newMatch(t, a, "m")
	for seq := uint64(1); seq <= 3; seq++ {
		if err := a.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(seq, 0)}}); err != nil {
			t.Fatal(err)
		}
	}
	_, log, err := b.Load(ctx, "m")
	if err != nil || len(log) != 3 {
		t.Fatalf("the new owner loads %d entries, %v", len(log), err)
	}
	if err := b.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(4, 1)}}); err != nil {
		t.Fatal(err)
	}
	fin := games.FinishedGame{Kind: "games.test", Room: "m", Players: []string{"a", "b"}, Result: games.Result{Winner: 0, Reason: "x"}}
	for _, w := range []games.Write{
		{Match: "m", Entries: []games.Entry{moved(4, 0)}},
		{Match: "m", Entries: []games.Entry{moved(4, 0), moved(5, 0)}, Finished: &fin},
	} {
		if err := a.Append(ctx, w); !errors.Is(err, games.ErrSeqConflict) {
			t.Fatalf("the stale owner's append: %v, want ErrSeqConflict", err)
		}
	}
	if list, _ := b.Finished(ctx, "a", games.HistoryCursor{}, 10); len(list) != 0 {
		t.Fatalf("the stale owner's finished game was stored: %+v", list)
	}
	if err := b.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(5, 1)}}); err != nil {
		t.Fatal(err)
	}
	_, log, _ = a.Load(ctx, "m")
	var writers []byte
	for _, e := range log {
		writers = append(writers, e.Data[1])
	}
	if fmt.Sprint(writers) != "[0 0 0 1 1]" {
		t.Fatalf("the log's writers by seq: %v, want the old owner's 1-3 and the new one's 4-5", writers)
	}
}
