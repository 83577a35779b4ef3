package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// TestIndexesBuiltOnOpen: a file written before the inbox index and the
// log values' headers existed gets the index built when it is opened, and
// its inboxes list the same conversations in the same order with the same
// unread counts.
func TestIndexesBuiltOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, other := range []string{"b", "c", "d"} {
		id := "dm-" + other
		e := chat.Message{Room: id, Seq: 1, ID: id, Kind: chat.KindMessage, From: other, Time: int64(100 + i), Text: "hi"}
		info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{"a", other}, Created: 1}
		if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
			t.Fatal(err)
		}
	}
	// In dm-c: two more from c, the first of them deleted.
	more := []chat.Write{
		{Entry: chat.Message{Room: "dm-c", Seq: 2, ID: "c2", Kind: chat.KindMessage, From: "c", Time: 200, Text: "x"}},
		{Entry: chat.Message{Room: "dm-c", Seq: 3, ID: "c3", Kind: chat.KindMessage, From: "c", Time: 201, Text: "y"}},
		{Entry: chat.Message{Room: "dm-c", Seq: 4, ID: "c4", Kind: chat.KindDelete, From: "c", Time: 202, Target: 2},
			Update: &chat.Message{Room: "dm-c", Seq: 2, ID: "c2", Kind: chat.KindMessage, From: "c", Time: 200, Deleted: true}},
	}
	for _, w := range more {
		if _, _, err := s.Append(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.Conversations(ctx, "a", 0, 10)
	if err != nil || len(before) != 3 || before[0].Room != "dm-c" || before[0].Unread != 2 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	// Make it an old file: no inbox index, log values in bare msgpack,
	// and the authors index those files had.
	err = rawUpdate(s, func(tx *bolt.Tx) error {
		if err := writeOldLog(tx); err != nil {
			return err
		}
		return tx.DeleteBucket(bucketInbox)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, err := s.Conversations(ctx, "a", 0, 10)
	if err != nil || !slices.EqualFunc(after, before, func(x, y chat.Conversation) bool {
		return x.Room == y.Room && x.Updated == y.Updated && x.Unread == y.Unread
	}) {
		t.Fatalf("after rebuilding: %+v, %v; want %+v", after, err, before)
	}
	if list, _ := s.Conversations(ctx, "c", 0, 10); len(list) != 1 || list[0].Room != "dm-c" {
		t.Fatalf("c's inbox: %+v", list)
	}
}
