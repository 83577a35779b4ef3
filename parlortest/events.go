package parlortest

import (
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
)

// Wait returns the first event on c.Events for which match reports true,
// skipping the others. It fails the test after timeout, or when the
// client ends first.
func Wait(t testing.TB, c *client.Client, timeout time.Duration, match func(client.Event) bool) client.Event {
	t.Helper()
	return wait(t, c.Events(), timeout, match, func() string { return "client " + c.UserID() })
}

// Next waits for the next event of room roomID ("" for any room) on
// c.Events, skipping other rooms' events.
func Next(t testing.TB, c *client.Client, roomID string) client.Event {
	t.Helper()
	return Wait(t, c, Timeout, func(ev client.Event) bool { return roomID == "" || ev.Room == roomID })
}

// NextNamed waits for the next event called name in room roomID ("" for
// any room) on c.Events, skipping others.
func NextNamed(t testing.TB, c *client.Client, roomID, name string) client.Event {
	t.Helper()
	return Wait(t, c, Timeout, func(ev client.Event) bool {
		return (roomID == "" || ev.Room == roomID) && ev.Name == name
	})
}

// Recv waits for the next event called name ("" for any) on the Events
// of r, a room joined with per-room delivery (client.WithRoomEvents or
// Options.RoomEvents), skipping others. Left notices and the client's
// notices (client.EventGap, client.EventRejoined) count as events.
func Recv(t testing.TB, r *client.Room, name string) client.Event {
	t.Helper()
	if r.Events() == nil {
		t.Fatal("parlortest: Recv needs a room joined with per-room delivery (client.WithRoomEvents)")
	}
	return wait(t, r.Events(), Timeout, func(ev client.Event) bool { return name == "" || ev.Name == name },
		func() string { return "room " + r.ID() })
}

// Expect is Recv that decodes the event's payload into v.
func Expect(t testing.TB, r *client.Room, name string, v any) client.Event {
	t.Helper()
	ev := Recv(t, r, name)
	if err := ev.Decode(v); err != nil {
		t.Fatalf("parlortest: decode %s: %v", name, err)
	}
	return ev
}

// NoEvent fails the test if r's Events holds an event now, or one arrives
// within d. It suits the check that something was not broadcast, after a
// later event on another path proved the server went on.
func NoEvent(t testing.TB, r *client.Room, d time.Duration) {
	t.Helper()
	if r.Events() == nil {
		t.Fatalf("parlortest: room %s has no per-room delivery (join it with client.WithRoomEvents)", r.ID())
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case ev, ok := <-r.Events():
		if ok {
			t.Fatalf("parlortest: unexpected event %q (seq %d) in room %s", ev.Name, ev.Seq, r.ID())
		}
	case <-timer.C:
	}
}

func wait(t testing.TB, ch <-chan client.Event, timeout time.Duration, match func(client.Event) bool, who func() string) client.Event {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("parlortest: %s: events closed while waiting", who())
			}
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("parlortest: %s: no matching event within %v", who(), timeout)
		}
	}
}
