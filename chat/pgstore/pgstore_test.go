package pgstore

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/storetest"
	"github.com/parlorhq/parlor/internal/pgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) chat.Store {
		return openStore(t, pgtest.NewSchema(t), Options{})
	})
}

// TestReopen: everything written is there for a store opened later on
// the same schema, with the same epoch; another schema has another one.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	schema := pgtest.NewSchema(t)
	s := openStore(t, schema, Options{})
	info := &chat.RoomInfo{ID: "d", Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	e := chat.Message{Room: "d", Seq: 1, ID: "x", Kind: chat.KindMessage, From: "a", Time: 2, Text: "hi", ClientMsgID: "c1"}
	if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info, Read: &chat.Receipt{User: "a", Seq: 1}}); err != nil {
		t.Fatal(err)
	}
	epoch := s.Epoch()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, schema, Options{})
	if s.Epoch() != epoch || epoch == "" {
		t.Fatalf("epoch after reopen %q, before %q", s.Epoch(), epoch)
	}
	if other := openStore(t, pgtest.NewSchema(t), Options{}); other.Epoch() == epoch {
		t.Fatalf("a new schema has the same epoch %q", epoch)
	}
	if got, err := s.Lookup(ctx, "d", "a", "c1"); err != nil || got.Text != "hi" || got.Room != "d" {
		t.Fatalf("Lookup after reopen: %+v, %v", got, err)
	}
	list, err := s.Conversations(ctx, "b", 10, 10)
	if err != nil || len(list) != 1 || list[0].Unread != 1 || list[0].With != "a" || list[0].Head != 1 {
		t.Fatalf("b's conversations after reopen: %+v, %v", list, err)
	}
	if reads, _ := s.Reads(ctx, "d"); reads["a"] != 1 {
		t.Fatalf("reads after reopen: %v", reads)
	}
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "d", Seq: 2, ID: "y", Kind: chat.KindMessage, From: "b", Time: 3, Text: "yo"}}); err != nil {
		t.Fatal(err)
	}
}
