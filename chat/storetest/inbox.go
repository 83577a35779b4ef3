package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
)

func rooms(list []chat.Conversation) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.Room
	}
	return out
}

// pages reads user's whole inbox with ConversationsBefore, size at a time.
func pages(t *testing.T, s chat.Store, user string, size int) [][]string {
	t.Helper()
	var out [][]string
	var cur chat.InboxCursor
	for range 100 {
		page, err := s.ConversationsBefore(ctx, user, cur, size, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, rooms(page))
		cur = chat.CursorOf(page[len(page)-1])
	}
	t.Fatal("paging does not end")
	return nil
}

// testInboxPaging: ConversationsBefore pages through an inbox in
// SortConversations order, and the pages follow every move of a
// conversation: new messages, new groups, members removed and added.
func testInboxPaging(t *testing.T, s chat.Store) {
	// u has DMs d0..d5, d{i} last written at 1000+10i, except d2 and d4
	// both at 1040 (so room id breaks the tie), and a group g created at
	// 1025 without messages of its own.
	for i := range 6 {
		id := fmt.Sprint("d", i)
		tm := int64(1000 + 10*i)
		if i == 2 {
			tm = 1040
		}
		mustAppend(t, s, chat.Write{Entry: chat.Message{Room: id, Seq: 1, ID: id, Kind: chat.KindMessage, From: "x", Time: tm, Text: "hi"},
			Room: dm(id, "u", fmt.Sprint("p", i), 1)})
	}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 1, ID: "g1", Kind: chat.KindMembers, From: "a", Time: 1025, Added: []string{"a", "u"}},
		Room: &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "g", Members: []string{"a", "u"}, Admins: []string{"a"}, Created: 1025}})
	want := []string{"d5", "d2", "d4", "d3", "g", "d1", "d0"}
	all, err := s.Conversations(ctx, "u", 0, 10)
	if err != nil || !slices.Equal(rooms(all), want) {
		t.Fatalf("Conversations = %v, %v; want %v", rooms(all), err, want)
	}
	check := func(size int, want ...[]string) {
		t.Helper()
		if got := pages(t, s, "u", size); !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("pages of %d: %v, want %v", size, got, want)
		}
	}
	check(3, []string{"d5", "d2", "d4"}, []string{"d3", "g", "d1"}, []string{"d0"})
	check(7, want)
	// A cursor need not be a conversation of the inbox.
	page, _ := s.ConversationsBefore(ctx, "u", chat.InboxCursor{Updated: 1040, Room: "d3"}, 10, 10)
	if got := rooms(page); !slices.Equal(got, []string{"d4", "d3", "g", "d1", "d0"}) {
		t.Fatalf("page after (1040, d3): %v", got)
	}
	page, _ = s.ConversationsBefore(ctx, "u", chat.InboxCursor{Updated: 1030, Room: "d3"}, 10, 10)
	if got := rooms(page); !slices.Equal(got, []string{"g", "d1", "d0"}) {
		t.Fatalf("page after d3: %v", got)
	}
	if page, err := s.ConversationsBefore(ctx, "u", chat.CursorOf(all[6]), 10, 10); err != nil || len(page) != 0 {
		t.Fatalf("page after the last: %v, %v", rooms(page), err)
	}
	// A new message moves d0 to the top; an edit moves nothing.
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "d0", Seq: 2, ID: "d0b", Kind: chat.KindMessage, From: "u", Time: 2000, Text: "back"}})
	edited := chat.Message{Room: "d1", Seq: 1, ID: "d1", Kind: chat.KindMessage, From: "x", Time: 1010, Text: "fixed", Edited: 3000}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "d1", Seq: 2, ID: "d1e", Kind: chat.KindEdit, From: "x", Time: 3000, Target: 1, Text: "fixed"}, Update: &edited})
	check(3, []string{"d0", "d5", "d2"}, []string{"d4", "d3", "g"}, []string{"d1"})
	// Removed from g: out of u's pages, still in a's. Added back: in
	// again, at the time of the members entry.
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 2, ID: "g2", Kind: chat.KindMembers, From: "a", Time: 2100, Removed: []string{"u"}},
		Room: &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "g", Members: []string{"a"}, Admins: []string{"a"}, Created: 1025}})
	check(3, []string{"d0", "d5", "d2"}, []string{"d4", "d3", "d1"})
	if got := pages(t, s, "a", 10); len(got) != 1 || !slices.Equal(got[0], []string{"g"}) {
		t.Fatalf("a's inbox: %v", got)
	}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 3, ID: "g3", Kind: chat.KindMembers, From: "a", Time: 2200, Added: []string{"u"}},
		Room: &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "g", Members: []string{"a", "u"}, Admins: []string{"a"}, Created: 1025}})
	check(4, []string{"g", "d0", "d5", "d2"}, []string{"d4", "d3", "d1"})
	// The other users of the DMs each have exactly their own.
	for i := range 6 {
		if got := pages(t, s, fmt.Sprint("p", i), 10); len(got) != 1 || !slices.Equal(got[0], []string{fmt.Sprint("d", i)}) {
			t.Fatalf("p%d's inbox: %v", i, got)
		}
	}
}

