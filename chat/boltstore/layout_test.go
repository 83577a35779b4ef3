package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// writeOldLog turns the file into the layout of files written before
// the log values had a header and rooms had numbers: every room's log and
// client ids keyed by key(nil, room), its meta 24 bytes, every log value
// bare msgpack, and beside the log the "authors" index (room ‖ seq ->
// author of a message not deleted).
func writeOldLog(tx *bolt.Tx) error {
	if err := writeUndeferred(tx); err != nil {
		return err
	}
	authors, err := tx.CreateBucket(bucketOldAuthors)
	if err != nil {
		return err
	}
	type kv struct{ k, v []byte }
	var metas []kv
	err = tx.Bucket(bucketMeta).ForEach(func(k, v []byte) error {
		metas = append(metas, kv{slices.Clone(k), slices.Clone(v)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, mv := range metas {
		room := string(mv.k)
		m := getMeta(tx, room)
		newPrefix, oldPrefix := logPrefix(room, m), key(nil, room)
		for _, name := range [][]byte{bucketLog, bucketCMIDs} {
			b := tx.Bucket(name)
			var moved []kv
			c := b.Cursor()
			for k, v := c.Seek(newPrefix); k != nil && hasPrefix(k, newPrefix); k, v = c.Next() {
				moved = append(moved, kv{slices.Clone(k), slices.Clone(v)})
			}
			for _, e := range moved {
				if err := b.Delete(e.k); err != nil {
					return err
				}
				k := append(slices.Clone(oldPrefix), e.k[len(newPrefix):]...)
				v := e.v
				if string(name) == string(bucketLog) {
					_, v, _ = splitEntry(e.v)
					m, err := decodeEntry("", v)
					if err != nil {
						return err
					}
					if a := unreadAuthor(m); a != "" {
						if err := authors.Put(k, []byte(a)); err != nil {
							return err
						}
					}
				}
				if err := b.Put(k, v); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket(bucketMeta).Put(mv.k, mv.v[:24]); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketStore).Delete(keyRoomNum)
}

// writeUndeferred turns the file into the layout of files written before
// inbox moves were deferred: every pending room moved to its true time in
// the inbox index, every meta value 32 bytes (24 for a room without a
// number), and no inboxmoves and inboxdue buckets.
func writeUndeferred(tx *bolt.Tx) error {
	var rooms []string
	err := tx.Bucket(bucketMeta).ForEach(func(k, _ []byte) error {
		rooms = append(rooms, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for _, room := range rooms {
		if m := getMeta(tx, room); m.pending {
			if err := moveRoom(tx, room, m.indexed); err != nil {
				return err
			}
		}
		m := getMeta(tx, room)
		m.hasIndexed, m.pending, m.indexed = false, false, 0
		if err := putMeta(tx, room, m); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{bucketMoves, bucketDue} {
		if err := tx.DeleteBucket(b); err != nil {
			return err
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
	if err := rawUpdate(s, writeOldLog); err != nil {
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
		if _, _, old := splitEntry(tx.Bucket(bucketLog).Get(entryKey(key(nil, "d"), 1))); !old {
			t.Error("the old value was rewritten on open, or moved")
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

	// A new room beside the old one gets a number; the old one keeps
	// its keys.
	info2 := &chat.RoomInfo{ID: "e", Kind: chat.KindDM, Members: []string{"a", "c"}, Created: 1}
	e1 := chat.Message{Room: "e", Seq: 1, ID: "e1", Kind: chat.KindMessage, From: "c", Time: 20, Text: "new", ClientMsgID: "c1"}
	if _, _, err := s.Append(ctx, chat.Write{Entry: e1, Room: info2}); err != nil {
		t.Fatal(err)
	}
	err = s.view(ctx, func(tx *bolt.Tx) error {
		if m := getMeta(tx, "d"); m.num != 0 || m.head != 6 {
			t.Errorf("old room's state: %+v", m)
		}
		if m := getMeta(tx, "e"); m.num != 1 || m.head != 1 {
			t.Errorf("new room's state: %+v", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := s.Lookup(ctx, "e", "c", "c1"); err != nil || m.Text != "new" {
		t.Fatalf("Lookup in the new room: %+v, %v", m, err)
	}
	if m, err := s.Lookup(ctx, "d", "b", "c1"); err != nil || m.Text != "one" {
		t.Fatalf("Lookup in the old room, with the same client id: %+v, %v", m, err)
	}
	if list, err := s.Conversations(ctx, "a", 10, 100); err != nil || len(list) != 2 || list[0].Room != "e" || list[0].Unread != 1 || list[1].Unread != 3 {
		t.Fatalf("a's inbox with both rooms: %+v, %v", list, err)
	}
	// Trimming the old room removes its old keys, client ids included.
	if n, err := s.Trim(ctx, map[string]chat.TrimRule{chat.KindDM: {Keep: 2}}); err != nil || n != 4 {
		t.Fatalf("Trim: %d, %v; want 4 (the old room's first four)", n, err)
	}
	if _, err := s.Lookup(ctx, "d", "b", "c1"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup of a trimmed entry: %v", err)
	}
	if h, err := s.History(ctx, "d", 0, 10); err != nil || len(h) != 2 || h[0].Seq != 5 {
		t.Fatalf("old room's history after the trim: %+v, %v", h, err)
	}
	if h, err := s.History(ctx, "e", 0, 10); err != nil || len(h) != 1 || h[0].Text != "new" {
		t.Fatalf("new room's history after the trim: %+v, %v", h, err)
	}
}

// TestRoomNumbers: rooms are numbered in the order of their first entry,
// and their log and client id keys are the number and the seq (or the
// sender and the id), not the room id.
func TestRoomNumbers(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, id := range []string{"zz", "aa"} {
		info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
		e := chat.Message{Room: id, Seq: 1, ID: id, Kind: chat.KindMessage, From: "a", Time: int64(i), Text: "hi", ClientMsgID: "c"}
		if _, _, err := s.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
			t.Fatal(err)
		}
	}
	err = s.view(ctx, func(tx *bolt.Tx) error {
		for i, id := range []string{"zz", "aa"} {
			num := uint64(i + 1)
			if m := getMeta(tx, id); m.num != num {
				t.Errorf("room %s: number %d, want %d", id, m.num, num)
			}
			k := binary.BigEndian.AppendUint64(be64(num), 1)
			if tx.Bucket(bucketLog).Get(k) == nil {
				t.Errorf("room %s: no log key %x", id, k)
			}
			if v := tx.Bucket(bucketCMIDs).Get(key(key(be64(num), "a"), "c")); getUint(v) != 1 {
				t.Errorf("room %s: client id key holds %x", id, v)
			}
		}
		if n := getUint(tx.Bucket(bucketStore).Get(keyRoomNum)); n != 2 {
			t.Errorf("last room number %d, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUndeferredFile: a file written before inbox moves were deferred (32
// byte meta values, every room at its true time in the index, no
// inboxmoves or inboxdue bucket) opens, lists the same inboxes, and then
// defers the moves of its old rooms like those of new ones.
func TestUndeferredFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chat.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"d1", "d2", "d3"} {
		info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
		appendOK(t, s, chat.Write{Entry: chat.Message{Room: id, Seq: 1, Kind: chat.KindMessage, From: "b", Time: int64(100 + i), Text: "x"}, Room: info})
	}
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "d1", Seq: 2, Kind: chat.KindMessage, From: "b", Time: 500, Text: "x"}})
	before, err := s.Conversations(ctx, "a", 0, 10)
	if err != nil || !slices.Equal(rooms(before), []string{"d1@500", "d3@102", "d2@101"}) {
		t.Fatalf("before: %v, %v", rooms(before), err)
	}
	if err := rawUpdate(s, writeUndeferred); err != nil {
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
		if n := len(tx.Bucket(bucketMeta).Get([]byte("d1"))); n != 32 {
			t.Errorf("d1's meta has %d bytes, want 32 (as written)", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after, err := s.Conversations(ctx, "a", 0, 10); err != nil || !slices.Equal(rooms(after), rooms(before)) {
		t.Fatalf("after reopening: %v, %v; want %v", rooms(after), err, rooms(before))
	}
	// d2 was last moved at 101: a message at 1,200 moves it, one at 1,300
	// is deferred and still listed at its true time.
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "d2", Seq: 2, Kind: chat.KindMessage, From: "b", Time: 1200, Text: "x"}})
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "d2", Seq: 3, Kind: chat.KindMessage, From: "b", Time: 1300, Text: "x"}})
	if at, _ := indexedAt(t, s, "a", "d2"); at != 1200 {
		t.Fatalf("d2 in a's index at %d, want 1200", at)
	}
	if got := pendingOf(t, s, "a"); !slices.Equal(got, []string{"d2"}) {
		t.Fatalf("a's pending rooms: %v", got)
	}
	if list, err := s.Conversations(ctx, "a", 0, 10); err != nil || !slices.Equal(rooms(list), []string{"d2@1300", "d1@500", "d3@102"}) {
		t.Fatalf("a's inbox: %v, %v", rooms(list), err)
	}
	if n, err := s.Unread(ctx, "d2", "a", 100); err != nil || n != 3 {
		t.Fatalf("unread in d2: %d, %v", n, err)
	}
}
