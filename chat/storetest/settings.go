package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/parlorhq/parlor/chat"
)

// testSettings: users' own settings per room are stored and listed; a
// muted conversation is listed with Muted; a hidden one is out of the
// user's list and pages (not the other members') until a message or
// members entry, even one in the same millisecond, or until shown again;
// an edit does not bring it back; zero settings are removed; settings
// need no record and outlive membership.
func testSettings(t *testing.T, s chat.Store) {
	muted, hidden := chat.Settings{Muted: true}, chat.Settings{Muted: true, Hidden: true}
	set := func(room, user string, st chat.Settings) {
		t.Helper()
		if err := s.SetSettings(ctx, room, user, st); err != nil {
			t.Fatalf("SetSettings(%s, %s, %+v): %v", room, user, st, err)
		}
	}
	check := func(room string, want map[string]chat.Settings) {
		t.Helper()
		got, err := s.Settings(ctx, room)
		if err != nil || !maps.Equal(got, want) {
			t.Fatalf("Settings(%s) = %v, %v; want %v", room, got, err, want)
		}
	}
	list := func(user string, want ...string) []chat.Conversation {
		t.Helper()
		got, err := s.Conversations(ctx, user, 10, 10)
		if err != nil || !slices.Equal(rooms(got), want) {
			t.Fatalf("Conversations(%s) = %v, %v; want %v", user, rooms(got), err, want)
		}
		if p := pages(t, s, user, 1); len(p) != len(want) {
			t.Fatalf("%s's inbox pages %v, want %v", user, p, want)
		}
		return got
	}
	mutedOf := func(list []chat.Conversation) []bool {
		out := make([]bool, len(list))
		for i, c := range list {
			out[i] = c.Muted
		}
		return out
	}

	check("d1", map[string]chat.Settings{})
	g := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "team", Members: []string{"a", "b", "c"}, Admins: []string{"a"}, Created: 500}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 1, ID: "g1", Kind: chat.KindMembers, From: "a", Time: 500, Added: g.Members, Name: "team"}, Room: g})
	mustAppend(t, s, chat.Write{Entry: msg("d2", 1, "c", "hi"), Room: dm("d2", "a", "c", 900)})
	mustAppend(t, s, chat.Write{Entry: msg("d1", 1, "b", "hi"), Room: dm("d1", "a", "b", 900)})
	fill(t, s, "d1", 2, 1, "a", "b")

	set("d1", "a", muted)
	check("d1", map[string]chat.Settings{"a": muted})
	if got := mutedOf(list("a", "d1", "d2", "g")); !slices.Equal(got, []bool{true, false, false}) {
		t.Fatalf("a's conversations muted %v", got)
	}
	if got := mutedOf(list("b", "d1", "g")); slices.Contains(got, true) {
		t.Fatalf("b's conversations muted %v: a's settings leaked", got)
	}

	// Hidden: out of a's list, still in b's; an edit does not bring it
	// back, showing it does.
	set("d1", "a", hidden)
	check("d1", map[string]chat.Settings{"a": hidden})
	list("a", "d2", "g")
	list("b", "d1", "g")
	edit := chat.Message{Room: "d1", Seq: 3, ID: "d1-3", Kind: chat.KindEdit, From: "b", Time: 1100, Target: 2, Text: "edited"}
	target := msg("d1", 2, "b", "edited")
	mustAppend(t, s, chat.Write{Entry: edit, Update: &target})
	list("a", "d2", "g")
	set("d1", "a", muted)
	list("a", "d1", "d2", "g")

	// A message brings it back, even in the millisecond of the last one,
	// and keeps Muted.
	set("d1", "a", hidden)
	list("a", "d2", "g")
	again := msg("d1", 4, "b", "again")
	again.Time = 1002 // as the message at seq 2: Updated does not move
	mustAppend(t, s, chat.Write{Entry: again})
	if got := mutedOf(list("a", "d1", "d2", "g")); !slices.Equal(got, []bool{true, false, false}) {
		t.Fatalf("a's conversations muted %v after the message", got)
	}
	check("d1", map[string]chat.Settings{"a": muted})

	// A members entry brings a group back; a removed member keeps their
	// settings.
	set("g", "b", chat.Settings{Hidden: true})
	set("g", "c", muted)
	list("b", "d1")
	next := &chat.RoomInfo{ID: "g", Kind: chat.KindGroup, Name: "team", Members: []string{"a", "b"}, Admins: []string{"a"}, Created: 500}
	mustAppend(t, s, chat.Write{Entry: chat.Message{Room: "g", Seq: 2, ID: "g2", Kind: chat.KindMembers, From: "a", Time: 2000, Removed: []string{"c"}}, Room: next})
	list("b", "g", "d1")
	list("c", "d2")
	check("g", map[string]chat.Settings{"c": muted})

	// Settings need no record; the first message clears Hidden.
	set("d9", "a", chat.Settings{Hidden: true})
	check("d9", map[string]chat.Settings{"a": {Hidden: true}})
	first := msg("d9", 1, "b", "first")
	first.Time = 3000
	mustAppend(t, s, chat.Write{Entry: first, Room: dm("d9", "a", "b", 3000)})
	list("a", "d9", "g", "d1", "d2")
	check("d9", map[string]chat.Settings{})

	// Zero settings are removed; hiding a room the user is not in
	// changes no list.
	set("d1", "a", chat.Settings{})
	check("d1", map[string]chat.Settings{})
	if got := mutedOf(list("a", "d9", "g", "d1", "d2")); slices.Contains(got, true) {
		t.Fatalf("a's conversations muted %v after clearing", got)
	}
	set("d2", "b", chat.Settings{Hidden: true})
	set("d2", "b", chat.Settings{})
	list("b", "d9", "g", "d1")
	list("c", "d2")

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(ctx, "d1", "a", muted); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("SetSettings after Close: %v, want ErrStoreClosed", err)
	}
	if _, err := s.Settings(ctx, "d1"); !errors.Is(err, chat.ErrStoreClosed) {
		t.Fatalf("Settings after Close: %v, want ErrStoreClosed", err)
	}
}

