package boltstore

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// writeOldLog turns the log into the layout of files written before the
// log values had a header: every value bare msgpack, and beside the log
// the "authors" index (room ‖ seq -> author of a message not deleted).
func writeOldLog(tx *bolt.Tx) error {
	authors, err := tx.CreateBucket(bucketOldAuthors)
	if err != nil {
		return err
	}
	log := tx.Bucket(bucketLog)
	type kv struct{ k, v []byte }
	var all []kv
	err = log.ForEach(func(k, v []byte) error {
		_, data, _ := splitEntry(v)
		all = append(all, kv{slices.Clone(k), slices.Clone(data)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range all {
		if err := log.Put(e.k, e.v); err != nil {
			return err
		}
		m, err := decodeEntry("", e.v)
		if err != nil {
			return err
		}
		if a := unreadAuthor(m); a != "" {
			if err := authors.Put(e.k, []byte(a)); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestOldLogValues: a file whose log values have no header (written
// before the header existed, with the authors index) opens, drops the old
// index, and reads as before: history, lookups and unread counts; new
// entries, and edits and deletes of old ones, count as they should.
func TestOldLogValues(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := &chat.RoomInfo{ID: "d", Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
	writes := []chat.Write{
		{Entry: chat.Message{Room: "d", Seq: 1, ID: "m1", Kind: chat.KindMessage, From: "b", Time: 10, Text: "one", ClientMsgID: "c1"}, Room: info},
		{Entry: chat.Message{Room: "d", Seq: 2, ID: "m2", Kind: chat.KindMessage, From: "b", Time: 11, Text: "two"}},
		{Entry: chat.Message{Room: "d", Seq: 3, ID: "m3", Kind: chat.KindMessage, From: "a", Time: 12, Text: "three"}},
		{Entry: chat.Message{Room: "d", Seq: 4, ID: "m4", Kind: chat.KindMessage, From: "b", Time: 13, Text: "four"}},
	}
	for _, w := range writes {
		if _, _, err := s.Append(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.History(ctx, "d", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.write(ctx, writeOldLog); err != nil {
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
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketOldAuthors) != nil {
			t.Error("the old authors index is still there")
		}
		if _, _, old := splitEntry(tx.Bucket(bucketLog).Get(logKey("d", 1))); !old {
			t.Error("the old value was rewritten on open")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.History(ctx, "d", 0, 10)
	if err != nil || !slices.EqualFunc(after, before, func(x, y chat.Message) bool { return x.Text == y.Text && x.Seq == y.Seq && x.From == y.From }) {
		t.Fatalf("history: %+v, %v; want %+v", after, err, before)
	}
	if m, err := s.Lookup(ctx, "d", "b", "c1"); err != nil || m.Text != "one" {
		t.Fatalf("Lookup: %+v, %v", m, err)
	}
	unread := func(user string, want int) {
		t.Helper()
		if n, err := s.Unread(ctx, "d", user, 100); err != nil || n != want {
			t.Fatalf("unread of %s: %d, %v; want %d", user, n, err, want)
		}
	}
	unread("a", 3)
	unread("b", 1)
	// A new message (new layout) and the delete of an old one (rewritten
	// in the new layout) count beside the old values.
	more := []chat.Write{
		{Entry: chat.Message{Room: "d", Seq: 5, ID: "m5", Kind: chat.KindMessage, From: "b", Time: 14, Text: "five"}},
		{Entry: chat.Message{Room: "d", Seq: 6, ID: "m6", Kind: chat.KindDelete, From: "b", Time: 15, Target: 2},
			Update: &chat.Message{Room: "d", Seq: 2, ID: "m2", Kind: chat.KindMessage, From: "b", Time: 11, Deleted: true}},
	}
	for _, w := range more {
		if _, _, err := s.Append(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	unread("a", 3) // m1, m4, m5
	unread("b", 1) // m3
	if m, err := s.Get(ctx, "d", 2); err != nil || !m.Deleted {
		t.Fatalf("deleted entry: %+v, %v", m, err)
	}
	list, err := s.Conversations(ctx, "a", 10, 100)
	if err != nil || len(list) != 1 || list[0].Unread != 3 || list[0].Last == nil || list[0].Last.Text != "five" {
		t.Fatalf("a's inbox: %+v, %v", list, err)
	}
}
