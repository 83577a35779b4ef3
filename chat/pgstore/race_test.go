package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestTwoStoresRace: two stores (two pools, as two processes would have)
// append to the same rooms at once, each writer reading the head and
// appending after it, and retrying its message (same client message id)
// after a seq conflict. Every room ends with one entry per message, seqs
// 1..n without gaps, every acked entry stored where its ack said, none
// twice.
func TestTwoStoresRace(t *testing.T) {
	schema := pgtest.NewSchema(t)
	stores := []*Store{openStore(t, schema, Options{}), openStore(t, schema, Options{})}
	const rooms, writersPerStore, perWriter = 3, 3, 15
	ctx := context.Background()

	type ack struct {
		room, cmid string
		seq        uint64
	}
	var (
		mu        sync.Mutex
		acks      []ack
		conflicts int
	)
	var wg sync.WaitGroup
	errs := make(chan error, rooms*len(stores)*writersPerStore)
	for r := range rooms {
		room := fmt.Sprint("room", r)
		for si, s := range stores {
			for w := range writersPerStore {
				author := fmt.Sprintf("s%dw%d", si, w)
				wg.Go(func() {
					for i := range perWriter {
						cmid := fmt.Sprint("c", i)
						for {
							st, err := s.State(ctx, room)
							if err != nil {
								errs <- err
								return
							}
							e := chat.Message{Room: room, Seq: st.Head + 1, ID: author + cmid, Kind: chat.KindMessage,
								From: author, Time: 1, Text: "x", ClientMsgID: cmid}
							got, _, err := s.Append(ctx, chat.Write{Entry: e})
							if errors.Is(err, chat.ErrSeqConflict) {
								mu.Lock()
								conflicts++
								mu.Unlock()
								continue
							}
							if err != nil {
								errs <- err
								return
							}
							mu.Lock()
							acks = append(acks, ack{room, author + "/" + cmid, got.Seq})
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

	stored := map[string]map[uint64]string{} // room -> seq -> author/cmid
	for r := range rooms {
		room := fmt.Sprint("room", r)
		want := len(stores) * writersPerStore * perWriter
		h, err := stores[r%2].History(ctx, room, 0, want+10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != want {
			t.Fatalf("%s holds %d entries, want %d", room, len(h), want)
		}
		stored[room] = map[uint64]string{}
		seen := map[string]bool{}
		for i, m := range h {
			key := m.From + "/" + m.ClientMsgID
			if m.Seq != uint64(i+1) || seen[key] {
				t.Fatalf("%s: entry %d has seq %d, message %s (seen before: %v)", room, i, m.Seq, key, seen[key])
			}
			seen[key] = true
			stored[room][m.Seq] = key
		}
		if st, _ := stores[0].State(ctx, room); st.Head != uint64(want) {
			t.Fatalf("%s: head %d, want %d", room, st.Head, want)
		}
	}
	for _, a := range acks {
		if stored[a.room][a.seq] != a.cmid {
			t.Fatalf("%s acked at seq %d in %s, which holds %q", a.cmid, a.seq, a.room, stored[a.room][a.seq])
		}
	}
}

// TestTwoStoresSameMessage: both stores append one message (same author
// and client message id) at once, with the same seq or with different
// ones. One entry is stored; both callers get it, one as a duplicate.
func TestTwoStoresSameMessage(t *testing.T) {
	schema := pgtest.NewSchema(t)
	a, b := openStore(t, schema, Options{}), openStore(t, schema, Options{})
	ctx := context.Background()
	for round := range 40 {
		room := fmt.Sprint("r", round)
		seqB := uint64(1)
		if round%2 == 1 {
			// b believes the log is one longer: its seq would be a
			// conflict if it were not a resend.
			seqB = 2
		}
		results := make([]chat.Message, 2)
		dups := make([]bool, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, s := range []*Store{a, b} {
			seq := uint64(1)
			if i == 1 {
				seq = seqB
			}
			wg.Go(func() {
				e := chat.Message{Room: room, Seq: seq, ID: fmt.Sprint("id", i), Kind: chat.KindMessage,
					From: "alice", Time: 1, Text: "once", ClientMsgID: "c1"}
				results[i], dups[i], errs[i] = s.Append(ctx, chat.Write{Entry: e})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				if round%2 == 1 && i == 1 && errors.Is(err, chat.ErrSeqConflict) {
					// b's seq 2 ran first, before a's entry existed: a
					// plain conflict, and nothing stored by b.
					continue
				}
				t.Fatalf("round %d: store %d: %v", round, i, err)
			}
		}
		h, err := a.History(ctx, room, 0, 10)
		if err != nil || len(h) != 1 || h[0].Seq != 1 {
			t.Fatalf("round %d: history %+v, %v; want one entry", round, h, err)
		}
		for i := range 2 {
			if errs[i] == nil && (results[i].ID != h[0].ID || results[i].Seq != 1) {
				t.Fatalf("round %d: store %d got %+v, stored %+v", round, i, results[i], h[0])
			}
		}
		if errs[0] == nil && errs[1] == nil && dups[0] == dups[1] {
			t.Fatalf("round %d: duplicate flags %v, want exactly one", round, dups)
		}
	}
}