// testSettingsNoAliasing: the map Settings returns is the caller's.
func testSettingsNoAliasing(t *testing.T, s chat.Store) {
	if err := s.SetSettings(ctx, "r", "a", chat.Settings{Muted: true}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Settings(ctx, "r")
	if err != nil {
		t.Fatal(err)
	}
	got["a"] = chat.Settings{}
	got["b"] = chat.Settings{Hidden: true}
	if again, _ := s.Settings(ctx, "r"); fmt.Sprint(again) != fmt.Sprint(map[string]chat.Settings{"a": {Muted: true}}) {
		t.Fatalf("Settings after changing a returned map: %v", again)
	}
}

// testHiddenBeforeRecord: a user hides a conversation nobody has written
// to yet, and its first entry is one that does not show it again (a game
// note; a message would): the room stays out of the user's list, as its
// settings say, and is in the other member's.
func testHiddenBeforeRecord(t *testing.T, s chat.Store) {
	if err := s.SetSettings(ctx, "d", "a", chat.Settings{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	note := chat.GameNote{Ref: "m1", Game: "chess", State: chat.GameOffered, From: "b"}
	e := chat.Message{Room: "d", Seq: 1, ID: "g1", Kind: chat.KindGame, From: "b", Time: 2000, ClientMsgID: "game:offered:m1", Game: &note}
	mustAppend(t, s, chat.Write{Entry: e, Room: dm("d", "a", "b", 2000)})
	st, err := s.Settings(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if !st["a"].Hidden {
		t.Fatalf("settings after the note: %v, want a's hidden", st)
	}
	if list, err := s.Conversations(ctx, "a", 10, 10); err != nil || len(list) != 0 {
		t.Fatalf("a's list: %v (%v), want empty: a hid the room", rooms(list), err)
	}
	if list, err := s.Conversations(ctx, "b", 10, 10); err != nil || len(list) != 1 {
		t.Fatalf("b's list: %v (%v), want the room", rooms(list), err)
	}
}
