// Package storetest is the contract every chat.Store must meet. A store's
// tests call Run with a constructor; the chat module relies on nothing
// that Run does not check.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) chat.Store {
//			s := mystore.Open(...)
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
)

// Run runs the contract tests, each on a fresh store from newStore. The
// constructor should register the store's Close with t.Cleanup; Run may
// close a store itself, so Close must be safe to call twice.
func Run(t *testing.T, newStore func(t *testing.T) chat.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s chat.Store)
	}{
		{"Empty", testEmpty},
		{"AppendInOrder", testAppendInOrder},
		{"ClientMsgIDOnce", testClientMsgIDOnce},
		{"History", testHistory},
		{"EditAndDelete", testEditAndDelete},
		{"RoomRecordAndConversations", testRoomRecord},
		{"Reads", testReads},
		{"Unread", testUnread},
		{"ConversationOrder", testConversationOrder},
		{"InboxPaging", testInboxPaging},
		{"InboxUnread", testInboxUnread},
		{"Trim", testTrim},
		{"TrimConcurrent", testTrimConcurrent},
		{"NoAliasing", testNoAliasing},
		{"Concurrent", testConcurrent},
		{"Epoch", testEpoch},
		{"Closed", testClosed},
		{"GroupsCreated", testGroupsCreated},
		{"Settings", testSettings},
		{"SettingsNoAliasing", testSettingsNoAliasing},
		{"HiddenBeforeRecord", testHiddenBeforeRecord},
		{"GameNote", testGameNote},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var ctx = context.Background()

// msg is a KindMessage entry of room at seq.
func msg(room string, seq uint64, from, text string) chat.Message {
	return chat.Message{
		Room: room, Seq: seq, ID: fmt.Sprintf("%s-%d", room, seq), Kind: chat.KindMessage,
		From: from, Time: int64(1000 + seq), Text: text,
	}
}

func mustAppend(t *testing.T, s chat.Store, w chat.Write) chat.Message {
	t.Helper()
	m, dup, err := s.Append(ctx, w)
	if err != nil || dup {
		t.Fatalf("Append(%s seq %d): dup %v, err %v", w.Entry.Room, w.Entry.Seq, dup, err)
	}
	return m
}

// fill appends n messages to room, alternating authors a and b, after the
// entries already there.
func fill(t *testing.T, s chat.Store, room string, from, n uint64, a, b string) {
	t.Helper()
	for seq := from; seq < from+n; seq++ {
		author := a
		if seq%2 == 0 {
			author = b
		}
		mustAppend(t, s, chat.Write{Entry: msg(room, seq, author, fmt.Sprint("text ", seq))})
	}
}

func seqs(list []chat.Message) []uint64 {
	out := make([]uint64, len(list))
	for i, m := range list {
		out[i] = m.Seq
	}
	return out
}

func dm(id, a, b string, created int64) *chat.RoomInfo {
	return &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{a, b}, Created: created}
}

func testEmpty(t *testing.T, s chat.Store) {
	if _, err := s.Room(ctx, "r"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Room of an unknown room: %v, want ErrNotFound", err)
	}
	if st, err := s.State(ctx, "r"); err != nil || st.Head != 0 || st.Last != nil || st.Updated != 0 {
		t.Errorf("State of an unknown room: %+v, %v", st, err)
	}
	if h, err := s.History(ctx, "r", 0, 10); err != nil || len(h) != 0 {
		t.Errorf("History of an unknown room: %v, %v", h, err)
	}
	if _, err := s.Get(ctx, "r", 1); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if _, err := s.Lookup(ctx, "r", "a", "c1"); !errors.Is(err, chat.ErrNotFound) {
		t.Errorf("Lookup: %v, want ErrNotFound", err)
	}
	if r, err := s.Reads(ctx, "r"); err != nil || len(r) != 0 {
		t.Errorf("Reads: %v, %v", r, err)
	}
	if n, err := s.Unread(ctx, "r", "a", 10); err != nil || n != 0 {
		t.Errorf("Unread: %d, %v", n, err)
	}
	if c, err := s.Conversations(ctx, "a", 10, 10); err != nil || len(c) != 0 {
		t.Errorf("Conversations: %v, %v", c, err)
	}
}

