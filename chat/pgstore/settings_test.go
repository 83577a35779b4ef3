package pgstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/internal/pgtest"
)

// TestSettingsRace: two stores (as two processes) race, on each of many
// new rooms, the room's first message against a member hiding the room.
// Whichever goes first, the user's settings row and members row agree at
// the end: the room is out of the user's inbox exactly when Settings says
// Hidden, and the other member's inbox has every room.
func TestSettingsRace(t *testing.T) {
	ctx := context.Background()
	schema := pgtest.NewSchema(t)
	writer, hider := openStore(t, schema, Options{}), openStore(t, schema, Options{})
	const rooms = 60
	var wg sync.WaitGroup
	errs := make(chan error, 2*rooms)
	for i := range rooms {
		room := fmt.Sprint("d", i)
		wg.Go(func() {
			e := chat.Message{Room: room, Seq: 1, ID: room, Kind: chat.KindMessage, From: "b", Time: int64(1000 + i), Text: "hi"}
			info := &chat.RoomInfo{ID: room, Kind: chat.KindDM, Members: []string{"a", "b"}, Created: 1}
			if _, _, err := writer.Append(ctx, chat.Write{Entry: e, Room: info}); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if err := hider.SetSettings(ctx, room, "a", chat.Settings{Muted: true, Hidden: true}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	listed := make(map[string]bool)
	list, err := writer.Conversations(ctx, "a", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		listed[c.Room] = true
		if !c.Muted {
			t.Errorf("%s is listed for a without Muted", c.Room)
		}
	}
	hidden := 0
	for i := range rooms {
		room := fmt.Sprint("d", i)
		st, err := hider.Settings(ctx, room)
		if err != nil {
			t.Fatal(err)
		}
		if st["a"].Hidden == listed[room] {
			t.Errorf("%s: a's settings %+v, but listed is %v", room, st["a"], listed[room])
		}
		if st["a"].Hidden {
			hidden++
		}
	}
	t.Logf("%d of %d rooms stayed hidden (the hide came after the message)", hidden, rooms)
	if others, err := hider.Conversations(ctx, "b", 0, 10); err != nil || len(others) != rooms {
		t.Fatalf("b's inbox: %d conversations, %v; want %d", len(others), err, rooms)
	}
}