// testInboxUnread: the conversations of an inbox page carry the unread
// counts, receipts and last messages that messages, edits, deletes, reads
// and member changes leave.
func testInboxUnread(t *testing.T, s chat.Store) {
	members := func(seq uint64, tm int64, list ...string) chat.Write {
		return chat.Write{
			Entry: chat.Message{Room: "g", Seq: seq, ID: fmt.Sprint("m", seq), Kind: chat.KindMembers, From: "a", Time: tm},
			Room:  &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "g", Members: list, Admins: []string{"a"}, Created: 100},
		}
	}
	mustAppend(t, s, members(1, 100, "a", "u", "b"))
	say := func(seq uint64, from string, read bool) {
		w := chat.Write{Entry: msg("g", seq, from, fmt.Sprint("text ", seq))}
		if read {
			w.Read = &chat.Receipt{User: from, Seq: seq}
		}
		mustAppend(t, s, w)
	}
	say(2, "a", true)
	say(3, "a", true)
	say(4, "u", true) // u's own message moves u's receipt to 4
	say(5, "b", true)
	say(6, "b", true)
	// A neighbour in u's inbox, older, unread.
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "d", Seq: 1, ID: "d1", Kind: chat.KindMessage, From: "c", Time: 50, Text: "x"}, Room: dm("d", "u", "c", 10)})
	page := func(user string, maxUnread int) []chat.Conversation {
		t.Helper()
		list, err := s.ConversationsBefore(ctx, user, chat.InboxCursor{}, 10, maxUnread)
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	expect := func(what, user string, unread int, read, last uint64) {
		t.Helper()
		list := page(user, 10)
		if len(list) == 0 || list[0].Room != "g" {
			t.Fatalf("%s: %s's inbox %v", what, user, rooms(list))
		}
		c := list[0]
		gotLast := uint64(0)
		if c.Last != nil {
			gotLast = c.Last.Seq
		}
		if c.Unread != unread || c.Read != read || gotLast != last {
			t.Fatalf("%s: %s has unread %d, read %d, last %d; want %d, %d, %d", what, user, c.Unread, c.Read, gotLast, unread, read, last)
		}
	}
	expect("messages", "u", 2, 4, 6)
	expect("messages", "a", 3, 3, 6)
	if l := page("u", 1); l[0].Unread != 1 || l[1].Room != "d" || l[1].Unread != 1 {
		t.Fatalf("capped at 1: %+v", l)
	}
	edited := msg("g", 5, "b", "fixed")
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 7, ID: "e", Kind: chat.KindEdit, From: "b", Time: 2000, Target: 5, Text: "fixed"}, Update: &edited})
	expect("an edit", "u", 2, 4, 6)
	deleted := msg("g", 6, "b", "")
	deleted.Deleted = true
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 8, ID: "x", Kind: chat.KindDelete, From: "b", Time: 2001, Target: 6}, Update: &deleted})
	expect("a delete", "u", 1, 4, 6)
	if _, err := s.SetRead(ctx, "g", "u", 5); err != nil {
		t.Fatal(err)
	}
	expect("a read", "u", 0, 5, 6)
	say(9, "a", true)
	expect("a new message", "u", 1, 5, 9)
	// u is removed: g leaves u's inbox, the others' counts stay.
	mustAppend(t, s, members(10, 3000, "a", "b"))
	if l := page("u", 10); len(l) != 1 || l[0].Room != "d" || l[0].Unread != 1 {
		t.Fatalf("u's inbox after the removal: %+v", rooms(l))
	}
	expect("u's removal", "b", 1, 6, 9)
}
