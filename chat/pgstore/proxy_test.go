package pgstore

import (
	"context"
	"errors"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestLostCommitReply: the connection dies after the server received the
// COMMIT and before its answer came back. The store cannot know whether
// the entry was stored; its retry finds the entry by its write id and
// reports it as stored, once: not a duplicate, not a conflict, not an
// error, and not a second entry.
func TestLostCommitReply(t *testing.T) {
	ctx := context.Background()
	proxy, dsn := pgtest.NewProxy(t, pgtest.DSN(t), nil)
	s, err := Open(ctx, dsn, Options{Schema: pgtest.NewSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	entries := []chat.Message{
		{Room: "d", Seq: 1, ID: "m1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "with id", ClientMsgID: "c1"},
		{Room: "d", Seq: 2, ID: "m2", Kind: chat.KindMessage, From: "a", Time: 2, Text: "without"},
	}
	for _, e := range entries {
		proxy.Armed.Store(true)
		got, dup, err := s.Append(ctx, chat.Write{Entry: e})
		if err != nil || dup || got.ID != e.ID || got.Seq != e.Seq {
			t.Fatalf("Append(%s) with its commit reply lost: %+v, duplicate %v, %v", e.ID, got, dup, err)
		}
	}
	if n := proxy.Cuts.Load(); n != 2 {
		t.Fatalf("%d replies cut, want 2", n)
	}
	h, err := s.History(ctx, "d", 0, 10)
	if err != nil || len(h) != 2 || h[0].ID != "m1" || h[1].ID != "m2" {
		t.Fatalf("history: %+v, %v", h, err)
	}
	// A real resend (another call, same client message id) is still a
	// duplicate, and a real conflict still a conflict.
	resend := entries[0]
	resend.Seq, resend.ID = 3, "m3"
	if got, dup, err := s.Append(ctx, chat.Write{Entry: resend}); err != nil || !dup || got.ID != "m1" {
		t.Fatalf("resend: %+v, %v, %v", got, dup, err)
	}
	if _, _, err := s.Append(ctx, chat.Write{Entry: entries[1]}); !errors.Is(err, chat.ErrSeqConflict) {
		t.Fatalf("appending seq 2 again: %v, want ErrSeqConflict", err)
	}
}
