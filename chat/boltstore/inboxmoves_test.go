package boltstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	bolt "go.etcd.io/bbolt"
)

// pendingOf returns the rooms the inboxmoves bucket marks for user.
func pendingOf(t *testing.T, s *Store, user string) []string {
	t.Helper()
	var out []string
	err := s.view(context.Background(), func(tx *bolt.Tx) error {
		prefix := key(nil, user)
		c := tx.Bucket(bucketMoves).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			room, _ := part(k[len(prefix):])
			out = append(out, room)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// indexedAt returns the time of room's key in user's inbox index, and
// whether it has one.
func indexedAt(t *testing.T, s *Store, user, room string) (int64, bool) {
	t.Helper()
	var at int64
	found := false
	err := s.view(context.Background(), func(tx *bolt.Tx) error {
		prefix := key(nil, user)
		c := tx.Bucket(bucketInbox).Cursor()
		for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
			if string(k[len(prefix)+8:]) == room {
				at, found = int64(^binary64(k[len(prefix):])^1<<63), true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return at, found
}

func binary64(b []byte) uint64 { return getUint(b[:8]) }

func appendOK(t *testing.T, s chat.Store, w chat.Write) {
	t.Helper()
	if _, _, err := s.Append(context.Background(), w); err != nil {
		t.Fatalf("append %+v: %v", w.Entry, err)
	}
}

func rooms(list []chat.Conversation) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = fmt.Sprint(c.Room, "@", c.Updated)
	}
	return out
}

// TestDeferredInbox: messages within InboxInterval of a room's last move
// leave its index keys in place and mark it once for its members; pages
// are exact all the same, for members and for a bystander; the first
// message an interval later moves it and clears the marks, and so does
// any later append once the interval has passed.
func TestDeferredInbox(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{InboxInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Members: []string{"a", "b", "c"}, Created: 1}
	h := &chat.RoomInfo{ID: "h", Kind: chat.KindGroup, Members: []string{"a", "z"}, Created: 1}
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 1, Kind: chat.KindMembers, Time: 1000}, Room: g})
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "h", Seq: 1, Kind: chat.KindMembers, Time: 1500}, Room: h})
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "h", Seq: 2, Kind: chat.KindMessage, From: "z", Time: 1600, Text: "z"}})
	for seq := uint64(2); seq <= 6; seq++ {
		appendOK(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: seq, Kind: chat.KindMessage, From: "b", Time: 1000 + int64(seq)*100, Text: "x"}})
	}
	// g is pending: its keys are still at 1,000, where its members
	// entry put them, and its true time is 1,600. So is h (1,500 and
	// 1,600).
	if at, ok := indexedAt(t, s, "a", "g"); !ok || at != 1000 {
		t.Fatalf("g in a's index at %d (%v), want 1000 (not moved)", at, ok)
	}
	for _, u := range []string{"a", "b", "c"} {
		if got := pendingOf(t, s, u); !slices.Contains(got, "g") {
			t.Fatalf("%s's pending rooms: %v", u, got)
		}
	}
	check := func(user string, want ...string) {
		t.Helper()
		list, err := s.Conversations(ctx, user, 0, 10)
		if err != nil || !slices.Equal(rooms(list), want) {
			t.Fatalf("%s's inbox: %v, %v; want %v", user, rooms(list), err, want)
		}
		// Page by page, one at a time, through the cursor.
		var paged []string
		var cur chat.InboxCursor
		for {
			page, err := s.ConversationsBefore(ctx, user, cur, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, rooms(page)...)
			cur = chat.InboxCursor{Updated: page[0].Updated, Room: page[0].Room}
		}
		if !slices.Equal(paged, want) {
			t.Fatalf("%s's inbox page by page: %v; want %v", user, paged, want)
		}
	}
	check("a", "g@1600", "h@1600") // same time: by room id
	check("b", "g@1600")
	check("z", "h@1600") // the bystander of g
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 7, Kind: chat.KindMessage, From: "c", Time: 1700, Text: "x"}})
	check("a", "g@1700", "h@1600")

	// An interval after g's last move (1,000), g moves and its marks go.
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 8, Kind: chat.KindMessage, From: "c", Time: 2000, Text: "x"}})
	if at, _ := indexedAt(t, s, "a", "g"); at != 2000 {
		t.Fatalf("g in a's index at %d, want 2000", at)
	}
	if got := pendingOf(t, s, "b"); len(got) != 0 {
		t.Fatalf("b's pending rooms after the move: %v", got)
	}
	check("a", "g@2000", "h@1600")
	// h is quiet; an append to g past h's due time (1,500 + 1 s) moves
	// it too.
	if got := pendingOf(t, s, "z"); !slices.Equal(got, []string{"h"}) {
		t.Fatalf("z's pending rooms: %v", got)
	}
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 9, Kind: chat.KindMessage, From: "c", Time: 2600, Text: "x"}})
	if got := pendingOf(t, s, "z"); len(got) != 0 {
		t.Fatalf("z's pending rooms after h was due: %v", got)
	}
	if at, _ := indexedAt(t, s, "z", "h"); at != 1600 {
		t.Fatalf("h in z's index at %d, want 1600", at)
	}
	check("a", "g@2600", "h@1600")
	check("z", "h@1600")
}