func testAppendInOrder(t *testing.T, s chat.Store) {
	for _, seq := range []uint64{0, 2} {
		if _, _, err := s.Append(ctx, chat.Write{Entry: msg("r", seq, "a", "x")}); !errors.Is(err, chat.ErrSeqConflict) {
			t.Fatalf("Append at seq %d of an empty log: %v, want ErrSeqConflict", seq, err)
		}
	}
	fill(t, s, "r", 1, 5, "a", "b")
	for _, seq := range []uint64{5, 7} {
		if _, _, err := s.Append(ctx, chat.Write{Entry: msg("r", seq, "a", "x")}); !errors.Is(err, chat.ErrSeqConflict) {
			t.Fatalf("Append at seq %d after head 5: %v, want ErrSeqConflict", seq, err)
		}
	}
	st, err := s.State(ctx, "r")
	if err != nil || st.Head != 5 || st.Last == nil || st.Last.Seq != 5 || st.Last.Room != "r" || st.Updated != 1005 {
		t.Fatalf("State: %+v, %v", st, err)
	}
	got, err := s.Get(ctx, "r", 3)
	if want := msg("r", 3, "a", "text 3"); err != nil || !equal(got, want) {
		t.Fatalf("Get(3) = %+v, %v; want %+v", got, err, want)
	}
	// Edits, deletes and members entries are not "last messages".
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "r", Seq: 6, ID: "e", Kind: chat.KindEdit, From: "a", Time: 2000, Target: 5, Text: "y"},
		Update: ptr(msg("r", 5, "a", "y"))})
	st, _ = s.State(ctx, "r")
	if st.Head != 6 || st.Last == nil || st.Last.Seq != 5 || st.Last.Text != "y" || st.Updated != 1005 {
		t.Fatalf("State after an edit: %+v (last %+v)", st, st.Last)
	}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "r", Seq: 7, ID: "m", Kind: chat.KindMembers, From: "a", Time: 3000, Added: []string{"c"}}})
	if st, _ = s.State(ctx, "r"); st.Head != 7 || st.Last.Seq != 5 || st.Updated != 3000 {
		t.Fatalf("State after a members entry: %+v", st)
	}
	// Another room's log is separate.
	if st, _ := s.State(ctx, "r2"); st.Head != 0 {
		t.Fatalf("another room has head %d", st.Head)
	}
	mustAppend(t, s, chat.Write{Entry: msg("r2", 1, "a", "x")})
}

func testClientMsgIDOnce(t *testing.T, s chat.Store) {
	first := msg("r", 1, "a", "hello")
	first.ClientMsgID = "c1"
	mustAppend(t, s, chat.Write{Entry: first})
	retry := msg("r", 2, "a", "hello again")
	retry.ClientMsgID = "c1"
	got, dup, err := s.Append(ctx, chat.Write{Entry: retry, Read: &chat.Receipt{User: "a", Seq: 2}})
	if err != nil || !dup || !equal(got, first) {
		t.Fatalf("retry: %+v dup %v err %v; want the first entry as a duplicate", got, dup, err)
	}
	if st, _ := s.State(ctx, "r"); st.Head != 1 {
		t.Fatalf("head %d after a duplicate, want 1", st.Head)
	}
	if r, _ := s.Reads(ctx, "r"); r["a"] != 0 {
		t.Fatalf("a duplicate moved the read seq to %d", r["a"])
	}
	// Even a retry whose seq is stale is recognised.
	retry.Seq = 1
	if got, dup, err := s.Append(ctx, chat.Write{Entry: retry}); err != nil || !dup || got.Seq != 1 {
		t.Fatalf("stale retry: %+v %v %v", got, dup, err)
	}
	if got, err := s.Lookup(ctx, "r", "a", "c1"); err != nil || !equal(got, first) {
		t.Fatalf("Lookup = %+v, %v", got, err)
	}
	// The id is per author and per room.
	other := msg("r", 2, "b", "hi")
	other.ClientMsgID = "c1"
	mustAppend(t, s, chat.Write{Entry: other})
	elsewhere := msg("r2", 1, "a", "hi")
	elsewhere.ClientMsgID = "c1"
	mustAppend(t, s, chat.Write{Entry: elsewhere})
	if _, err := s.Lookup(ctx, "r", "b", "c2"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup of an unknown id: %v", err)
	}
}

