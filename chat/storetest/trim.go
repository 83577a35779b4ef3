package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
)

// testTrim: Trim removes the oldest entries of the rooms of the kinds it
// has rules for, by count and by age; the seqs, receipts and the inbox
// stay, history and lookups no longer find what was removed, and the log
// carries on.
func testTrim(t *testing.T, s chat.Store) {
	// d: a DM of u and v, 10 messages at 1001..1010, with client message
	// ids. g: a group. x: a log without a record.
	mustAppend(t, s, chat.Write{Entry: withCMID(msg("d", 1, "u", "one"), "c1"), Room: dm("d", "u", "v", 1)})
	for seq := uint64(2); seq <= 10; seq++ {
		mustAppend(t, s, chat.Write{Entry: withCMID(msg("d", seq, "v", "more"), "c"+string(rune('0'+seq)))})
	}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 1, ID: "g1", Kind: chat.KindMembers, From: "u", Time: 500, Added: []string{"u", "w"}},
		Room: &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "g", Members: []string{"u", "w"}, Admins: []string{"u"}, Created: 500}})
	fill(t, s, "g", 2, 5, "u", "w")
	fill(t, s, "x", 1, 5, "u", "w")
	if _, err := s.SetRead(ctx, "d", "u", 3); err != nil {
		t.Fatal(err)
	}
	history := func(room string) []uint64 {
		t.Helper()
		h, err := s.History(ctx, room, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return seqs(h)
	}
	trim := func(rules map[string]chat.TrimRule, want int) {
		t.Helper()
		if n, err := s.Trim(ctx, rules); err != nil || n != want {
			t.Fatalf("Trim(%v) = %d, %v; want %d removed", rules, n, err, want)
		}
	}

	trim(nil, 0)
	trim(map[string]chat.TrimRule{chat.KindDM: {Keep: 4}}, 6)
	if got := history("d"); !slices.Equal(got, []uint64{7, 8, 9, 10}) {
		t.Fatalf("DM history after keeping 4: %v", got)
	}
	if got := history("g"); len(got) != 6 {
		t.Fatalf("a group lost entries to a DM rule: %v", got)
	}
	if got := history("x"); len(got) != 5 {
		t.Fatalf("a room without a record lost entries: %v", got)
	}
	if h, _ := s.History(ctx, "d", 8, 5); !slices.Equal(seqs(h), []uint64{7}) {
		t.Fatalf("History(before 8) = %v, want [7]", seqs(h))
	}
	if _, err := s.Get(ctx, "d", 6); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Get of a trimmed entry: %v", err)
	}
	if _, err := s.Lookup(ctx, "d", "u", "c1"); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("Lookup of a trimmed entry's client id: %v", err)
	}
	if m, err := s.Lookup(ctx, "d", "v", "c8"); err != nil || m.Seq != 8 {
		t.Fatalf("Lookup of a kept entry: %+v, %v", m, err)
	}
	st, _ := s.State(ctx, "d")
	if st.Head != 10 || st.Last == nil || st.Last.Seq != 10 || st.Updated != 1010 {
		t.Fatalf("State after trimming: %+v", st)
	}
	if reads, _ := s.Reads(ctx, "d"); reads["u"] != 3 {
		t.Fatalf("receipts after trimming: %v", reads)
	}
	if n, _ := s.Unread(ctx, "d", "u", 100); n != 4 {
		t.Fatalf("unread after trimming %d, want 4 (the kept entries)", n)
	}
	trim(map[string]chat.TrimRule{chat.KindDM: {Keep: 4}}, 0)

	// An update of a trimmed message fails; the log carries on.
	gone := msg("d", 2, "v", "x")
	if _, _, err := s.Append(ctx, chat.Write{Entry: chat.Message{Room: "d", Seq: 11, ID: "e", Kind: chat.KindEdit, From: "v", Time: 1011, Target: 2}, Update: &gone}); !errors.Is(err, chat.ErrNotFound) {
		t.Fatalf("edit of a trimmed message: %v", err)
	}
	mustAppend(t, s, chat.Write{Entry: msg("d", 11, "v", "eleven")})

	// By age: the group's entries stored before 1004 (1, 2, 3).
	trim(map[string]chat.TrimRule{chat.KindGroup: {Before: 1004}}, 3)
	if got := history("g"); !slices.Equal(got, []uint64{4, 5, 6}) {
		t.Fatalf("group history after trimming by age: %v", got)
	}
	// Age and count together: whichever lets more go.
	trim(map[string]chat.TrimRule{chat.KindDM: {Keep: 3, Before: 1009}, chat.KindGroup: {Keep: 1, Before: 1}}, 2+2)
	if d, g := history("d"), history("g"); !slices.Equal(d, []uint64{9, 10, 11}) || !slices.Equal(g, []uint64{6}) {
		t.Fatalf("after both rules: d %v, g %v", d, g)
	}

	// Everything: the last message goes, the head and the inbox stay.
	trim(map[string]chat.TrimRule{chat.KindDM: {Before: 1 << 40}}, 3)
	if st, _ := s.State(ctx, "d"); st.Head != 11 || st.Last != nil || st.Updated != 1011 {
		t.Fatalf("State of an emptied log: %+v", st)
	}
	list, err := s.Conversations(ctx, "v", 10, 10)
	if err != nil || len(list) != 1 || list[0].Room != "d" || list[0].Head != 11 || list[0].Last != nil || list[0].Unread != 0 || list[0].Updated != 1011 {
		t.Fatalf("v's inbox after emptying the DM: %+v, %v", list, err)
	}
	if got := history("d"); len(got) != 0 {
		t.Fatalf("history of an emptied log: %v", got)
	}
	mustAppend(t, s, chat.Write{Entry: msg("d", 12, "u", "again")})
	if got := history("d"); !slices.Equal(got, []uint64{12}) {
		t.Fatalf("history after writing again: %v", got)
	}
	if got := history("x"); len(got) != 5 {
		t.Fatalf("a room without a record lost entries: %v", got)
	}
}

