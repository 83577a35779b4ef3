package pgstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestTimeout: a database that stops answering (the proxy passes nothing
// on) fails calls with ErrUnavailable after Options.Timeout, instead of
// holding the room; when it answers again, calls work.
func TestTimeout(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := pgtest.NewProxy(t, pgtest.DSN(t), nil)
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := chat.Message{Room: "d", Seq: 1, ID: "m1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "x", ClientMsgID: "c1"}

	proxy.Stalled.Store(true)
	if _, _, err := s.Append(ctx, chat.Write{Entry: e}); !isUnavailable(err) {
		t.Fatalf("Append to a silent database: %v, want ErrUnavailable", err)
	}
	if _, err := s.Conversations(ctx, "a", 10, 10); !isUnavailable(err) {
		t.Fatalf("Conversations from a silent database: %v, want ErrUnavailable", err)
	}
	proxy.Stalled.Store(false)
	waitAnswers(t, func() error {
		_, err := s.Conversations(ctx, "a", 10, 10)
		return err
	})
	if got, dup, err := s.Append(ctx, chat.Write{Entry: e}); err != nil || dup || got.Seq != 1 {
		t.Fatalf("Append once the database answers: %+v, %v, %v", got, dup, err)
	}
}

// waitAnswers calls read until it succeeds, for at most 10 s, failing the
// test if it fails otherwise than with ErrUnavailable. After a stall the
// store's first call opens a new connection (the stalled one was closed
// at its timeout), password authentication included, and on a busy
// machine under -race that can take more than a 300 ms Options.Timeout
// (games/pgstore's TestTimeout failed so in 2 runs of 5). Reads wait for
// it, so that the write after them checks that the store works again
// without racing the connect.
func waitAnswers(t *testing.T, read func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := read()
		if err == nil {
			return
		}
		if !isUnavailable(err) {
			t.Fatalf("a read once the database answers: %v, want success or ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("reads still fail 10 s after the database answers: %v", err)
		}
	}
}

// TestMaxConns: the store never opens more than Options.MaxConns
// connections; callers beyond it wait for one, and all are served.
func TestMaxConns(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, pgtest.NewSchema(t), Options{MaxConns: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		room := fmt.Sprint("r", i)
		wg.Go(func() {
			for seq := uint64(1); seq <= 5; seq++ {
				e := chat.Message{Room: room, Seq: seq, ID: fmt.Sprint(room, seq), Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}
				if _, _, err := s.Append(ctx, chat.Write{Entry: e}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	pgtest.CheckPoolBound(t, s.pool, 2)
	if def := openStore(t, pgtest.NewSchema(t), Options{}); def.pool.Stat().MaxConns() != DefaultMaxConns {
		t.Fatalf("default MaxConns %d", def.pool.Stat().MaxConns())
	}
}