func testHistory(t *testing.T, s chat.Store) {
	fill(t, s, "r", 1, 10, "a", "b")
	fill(t, s, "q", 1, 3, "a", "b") // a neighbour that must not leak in
	cases := []struct {
		before uint64
		limit  int
		want   []uint64
	}{
		{0, 3, []uint64{8, 9, 10}},
		{0, 100, []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{11, 2, []uint64{9, 10}},
		{1000, 2, []uint64{9, 10}},
		{8, 3, []uint64{5, 6, 7}},
		{3, 5, []uint64{1, 2}},
		{1, 5, []uint64{}},
		{5, 0, []uint64{}},
		{5, -1, []uint64{}},
	}
	for _, c := range cases {
		got, err := s.History(ctx, "r", c.before, c.limit)
		if err != nil || !slices.Equal(seqs(got), c.want) {
			t.Errorf("History(before %d, limit %d) = %v, %v; want %v", c.before, c.limit, seqs(got), err, c.want)
		}
		for _, m := range got {
			if m.Room != "r" {
				t.Errorf("entry %d has room %q", m.Seq, m.Room)
			}
		}
	}
}

func testEditAndDelete(t *testing.T, s chat.Store) {
	fill(t, s, "r", 1, 2, "a", "b")
	edited := msg("r", 1, "a", "fixed")
	edited.Edited = 5000
	mustAppend(t, s, chat.Write{
		Entry:  chat.Message{Room: "r", Seq: 3, ID: "e", Kind: chat.KindEdit, From: "a", Time: 5000, Target: 1, Text: "fixed"},
		Update: &edited,
	})
	if got, _ := s.Get(ctx, "r", 1); got.Text != "fixed" || got.Edited != 5000 {
		t.Fatalf("edited message: %+v", got)
	}
	if got, _ := s.Get(ctx, "r", 3); got.Kind != chat.KindEdit || got.Target != 1 {
		t.Fatalf("edit entry: %+v", got)
	}
	deleted := msg("r", 2, "b", "")
	deleted.Deleted = true
	mustAppend(t, s, chat.Write{
		Entry:  chat.Message{Room: "r", Seq: 4, ID: "d", Kind: chat.KindDelete, From: "b", Time: 6000, Target: 2},
		Update: &deleted,
	})
	h, _ := s.History(ctx, "r", 0, 10)
	if len(h) != 4 || h[0].Text != "fixed" || !h[1].Deleted || h[1].Text != "" {
		t.Fatalf("history after edit and delete: %+v", h)
	}
	if st, _ := s.State(ctx, "r"); st.Last == nil || st.Last.Seq != 2 || !st.Last.Deleted {
		t.Fatalf("last message after deleting it: %+v", st.Last)
	}
	// Updating an entry that does not exist fails, and writes nothing.
	for _, seq := range []uint64{0, 9} {
		missing := msg("r", seq, "a", "x")
		_, _, err := s.Append(ctx, chat.Write{
			Entry:  chat.Message{Room: "r", Seq: 5, ID: "x", Kind: chat.KindEdit, From: "a", Time: 7000, Target: seq, Text: "x"},
			Update: &missing,
		})
		if !errors.Is(err, chat.ErrNotFound) {
			t.Fatalf("update of missing seq %d: %v, want ErrNotFound", seq, err)
		}
	}
	if st, _ := s.State(ctx, "r"); st.Head != 4 {
		t.Fatalf("a failed append moved the head to %d", st.Head)
	}
}

func testRoomRecord(t *testing.T, s chat.Store) {
	info := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "team", Members: []string{"a", "b", "c"}, Admins: []string{"a"}, Created: 500}
	mustAppend(t, s, chat.Write{
		Entry: chat.Message{Room: "g", Seq: 1, ID: "1", Kind: chat.KindMembers, From: "a", Time: 500, Added: info.Members, Name: "team"},
		Room:  info,
	})
	got, err := s.Room(ctx, "g")
	if err != nil || got.Name != "team" || !slices.Equal(got.Members, info.Members) || !slices.Equal(got.Admins, info.Admins) || got.Created != 500 || got.Kind != chat.KindGroup {
		t.Fatalf("Room = %+v, %v", got, err)
	}
	for _, u := range []string{"a", "b", "c"} {
		list, err := s.Conversations(ctx, u, 10, 10)
		if err != nil || len(list) != 1 || list[0].Room != "g" || list[0].Name != "team" || list[0].Kind != chat.KindGroup || list[0].Head != 1 || list[0].Updated != 500 {
			t.Fatalf("Conversations(%s) = %+v, %v", u, list, err)
		}
	}
	// Replacing the record moves the room in and out of conversation lists.
	next := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "team", Members: []string{"a", "c", "d"}, Admins: []string{"a"}, Created: 500}
	mustAppend(t, s, chat.Write{
		Entry: chat.Message{Room: "g", Seq: 2, ID: "2", Kind: chat.KindMembers, From: "a", Time: 600, Added: []string{"d"}, Removed: []string{"b"}},
		Room:  next,
	})
	for u, want := range map[string]int{"a": 1, "b": 0, "c": 1, "d": 1} {
		if list, _ := s.Conversations(ctx, u, 10, 10); len(list) != want {
			t.Fatalf("%s has %d conversations, want %d", u, len(list), want)
		}
	}
	// A DM names the other user.
	mustAppend(t, s, chat.Write{Entry: msg("d1", 1, "a", "hi"), Room: dm("d1", "a", "b", 700)})
	list, _ := s.Conversations(ctx, "b", 10, 10)
	if len(list) != 1 || list[0].With != "a" || list[0].Kind != chat.KindDM || list[0].Unread != 1 || list[0].Last == nil || list[0].Last.Text != "hi" {
		t.Fatalf("b's conversations: %+v", list)
	}
	// A record for another room is refused.
	if _, _, err := s.Append(ctx, chat.Write{Entry: msg("d2", 1, "a", "x"), Room: dm("d3", "a", "b", 1)}); err == nil {
		t.Fatal("a record for another room was accepted")
	}
}