func withCMID(m chat.Message, id string) chat.Message {
	m.ClientMsgID = id
	return m
}

// testTrimConcurrent: trims run while rooms append; every log ends with
// its head, its newest entries and its last message intact.
func testTrimConcurrent(t *testing.T, s chat.Store) {
	const rooms, perRoom, keep = 4, 60, 10
	rules := map[string]chat.TrimRule{chat.KindDM: {Keep: keep}}
	var wg sync.WaitGroup
	errs := make(chan error, rooms+1)
	stop := make(chan struct{})
	for i := range rooms {
		room := fmt.Sprint("d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perRoom; seq++ {
				w := chat.Write{Entry: withCMID(msg(room, seq, "a", "x"), fmt.Sprint("c", seq))}
				if seq == 1 {
					w.Room = dm(room, "a", "b", 1)
				}
				if _, _, err := s.Append(ctx, w); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	trimmed := make(chan struct{})
	go func() {
		defer close(trimmed)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Trim(ctx, rules); err != nil {
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-trimmed
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, err := s.Trim(ctx, rules); err != nil {
		t.Fatal(err)
	}
	for i := range rooms {
		room := fmt.Sprint("d", i)
		h, err := s.History(ctx, room, 0, 100)
		if err != nil || len(h) != keep || h[0].Seq != perRoom-keep+1 || h[keep-1].Seq != perRoom {
			t.Fatalf("%s: history %v, %v", room, seqs(h), err)
		}
		st, _ := s.State(ctx, room)
		if st.Head != perRoom || st.Last == nil || st.Last.Seq != perRoom {
			t.Fatalf("%s: state %+v", room, st)
		}
		if m, err := s.Lookup(ctx, room, "a", fmt.Sprint("c", perRoom)); err != nil || m.Seq != perRoom {
			t.Fatalf("%s: Lookup of the newest: %+v, %v", room, m, err)
		}
	}
}
