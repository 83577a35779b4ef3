package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// isUnavailable reports whether err is ErrUnavailable, as clients see it.
func isUnavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) && codec.AsError(err).Code == codec.CodeUnavailable &&
		!errors.Is(err, chat.ErrSeqConflict)
}

// TestDatabaseRestart stops the real server under the store and starts it
// again: while it is down every call fails with ErrUnavailable and
// nothing is acked; once it is back the store works again by itself,
// and the log holds each acked entry once.
func TestDatabaseRestart(t *testing.T) {
	ctx := context.Background()
	c := pgtest.StartCluster(t)
	s, err := Open(ctx, c.DSN, Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	msg := func(seq uint64) chat.Message {
		return chat.Message{Room: "d", Seq: seq, ID: fmt.Sprint("m", seq), Kind: chat.KindMessage, From: "a",
			Time: int64(seq), Text: "x", ClientMsgID: fmt.Sprint("c", seq)}
	}
	info := &chat.RoomInfo{ID: "d", Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	if _, _, err := s.Append(ctx, chat.Write{Entry: msg(1), Room: info}); err != nil {
		t.Fatal(err)
	}
	epoch := s.Epoch()

	c.Down()
	if _, _, err := s.Append(ctx, chat.Write{Entry: msg(2)}); !isUnavailable(err) {
		t.Fatalf("Append with the database down: %v, want ErrUnavailable", err)
	}
	if _, err := s.History(ctx, "d", 0, 10); !isUnavailable(err) {
		t.Fatalf("History with the database down: %v", err)
	}
	if _, err := s.Conversations(ctx, "b", 10, 10); !isUnavailable(err) {
		t.Fatalf("Conversations with the database down: %v", err)
	}
	if _, err := s.SetRead(ctx, "d", "b", 1); !isUnavailable(err) {
		t.Fatalf("SetRead with the database down: %v", err)
	}

	c.Up()
	// The pool drops the dead connections and dials new ones; a call may
	// still meet a dead one first, and then fails as unavailable too.
	var got chat.Message
	var dup bool
	for try := 1; ; try++ {
		got, dup, err = s.Append(ctx, chat.Write{Entry: msg(2)})
		if err == nil {
			t.Logf("the store worked again at try %d", try)
			break
		}
		if !isUnavailable(err) || try == 5 {
			t.Fatalf("Append after the restart, try %d: %v", try, err)
		}
	}
	if dup || got.Seq != 2 {
		t.Fatalf("after the restart: %+v, duplicate %v", got, dup)
	}
	h, err := s.History(ctx, "d", 0, 10)
	if err != nil || len(h) != 2 || h[0].ClientMsgID != "c1" || h[1].ClientMsgID != "c2" {
		t.Fatalf("history after the restart: %+v, %v", h, err)
	}
	again, err := Open(ctx, c.DSN, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.Epoch() != epoch {
		t.Fatalf("epoch %q after the restart, %q before", again.Epoch(), epoch)
	}
}

// TestTerminatedConnections: the server kills the store's connections
// (pg_terminate_backend) again and again while one writer per room
// appends, as the chat module does, resending a failed entry with the
// same seq and client message id. Every failure is ErrUnavailable,
// every acked entry is stored where its ack said, and no entry is stored
// twice or lost.
func TestTerminatedConnections(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.AppDSN(t, "pgstore-fault-test")
	schema := pgtest.NewSchema(t)
	s, err := Open(ctx, dsn, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	const rooms, perRoom, maxPerRoom = 4, 60, 200
	killer := pgtest.StartKiller(t, "pgstore-fault-test", 5*time.Millisecond)

	var failures atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, rooms)
	made := make([]uint64, rooms) // entries stored, per room
	for r := range rooms {
		room := fmt.Sprint("room", r)
		wg.Go(func() {
			// At least perRoom entries, and more up to maxPerRoom until
			// some append has failed: on a quiet machine the appends are
			// fast enough to slip between the kills for a while.
			for seq := uint64(1); seq <= perRoom || (failures.Load() == 0 && seq <= maxPerRoom); seq++ {
				e := chat.Message{Room: room, Seq: seq, ID: fmt.Sprint(room, "-", seq), Kind: chat.KindMessage,
					From: "a", Time: int64(seq), Text: "x", ClientMsgID: fmt.Sprint("c", seq)}
				for {
					got, _, err := s.Append(ctx, chat.Write{Entry: e, Read: &chat.Receipt{User: "a", Seq: seq}})
					if err == nil {
						if got.Seq != seq || got.ClientMsgID != e.ClientMsgID {
							errs <- fmt.Errorf("%s: acked %+v for seq %d", room, got, seq)
							return
						}
						break
					}
					if !isUnavailable(err) {
						errs <- fmt.Errorf("%s seq %d: %w", room, seq, err)
						return
					}
					failures.Add(1)
				}
				made[r] = seq
			}
		})
	}
	wg.Wait()
	kills := killer.Stop()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d kills, %d appends failed as unavailable and were resent", kills, failures.Load())
	if failures.Load() == 0 {
		t.Fatal("no append failed: the connections were not killed under the writers")
	}
	for r := range rooms {
		room := fmt.Sprint("room", r)
		h, err := s.History(ctx, room, 0, maxPerRoom+10)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(h)) != made[r] {
			t.Fatalf("%s holds %d entries, want %d", room, len(h), made[r])
		}
		for i, m := range h {
			if m.Seq != uint64(i+1) || m.ClientMsgID != fmt.Sprint("c", i+1) {
				t.Fatalf("%s: entry %d is %+v", room, i, m)
			}
		}
		if reads, _ := s.Reads(ctx, room); reads["a"] != made[r] {
			t.Fatalf("%s: reads %v", room, reads)
		}
	}
}
