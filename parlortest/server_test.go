package parlortest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
	"github.com/parlorhq/parlor/parlortest"
	"github.com/parlorhq/parlor/room"
	"github.com/parlorhq/parlor/room/roomtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// alarm is a module whose room broadcasts "rang" when the delay a member
// set with "set" has passed on the room's clock.
type alarm struct{}

func (alarm) Kind() string { return "alarm" }

func (alarm) Resolve(_ context.Context, req *room.ResolveRequest) (string, error) {
	return req.KeyedID("the alarm"), nil
}

func (alarm) NewHandler(string) room.Handler { return &alarmRoom{} }

type alarmRoom struct{ room.BaseHandler }

// setAlarm is the payload of "set": the delay in seconds.
type setAlarm struct {
	Seconds int `msgpack:"seconds"`
}

func (h *alarmRoom) OnMessage(r *room.Room, m *room.Message) (any, error) {
	if m.Event != "set" {
		return nil, room.ErrUnknownEvent
	}
	var p setAlarm
	if err := codec.UnmarshalData(m.Data, &p); err != nil {
		return nil, err
	}
	set := r.Now()
	r.After(time.Duration(p.Seconds)*time.Second, func() {
		_, _ = r.Broadcast("rang", r.Now().Sub(set).Seconds())
	})
	return nil, nil
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	t.Cleanup(cancel)
	return c
}

// The fake clock runs the rooms' timers only when advanced.
func TestFakeClockDrivesRoomTimers(t *testing.T) {
	srv := parlortest.Start(t, parlortest.Config{Modules: []room.Module{alarm{}}, FakeClock: true})
	if srv.Clock == nil {
		t.Fatal("no fake clock")
	}
	alice := srv.Dial("alice")
	if alice.UserID() != "alice" {
		t.Fatalf("authenticated as %q", alice.UserID())
	}
	r, err := alice.Join(ctx(t), "alarm", nil, client.WithRoomEvents())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Send(ctx(t), "set", setAlarm{Seconds: 30}); err != nil {
		t.Fatal(err)
	}
	srv.Advance(29 * time.Second)
	parlortest.NoEvent(t, r, 50*time.Millisecond)
	srv.Advance(time.Second) // the timer has run when Advance returns
	var after float64
	parlortest.Expect(t, r, "rang", &after)
	if after != 30 {
		t.Fatalf("rang after %vs of room time, want 30", after)
	}
}

// A clock set in the engine's config is the server's Clock too.
func TestEngineClockIsUsed(t *testing.T) {
	clk := roomtest.NewFakeClock(time.Time{})
	var cfg engine.Config
	cfg.Room.Clock = clk
	srv := parlortest.Start(t, parlortest.Config{Engine: cfg, Modules: []room.Module{alarm{}}})
	if srv.Clock != clk {
		t.Fatal("Server.Clock is not the engine's clock")
	}
	alice := srv.Dial("alice")
	if _, err := alice.Join(ctx(t), "alarm", nil); err != nil {
		t.Fatal(err)
	}
	rm, ok := srv.Engine.Room(room.KeyedID([]byte(parlortest.DefaultSecret), "alarm", "the alarm"))
	if !ok {
		t.Fatal("the alarm room is not running")
	}
	if _, err := alice.Send(ctx(t), rm.ID(), "set", setAlarm{Seconds: 5}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(5 * time.Second)
	if ev := parlortest.NextNamed(t, alice, rm.ID(), "rang"); ev.Seq != 1 {
		t.Fatalf("rang: %+v", ev)
	}
}

// Clients are who the kit says, and the default authentication refuses a
// URL without a user.
func TestUsers(t *testing.T) {
	srv := parlortest.Start(t, parlortest.Config{Modules: []room.Module{echo.Module{}}})
	alice, bob := srv.Dial("alice"), srv.DialOptions("bob smith", client.Options{RoomEvents: true})
	if alice.UserID() != "alice" || bob.UserID() != "bob smith" {
		t.Fatalf("users %q and %q", alice.UserID(), bob.UserID())
	}
	rb, err := bob.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "hall"})
	if err != nil {
		t.Fatal(err)
	}
	ra, err := alice.Join(ctx(t), echo.Kind, echo.JoinParams{Name: "hall"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Send(ctx(t), "say", echo.SayData{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	var said echo.Said
	parlortest.Expect(t, rb, "said", &said)
	if said.From != "alice" || said.Text != "hi" {
		t.Fatalf("bob got %+v", said)
	}
	if ev := parlortest.Next(t, alice, ra.Room); ev.Name != "said" {
		t.Fatalf("alice got %+v", ev)
	}

	_, err = client.Dial(ctx(t), srv.URL(""), client.Options{})
	var ue *client.UpgradeError
	if !errors.As(err, &ue) || ue.StatusCode != 401 {
		t.Fatalf("dial without a user: %v, want HTTP 401", err)
	}
}