func testReads(t *testing.T, s chat.Store) {
	fill(t, s, "r", 1, 5, "a", "b")
	for _, c := range []struct{ set, want uint64 }{{3, 3}, {2, 3}, {5, 5}, {0, 5}} {
		if got, err := s.SetRead(ctx, "r", "b", c.set); err != nil || got != c.want {
			t.Fatalf("SetRead(%d) = %d, %v; want %d", c.set, got, err, c.want)
		}
	}
	// A write's receipt moves forward only too.
	mustAppend(t, s, chat.Write{Entry: msg("r", 6, "a", "x"), Read: &chat.Receipt{User: "a", Seq: 6}})
	mustAppend(t, s, chat.Write{Entry: msg("r", 7, "c", "x"), Read: &chat.Receipt{User: "b", Seq: 1}})
	reads, err := s.Reads(ctx, "r")
	if err != nil || len(reads) != 2 || reads["a"] != 6 || reads["b"] != 5 {
		t.Fatalf("Reads = %v, %v", reads, err)
	}
	if _, err := s.SetRead(ctx, "r2", "b", 1); err != nil {
		t.Fatal(err)
	}
	if reads, _ := s.Reads(ctx, "r"); len(reads) != 2 {
		t.Fatalf("another room's receipt leaked in: %v", reads)
	}
}

func testUnread(t *testing.T, s chat.Store) {
	fill(t, s, "r", 1, 6, "a", "b") // a wrote 1, 3, 5; b wrote 2, 4, 6
	count := func(user string, max int) int {
		t.Helper()
		n, err := s.Unread(ctx, "r", user, max)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count("a", 100); n != 3 {
		t.Fatalf("a's unread %d, want 3 (only messages of others count)", n)
	}
	if n := count("c", 100); n != 6 {
		t.Fatalf("c's unread %d, want 6", n)
	}
	if n := count("c", 4); n != 4 {
		t.Fatalf("capped unread %d, want 4", n)
	}
	deleted := msg("r", 6, "b", "")
	deleted.Deleted = true
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "r", Seq: 7, ID: "d", Kind: chat.KindDelete, From: "b", Time: 9, Target: 6}, Update: &deleted})
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "r", Seq: 8, ID: "m", Kind: chat.KindMembers, From: "b", Time: 9, Added: []string{"c"}}})
	if n := count("a", 100); n != 2 {
		t.Fatalf("a's unread %d after a delete and a members entry, want 2", n)
	}
	if _, err := s.SetRead(ctx, "r", "a", 3); err != nil {
		t.Fatal(err)
	}
	if n := count("a", 100); n != 1 {
		t.Fatalf("a's unread %d after reading to 3, want 1", n)
	}
	if _, err := s.SetRead(ctx, "r", "a", 8); err != nil {
		t.Fatal(err)
	}
	if n := count("a", 100); n != 0 {
		t.Fatalf("a's unread %d after reading everything", n)
	}
}

