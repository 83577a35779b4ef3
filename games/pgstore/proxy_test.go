package pgstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parlorhq/parlor/games"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestLostCommitReply: the connection dies after the server received the
// COMMIT of an append and before its answer came back. The store cannot
// know whether the entries were stored; its retry finds them by its write
// id and reports the append as done, once: not a conflict, not an error,
// and not stored twice. A real second append of the seq is still a
// conflict.
func TestLostCommitReply(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := pgtest.NewProxy(t, pgtest.DSN(t), nil)
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	newMatch(t, s, "m")
	fin := games.FinishedGame{Kind: "games.test", Room: "m", Players: []string{"a", "b"}, Ended: time.UnixMilli(9)}
	writes := []games.Write{
		{Match: "m", Entries: []games.Entry{moved(1, 0)}},
		{Match: "m", Entries: []games.Entry{moved(2, 0), moved(3, 0)}, Finished: &fin},
	}
	for _, w := range writes {
		proxy.Armed.Store(true)
		if err := s.Append(ctx, w); err != nil {
			t.Fatalf("Append up to seq %d with its commit reply lost: %v", w.Entries[len(w.Entries)-1].Seq, err)
		}
	}
	if n := proxy.Cuts.Load(); n != 2 {
		t.Fatalf("%d replies cut, want 2", n)
	}
	_, log, err := s.Load(ctx, "m")
	if err != nil || len(seqsOf(log)) != 3 || log[2].Seq != 3 {
		t.Fatalf("log: %v, %v", seqsOf(log), err)
	}
	if list, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10); err != nil || len(list) != 1 {
		t.Fatalf("a's history: %+v, %v", list, err)
	}
	if err := s.Append(ctx, writes[0]); !errors.Is(err, games.ErrSeqConflict) {
		t.Fatalf("appending seq 1 again: %v, want ErrSeqConflict", err)
	}
}

// TestLostCreateReply: the same for Create, whose statement commits on
// its own: the proxy cuts after the message that binds the match's id to
// the insert (the statement's text went before, when pgx prepared it),
// so the server stores the record and its answer is lost. The retry finds
// the record it stored and succeeds, and a real second Create of the id
// is still refused.
func TestLostCreateReply(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := pgtest.NewProxy(t, pgtest.DSN(t), []byte("lost-create-reply"))
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	proxy.Armed.Store(true)
	info := games.MatchInfo{ID: "lost-create-reply", Kind: "games.test", Players: []string{"a", "b"}, Epoch: "e", Start: "s"}
	if err := s.Create(ctx, info); err != nil {
		t.Fatalf("Create with its reply lost: %v", err)
	}
	if proxy.Cuts.Load() != 1 {
		t.Fatal("the reply was not cut")
	}
	if err := s.Create(ctx, info); !errors.Is(err, games.ErrMatchExists) {
		t.Fatalf("a second Create: %v, want ErrMatchExists", err)
	}
}

// TestTimeout: a database that stops answering (the proxy passes nothing
// on) fails calls with ErrUnavailable after Options.Timeout, instead of
// holding the match room; when it answers again, calls work, and a
// bystander match on another store was never held up.
func TestTimeout(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := pgtest.NewProxy(t, pgtest.DSN(t), nil)
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	bystander := openStore(t, pgtest.NewSchema(t), Options{})
	newMatch(t, s, "m")
	newMatch(t, bystander, "m")

	proxy.Stalled.Store(true)
	t0 := time.Now()
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); !isUnavailable(err) {
		t.Fatalf("Append to a silent database: %v, want ErrUnavailable", err)
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Fatalf("the call took %v with a timeout of 300ms", took)
	}
	if _, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10); !isUnavailable(err) {
		t.Fatalf("Finished from a silent database: %v, want ErrUnavailable", err)
	}
	if err := bystander.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatalf("the bystander store: %v", err)
	}
	proxy.Stalled.Store(false)
	pgtest.WaitAnswers(t, func() error {
		_, err := s.Finished(ctx, "a", games.HistoryCursor{}, 10)
		return err
	}, isUnavailable)
	if err := s.Append(ctx, games.Write{Match: "m", Entries: []games.Entry{moved(1, 0)}}); err != nil {
		t.Fatalf("Append once the database answers: %v", err)
	}
	if def := openStore(t, pgtest.NewSchema(t), Options{}); def.gate.Timeout() != DefaultTimeout {
		t.Fatalf("default Timeout %v", def.gate.Timeout())
	}
}

func seqsOf(log []games.Entry) []uint64 {
	out := make([]uint64, len(log))
	for i, e := range log {
		out[i] = e.Seq
	}
	return out
}
