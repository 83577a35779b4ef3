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
	pgtest.WaitAnswers(t, func() error {
		_, err := s.Conversations(ctx, "a", 10, 10)
		return err
	}, isUnavailable)
	if got, dup, err := s.Append(ctx, chat.Write{Entry: e}); err != nil || dup || got.Seq != 1 {
		t.Fatalf("Append once the database answers: %+v, %v, %v", got, dup, err)
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