func testConversationOrder(t *testing.T, s chat.Store) {
	// Created 100, 200, 300; only "old" and "mid" have messages, at 1001.. and 2001..
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "old", Seq: 1, ID: "o1", Kind: chat.KindMessage, From: "b", Time: 1001, Text: "x"}, Room: dm("old", "a", "b", 100)})
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "mid", Seq: 1, ID: "m1", Kind: chat.KindMessage, From: "c", Time: 2001, Text: "y"}, Room: dm("mid", "a", "c", 200)})
	fresh := &chat.RoomInfo{ID: "new", Kind: chat.KindGroup, Name: "g", Members: []string{"a", "d"}, Admins: []string{"d"}, Created: 3000}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "new", Seq: 1, ID: "n1", Kind: chat.KindMembers, From: "d", Time: 3000, Added: fresh.Members}, Room: fresh})
	list, err := s.Conversations(ctx, "a", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var rooms []string
	for _, c := range list {
		rooms = append(rooms, c.Room)
	}
	if !slices.Equal(rooms, []string{"new", "mid", "old"}) {
		t.Fatalf("order %v, want new, mid, old", rooms)
	}
	if list[1].With != "c" || list[1].Unread != 1 || list[1].Last.Text != "y" || list[1].Read != 0 {
		t.Fatalf("mid: %+v", list[1])
	}
	// A new message moves "old" to the top; the limit keeps the newest.
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "old", Seq: 2, ID: "o2", Kind: chat.KindMessage, From: "a", Time: 4000, Text: "z"}, Read: &chat.Receipt{User: "a", Seq: 2}})
	list, _ = s.Conversations(ctx, "a", 2, 10)
	if len(list) != 2 || list[0].Room != "old" || list[0].Unread != 0 || list[0].Read != 2 || list[1].Room != "new" {
		t.Fatalf("after a new message, limit 2: %+v", list)
	}
}

func testNoAliasing(t *testing.T, s chat.Store) {
	info := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Members: []string{"a", "b"}, Admins: []string{"a"}}
	e := chat.Message{Room: "g", Seq: 1, ID: "1", Kind: chat.KindMembers, From: "a", Added: []string{"a", "b"}}
	w := chat.Write{Entry: e, Room: info}
	got := mustAppend(t, s, w)
	info.Members[0], e.Added[0], got.Added[1] = "x", "x", "x"
	if r, _ := s.Room(ctx, "g"); r.Members[0] != "a" {
		t.Fatal("the store kept the caller's record slice")
	}
	m, _ := s.Get(ctx, "g", 1)
	if m.Added[0] != "a" || m.Added[1] != "b" {
		t.Fatalf("the store shares entry slices with callers: %v", m.Added)
	}
	m.Added[0] = "y"
	if again, _ := s.Get(ctx, "g", 1); again.Added[0] != "a" {
		t.Fatal("Get returned the stored slice")
	}
}

func testConcurrent(t *testing.T, s chat.Store) {
	const rooms, perRoom = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, rooms*2)
	for i := range rooms {
		room := fmt.Sprint("room", i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perRoom; seq++ {
				if _, _, err := s.Append(ctx, chat.Write{Entry: msg(room, seq, "a", "x"), Read: &chat.Receipt{User: "a", Seq: seq}}); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perRoom; seq++ {
				if _, err := s.SetRead(ctx, room, "b", seq); err != nil {
					errs <- err
					return
				}
				if _, err := s.History(ctx, room, 0, 5); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range rooms {
		room := fmt.Sprint("room", i)
		st, _ := s.State(ctx, room)
		reads, _ := s.Reads(ctx, room)
		h, _ := s.History(ctx, room, 0, perRoom)
		if st.Head != perRoom || reads["a"] != perRoom || reads["b"] != perRoom || len(h) != perRoom {
			t.Fatalf("%s: head %d, reads %v, %d entries", room, st.Head, reads, len(h))
		}
	}
}

func testClosed(t *testing.T, s chat.Store) {
	fill(t, s, "r", 1, 1, "a", "b")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := s.Append(ctx, chat.Write{Entry: msg("r", 2, "a", "x")}); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("Append after Close: %v, want ErrStoreClosed", err)
	}
	if _, err := s.History(ctx, "r", 0, 1); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("History after Close: %v, want ErrStoreClosed", err)
	}
	if _, err := s.SetRead(ctx, "r", "a", 1); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("SetRead after Close: %v, want ErrStoreClosed", err)
	}
	if _, err := s.ConversationsBefore(ctx, "a", chat.InboxCursor{Updated: 1, Room: "r"}, 1, 1); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("ConversationsBefore after Close: %v, want ErrStoreClosed", err)
	}
	if _, err := s.Trim(ctx, map[string]chat.TrimRule{chat.KindDM: {Keep: 1}}); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("Trim after Close: %v, want ErrStoreClosed", err)
	}
}