// TestDeferredInboxHidden: with the default interval, a member who hides
// a pending room does not see it, and sees it again at its true place
// when they show it; the other member sees it all along.
func TestDeferredInboxHidden(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"d1", "d2"} {
		info := &chat.RoomInfo{ID: id, Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
		appendOK(t, s, chat.Write{Entry: chat.Message{Room: id, Seq: 1, Kind: chat.KindMessage, From: "b", Time: 100, Text: "x"}, Room: info})
	}
	appendOK(t, s, chat.Write{Entry: chat.Message{Room: "d1", Seq: 2, Kind: chat.KindMessage, From: "b", Time: 200, Text: "x"}})
	// The default interval (1 s) defers the move.
	if at, _ := indexedAt(t, s, "a", "d1"); at != 100 {
		t.Fatalf("d1 in a's index at %d, want 100 (the default interval defers)", at)
	}
	if err := s.SetSettings(ctx, "d1", "a", chat.Settings{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Conversations(ctx, "a", 0, 10); !slices.Equal(rooms(list), []string{"d2@100"}) {
		t.Fatalf("a's inbox with d1 hidden: %v", rooms(list))
	}
	if list, _ := s.Conversations(ctx, "b", 0, 10); !slices.Equal(rooms(list), []string{"d1@200", "d2@100"}) {
		t.Fatalf("b's inbox: %v", rooms(list))
	}
	if err := s.SetSettings(ctx, "d1", "a", chat.Settings{}); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Conversations(ctx, "a", 0, 10); !slices.Equal(rooms(list), []string{"d1@200", "d2@100"}) {
		t.Fatalf("a's inbox with d1 shown again: %v", rooms(list))
	}
}

// TestDeferredInboxMatchesMemory: random messages, member changes and
// hides in many rooms, with times that both defer and move, give the
// same inbox pages (whole, and paged through the cursor) as the memory
// store, for every user, with deferral on and off.
func TestDeferredInboxMatchesMemory(t *testing.T) {
	for _, interval := range []time.Duration{time.Second, -1} {
		t.Run(fmt.Sprint(interval), func(t *testing.T) {
			ctx := context.Background()
			s, err := Open(filepath.Join(t.TempDir(), "chat.db"), Options{InboxInterval: interval})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			mem := chat.NewMemoryStore()
			defer mem.Close()
			rng := rand.New(rand.NewPCG(1, 2))
			users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
			type room struct {
				info *chat.RoomInfo
				seq  uint64
			}
			var all []*room
			for i := range 12 {
				members := []string{users[i%6], users[(i+1)%6], users[(i+3)%6]}
				all = append(all, &room{info: &chat.RoomInfo{ID: fmt.Sprint("r", i), Kind: chat.KindGroup, Members: members, Created: 1}})
			}
			now := int64(1000)
			for step := range 1500 {
				now += int64(rng.IntN(120))
				r := all[rng.IntN(len(all))]
				r.seq++
				w := chat.Write{Entry: chat.Message{Room: r.info.ID, Seq: r.seq, ID: fmt.Sprint(r.info.ID, r.seq), Kind: chat.KindMessage,
					From: r.info.Members[0], Time: now, Text: "x"}}
				switch {
				case r.seq == 1 || rng.IntN(40) == 0:
					next := *r.info
					next.Members = slices.Clone(r.info.Members[:2])
					if third := users[rng.IntN(len(users))]; !slices.Contains(next.Members, third) {
						next.Members = append(next.Members, third)
					}
					r.info = &next
					w.Room = &next
					w.Entry.Kind, w.Entry.Text, w.Entry.From = chat.KindMembers, "", ""
				case rng.IntN(30) == 0:
					u := users[rng.IntN(len(users))]
					st := chat.Settings{Hidden: rng.IntN(2) == 0}
					if err := s.SetSettings(ctx, r.info.ID, u, st); err != nil {
						t.Fatal(err)
					}
					if err := mem.SetSettings(ctx, r.info.ID, u, st); err != nil {
						t.Fatal(err)
					}
				}
				appendOK(t, s, w)
				appendOK(t, mem, w)
				if step%25 != 0 {
					continue
				}
				for _, u := range users {
					want, err := mem.Conversations(ctx, u, 0, 100)
					if err != nil {
						t.Fatal(err)
					}
					got, err := s.Conversations(ctx, u, 0, 100)
					if err != nil || !slices.Equal(rooms(got), rooms(want)) {
						t.Fatalf("step %d, %s's inbox: %v, %v; the memory store's %v", step, u, rooms(got), err, rooms(want))
					}
					var paged []string
					var cur chat.InboxCursor
					for {
						page, err := s.ConversationsBefore(ctx, u, cur, 2, 100)
						if err != nil {
							t.Fatal(err)
						}
						if len(page) == 0 {
							break
						}
						paged = append(paged, rooms(page)...)
						last := page[len(page)-1]
						cur = chat.InboxCursor{Updated: last.Updated, Room: last.Room}
					}
					if !slices.Equal(paged, rooms(want)) {
						t.Fatalf("step %d, %s's inbox by pages of 2: %v; want %v", step, u, paged, rooms(want))
					}
				}
			}
		})
	}
}
