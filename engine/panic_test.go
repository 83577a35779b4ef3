package engine_test

import (
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// TestHandlerPanics: a panic in any module hook is answered with
// "internal", and neither the process, the connection, the room nor other
// rooms suffer from it.
func TestHandlerPanics(t *testing.T) {
	mod := newTestModule()
	env := newEnv(t, engine.Config{}, mod)
	alice, bob, carol := env.dial("alice"), env.dial("bob"), env.dial("carol")
	j1 := alice.join(testKind, testParams{Name: "r1"})
	bob.join(testKind, testParams{Name: "r1"})
	j2 := carol.join(testKind, testParams{Name: "r2"})

	// Each case panics once, then the same room (or a sibling, for hooks
	// that ran before the room existed) must keep working.
	tests := []struct {
		name string
		do   func() error
	}{
		{"OnMessage", func() error {
			_, err := alice.Send(testCtx(t), j1.Room, "boom", nil)
			return err
		}},
		{"OnJoin of an existing room", func() error {
			_, err := bob.Join(testCtx(t), testKind, testParams{Name: "r1", Panic: "join"})
			return err
		}},
		{"OnJoin of a new room", func() error {
			_, err := bob.Join(testCtx(t), testKind, testParams{Name: "join-panics", Panic: "join"})
			return err
		}},
		{"Resolve", func() error {
			_, err := bob.Join(testCtx(t), testKind, testParams{Name: "r1", Panic: "resolve"})
			return err
		}},
		{"NewHandler", func() error {
			_, err := bob.Join(testCtx(t), testKind, testParams{Name: "no-handler", Panic: "newhandler"})
			return err
		}},
		{"OnCreate", func() error {
			_, err := bob.Join(testCtx(t), testKind, testParams{Name: "no-create", Panic: "create"})
			return err
		}},
	}
	said := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := codeOf(t, tt.do()); code != codec.CodeInternal {
				t.Fatalf("code %q, want %q", code, codec.CodeInternal)
			}
			// The room keeps working: the next event is broadcast to both
			// members with the next seq.
			seq := alice.say(j1.Room, "after "+tt.name)
			said++
			if want := j1.Seq + uint64(said); seq != want {
				t.Fatalf("seq %d after the panic, want %d", seq, want)
			}
			for _, c := range []*tclient{alice, bob} {
				evs := c.waitEvents(j1.Room, "said", said)
				if s := decodeSaid(t, evs[said-1]); s.Text != "after "+tt.name {
					t.Fatalf("%s got %q", c.UserID(), s.Text)
				}
			}
			// Other rooms are unaffected.
			carol.say(j2.Room, "r2 "+tt.name)
			carol.waitEvents(j2.Room, "said", said)
			for _, c := range []*tclient{alice, bob, carol} {
				if err := c.Err(); err != nil {
					t.Fatalf("%s's connection closed: %v", c.UserID(), err)
				}
			}
		})
	}
	// Rooms whose creation failed are not left behind.
	if _, ok := env.e.Room(testRoomID("no-handler")); ok {
		t.Error("a room whose NewHandler panicked is registered")
	}
	if _, ok := env.e.Room(testRoomID("no-create")); ok {
		t.Error("a room whose OnCreate panicked is registered")
	}
	// A panic in OnJoin let nobody in.
	if n := mod.log.count(hookRec{Hook: "join", Room: testRoomID("join-panics")}); n != 0 {
		t.Errorf("%d joins recorded in the room whose OnJoin panics", n)
	}
	// Fresh users can still join the room that panicked.
	dave := env.dial("dave")
	dave.join(testKind, testParams{Name: "r1"})
	alice.say(j1.Room, "welcome dave")
	dave.waitEvents(j1.Room, "said", 1)

	// echo rooms, with a module that never panics, were never in danger,
	// but check the engine as a whole still serves them.
	je := dave.join(echo.Kind, echo.JoinParams{Name: "calm"})
	dave.say(je.Room, "calm")
	dave.waitEvents(je.Room, "said", 1)
}