func equal(a, b chat.Message) bool {
	return a.Room == b.Room && a.Seq == b.Seq && a.ID == b.ID && a.Kind == b.Kind && a.From == b.From &&
		a.Time == b.Time && a.Text == b.Text && a.ClientMsgID == b.ClientMsgID && a.Target == b.Target &&
		a.Edited == b.Edited && a.Deleted == b.Deleted && slices.Equal(a.Added, b.Added) &&
		slices.Equal(a.Removed, b.Removed) && slices.Equal(a.Admins, b.Admins) && a.Name == b.Name
}

func ptr[T any](v T) *T { return &v }

// testEpoch: a store has a non-empty epoch that writes do not change.
// (That it survives a reopen, and that a new store gets another one, is
// for each implementation's own tests.)
func testEpoch(t *testing.T, s chat.Store) {
	e := s.Epoch()
	if e == "" || len(e) > 64 {
		t.Fatalf("Epoch() = %q, want 1 to 64 bytes", e)
	}
	ctx := context.Background()
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "e", Seq: 1, ID: "e1", Kind: chat.KindMessage, From: "a", Time: 1, Text: "x"}}); err != nil {
		t.Fatal(err)
	}
	if got := s.Epoch(); got != e {
		t.Fatalf("Epoch() changed from %q to %q after a write", e, got)
	}
}

// testGroupsCreated: GroupsCreated counts the group records naming a user
// as creator, from the first record on, whether or not the creator is
// still a member; direct conversations and other users' groups do not
// count, and a record that names another creator moves the group.
func testGroupsCreated(t *testing.T, s chat.Store) {
	count := func(user string, want int) {
		t.Helper()
		if n, err := s.GroupsCreated(ctx, user); err != nil || n != want {
			t.Fatalf("GroupsCreated(%s) = %d, %v, want %d", user, n, err, want)
		}
	}
	group := func(id, creator string, members ...string) *chat.RoomInfo {
		return &chat.RoomInfo{ID: id, Kind: chat.KindGroup, Name: id, Members: members, Admins: members[:1], Created: 1, Creator: creator}
	}
	members := func(room string, seq uint64, from string) chat.Message {
		return chat.Message{Room: room, Seq: seq, ID: fmt.Sprint(room, seq), Kind: chat.KindMembers, From: from, Time: int64(seq)}
	}
	count("a", 0)
	mustAppend(t, s, chat.Write{Entry: members("g1", 1, "a"), Room: group("g1", "a", "a", "b")})
	mustAppend(t, s, chat.Write{Entry: members("g2", 1, "a"), Room: group("g2", "a", "a")})
	mustAppend(t, s, chat.Write{Entry: members("g3", 1, "b"), Room: group("g3", "b", "b", "a")})
	mustAppend(t, s, chat.Write{Entry: msg("d1", 1, "a", "hi"), Room: &chat.RoomInfo{ID: "d1", Kind: chat.KindDM, Members: []string{"a", "c"}, Created: 1, Creator: "a"}})
	mustAppend(t, s, chat.Write{Entry: members("g4", 1, "c"), Room: group("g4", "", "c")})
	count("a", 2)
	count("b", 1)
	count("c", 0)
	count("", 0)
	// The creator leaves g1: it still counts. A record that changes the
	// members only keeps the count as it is.
	mustAppend(t, s, chat.Write{Entry: members("g1", 2, "a"), Room: group("g1", "a", "b")})
	mustAppend(t, s, chat.Write{Entry: members("g2", 2, "a"), Room: group("g2", "a", "a", "c")})
	count("a", 2)
	// A record naming another creator moves the group.
	mustAppend(t, s, chat.Write{Entry: members("g3", 2, "b"), Room: group("g3", "c", "b", "a")})
	count("b", 0)
	count("c", 1)
	// A refused append changes nothing.
	if _, _, err := s.Append(ctx, chat.Write{Entry: members("g5", 2, "b"), Room: group("g5", "b", "b")}); !errors.Is(err, chat.ErrSeqConflict) {
		t.Fatalf("Append at seq 2 of a new room: %v, want ErrSeqConflict", err)
	}
	count("b", 0)
}
