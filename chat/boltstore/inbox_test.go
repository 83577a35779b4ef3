package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// TestInboxIndexBuiltOnOpen: a file written before the inbox index
// existed gets the index built when it is opened, and its inboxes list
// the same conversations in the same order.
func TestInboxIndexBuiltOnOpen(t *testing.T) {
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
	before, err := s.Conversations(ctx, "a", 0, 10)
	if err != nil || len(before) != 3 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	// Make it an old file: no index bucket.
	if err := s.write(ctx, func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketInbox) }); err != nil {
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
