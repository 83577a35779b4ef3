package engine_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// credHeader carries the tests' credential id (Config.Credential).
const credHeader = "X-Cred"

func testCredential(r *http.Request) string { return r.Header.Get(credHeader) }

// dialCred dials as user with credential cred.
func (env *testEnv) dialCred(user, cred string) *tclient {
	env.t.Helper()
	h := http.Header{}
	h.Set(credHeader, cred)
	c, err := env.dialOpts(user, client.Options{Header: h})
	if err != nil {
		env.t.Fatalf("dial as %q with %q: %v", user, cred, err)
	}
	return c
}

// TestDisconnectUser: every connection of the user closes with the code
// and reason given; the bystander in the same room keeps being served and
// sees the user leave.
func TestDisconnectUser(t *testing.T) {
	env := newEnv(t, engine.Config{})
	bob := env.dial("bob")
	a1 := env.dial("alice")
	a2 := env.dial("alice")
	jb := bob.join(echo.Kind, echo.JoinParams{Name: "lobby"})
	a1.join(echo.Kind, echo.JoinParams{Name: "lobby"})
	a2.join(echo.Kind, echo.JoinParams{Name: "lobby"})

	if n := env.e.DisconnectUser("alice", engine.CloseSignedOut, "signed out"); n != 2 {
		t.Fatalf("DisconnectUser closed %d connections, want 2", n)
	}
	for _, c := range []*tclient{a1, a2} {
		var ce *client.CloseError
		if err := c.waitClosed(); !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut || ce.Reason != "signed out" {
			t.Fatalf("alice closed with %v, want %d signed out", err, engine.CloseSignedOut)
		}
	}
	env.waitSessions(1)
	if n := env.e.DisconnectUser("alice", engine.CloseSignedOut, "again"); n != 0 {
		t.Fatalf("second DisconnectUser closed %d", n)
	}
	if n := env.e.DisconnectUser("nobody", engine.CloseSignedOut, ""); n != 0 {
		t.Fatalf("DisconnectUser of an unknown user closed %d", n)
	}
	bob.say(jb.Room, "still here")
	if evs := bob.waitEvents(jb.Room, "said", 1); len(evs) != 1 {
		t.Fatalf("bob: %d said events", len(evs))
	}
	assertServed(t, env, bob, "after-disconnect")
}

// TestDisconnectUserCloseFrame: a code a server may not send becomes 1008,
// and an over-long reason is cut to what a close frame holds.
func TestDisconnectUserCloseFrame(t *testing.T) {
	tests := []struct {
		name       string
		code       uint16
		reason     string
		wantCode   uint16
		wantReason string
	}{
		{"reserved code", 1005, "x", engine.ClosePolicy, "x"},
		{"out of range", 5000, "x", engine.ClosePolicy, "x"},
		{"ban", engine.ClosePolicy, "banned", engine.ClosePolicy, "banned"},
		{"long reason", 4001, strings.Repeat("é", 100), 4001, strings.Repeat("é", 61)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, engine.Config{})
			c := env.dial("mallory")
			if n := env.e.DisconnectUser("mallory", tt.code, tt.reason); n != 1 {
				t.Fatalf("closed %d", n)
			}
			var ce *client.CloseError
			if err := c.waitClosed(); !errors.As(err, &ce) || ce.Code != tt.wantCode || ce.Reason != tt.wantReason {
				t.Fatalf("closed with %v, want %d %q", err, tt.wantCode, tt.wantReason)
			}
		})
	}
}

// TestDisconnectCredential: only the connections opened with the revoked
// credential close; the same user's other sign-in and another user stay.
// RenewCredential moves connections to a new credential without closing
// them.
func TestDisconnectCredential(t *testing.T) {
	env := newEnv(t, engine.Config{Credential: testCredential})
	bob := env.dialCred("bob", "A") // same credential id, other user
	laptop := env.dialCred("alice", "A")
	phone := env.dialCred("alice", "B")
	jp := phone.join(echo.Kind, echo.JoinParams{Name: "dm"})
	jb := bob.join(echo.Kind, echo.JoinParams{Name: "dm"})

	if n := env.e.DisconnectCredential("alice", "A", engine.CloseSignedOut, "signed out"); n != 1 {
		t.Fatalf("DisconnectCredential closed %d, want 1", n)
	}
	if code := laptop.closeCode(); code != engine.CloseSignedOut {
		t.Fatalf("laptop closed with %d", code)
	}
	phone.say(jp.Room, "phone still on")
	for _, c := range []*tclient{phone, bob} {
		if evs := c.waitEvents(jb.Room, "said", 1); len(evs) != 1 {
			t.Fatalf("%s: %d said events", c.UserID(), len(evs))
		}
	}

	if n := env.e.RenewCredential("alice", "B", "C"); n != 1 {
		t.Fatalf("RenewCredential moved %d, want 1", n)
	}
	if n := env.e.DisconnectCredential("alice", "B", engine.CloseSignedOut, ""); n != 0 {
		t.Fatalf("old credential still closed %d", n)
	}
	phone.say(jp.Room, "renewed")
	if evs := bob.waitEvents(jb.Room, "said", 2); len(evs) != 2 {
		t.Fatalf("bob: %d said events", len(evs))
	}
	if n := env.e.DisconnectCredential("alice", "C", engine.CloseSignedOut, ""); n != 1 {
		t.Fatalf("new credential closed %d, want 1", n)
	}
	if code := phone.closeCode(); code != engine.CloseSignedOut {
		t.Fatalf("phone closed with %d", code)
	}
	assertServed(t, env, bob, "after-credential")
}

// TestDisconnectCredentialUnset: without Config.Credential nothing closes.
func TestDisconnectCredentialUnset(t *testing.T) {
	env := newEnv(t, engine.Config{})
	c := env.dialCred("alice", "A")
	if n := env.e.DisconnectCredential("alice", "A", engine.CloseSignedOut, ""); n != 0 {
		t.Fatalf("closed %d without Config.Credential", n)
	}
	j := c.join(echo.Kind, echo.JoinParams{Name: "on"})
	c.say(j.Room, "open")
}

// TestDisconnectUpgradeInProgress: an upgrade that passed Authenticate
// before a sign-out and completes after DisconnectUser is closed too, and
// the next connection of the user is not.
func TestDisconnectUpgradeInProgress(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	cred := func(r *http.Request) string {
		if r.Header.Get("X-Block") != "" {
			close(entered)
			<-release
		}
		return testCredential(r)
	}
	env := newEnv(t, engine.Config{Credential: cred})
	bob := env.dial("bob")

	type result struct {
		c   *tclient
		err error
	}
	done := make(chan result, 1)
	go func() {
		h := http.Header{}
		h.Set("X-Block", "1")
		c, err := env.dialOpts("alice", client.Options{Header: h})
		done <- result{c, err}
	}()
	<-entered
	if n := env.e.DisconnectUser("alice", engine.CloseSignedOut, "signed out"); n != 0 {
		t.Fatalf("closed %d open connections, want 0", n)
	}
	close(release)
	res := <-done
	var ce *client.CloseError
	err := res.err
	if err == nil {
		err = res.c.waitClosed()
	}
	if !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut {
		t.Fatalf("upgrade in progress ended with %v, want close %d", err, engine.CloseSignedOut)
	}

	later := env.dial("alice")
	j := later.join(echo.Kind, echo.JoinParams{Name: "later"})
	jb := bob.join(echo.Kind, echo.JoinParams{Name: "later"})
	later.say(j.Room, "back")
	if evs := bob.waitEvents(jb.Room, "said", 1); len(evs) != 1 {
		t.Fatalf("bob: %d said events", len(evs))
	}
}

// TestRooms lists running rooms by kind with member counts and creators.
func TestRooms(t *testing.T) {
	env := newEnv(t, engine.Config{}, newTestModule())
	alice := env.dial("alice")
	bob := env.dial("bob")
	alice.join(echo.Kind, echo.JoinParams{Name: "two"})
	bob.join(echo.Kind, echo.JoinParams{Name: "two"})
	bob.join(echo.Kind, echo.JoinParams{Name: "one"})
	alice.join(testKind, testParams{Name: "t"})

	ctx := testCtx(t)
	all, err := env.e.Rooms(ctx, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("Rooms: %+v, %v; want 3 rooms", all, err)
	}
	echoes, err := env.e.Rooms(ctx, echo.Kind)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]engine.RoomInfo{
		echoRoomID("two"): {ID: echoRoomID("two"), Kind: echo.Kind, Members: 2, Creator: "alice"},
		echoRoomID("one"): {ID: echoRoomID("one"), Kind: echo.Kind, Members: 1, Creator: "bob"},
	}
	if len(echoes) != len(want) {
		t.Fatalf("echo rooms %+v, want %+v", echoes, want)
	}
	for _, got := range echoes {
		if got != want[got.ID] {
			t.Fatalf("room %+v, want %+v", got, want[got.ID])
		}
	}
	tests, err := env.e.Rooms(ctx, testKind)
	if err != nil || len(tests) != 1 || tests[0].ID != testRoomID("t") || tests[0].Members != 1 {
		t.Fatalf("test rooms %+v, %v", tests, err)
	}
	none, err := env.e.Rooms(ctx, "chess")
	if err != nil || len(none) != 0 {
		t.Fatalf("rooms of an unregistered kind: %+v, %v", none, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := env.e.Rooms(cancelled, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("Rooms with a cancelled context: %v", err)
	}
}

// TestCloseRoom: the closed room's members get a left notice with reason
// "closed"; a bystander room of the same members keeps working, and the
// closed room can be joined again as a new room.
func TestCloseRoom(t *testing.T) {
	env := newEnv(t, engine.Config{})
	alice := env.dial("alice")
	bob := env.dial("bob")
	carol := env.dial("carol")
	jx := alice.join(echo.Kind, echo.JoinParams{Name: "x"})
	bob.join(echo.Kind, echo.JoinParams{Name: "x"})
	jy := bob.join(echo.Kind, echo.JoinParams{Name: "y"})
	carol.join(echo.Kind, echo.JoinParams{Name: "y"})

	if err := env.e.CloseRoom(testCtx(t), jx.Room); err != nil {
		t.Fatalf("CloseRoom: %v", err)
	}
	for _, c := range []*tclient{alice, bob} {
		c.waitUntil("left closed", func(evs []client.Event) bool {
			for _, ev := range evs {
				if ev.Left && ev.Room == jx.Room && ev.Reason == "closed" {
					return true
				}
			}
			return false
		})
	}
	if _, ok := env.e.Room(jx.Room); ok {
		t.Fatal("closed room still registered")
	}
	if err := env.e.CloseRoom(testCtx(t), jx.Room); !errors.Is(err, engine.ErrNoSuchRoom) {
		t.Fatalf("CloseRoom of a closed room: %v, want ErrNoSuchRoom", err)
	}
	bob.say(jy.Room, "y goes on")
	if evs := carol.waitEvents(jy.Room, "said", 1); len(evs) != 1 {
		t.Fatalf("carol: %d said events", len(evs))
	}
	again := alice.join(echo.Kind, echo.JoinParams{Name: "x"})
	if again.Room != jx.Room {
		t.Fatalf("rejoined %s, want %s", again.Room, jx.Room)
	}
	alice.say(again.Room, "new room")
}

// TestCredentialPanic: a Credential hook that panics refuses the upgrade
// with 500 and gives the user's connection slot back.
func TestCredentialPanic(t *testing.T) {
	cred := func(r *http.Request) string {
		if r.Header.Get("X-Panic") != "" {
			panic("credential hook failed")
		}
		return ""
	}
	env := newEnv(t, engine.Config{Credential: cred, MaxConnsPerUser: 1, ConnLimitPolicy: engine.ConnLimitRefuse})
	req := env.upgradeRequest("alice")
	req.Header.Set("X-Panic", "1")
	if code := env.do(req); code != http.StatusInternalServerError {
		t.Fatalf("upgrade with a panicking Credential = %d, want 500", code)
	}
	c := env.dial("alice") // the slot is free again
	j := c.join(echo.Kind, echo.JoinParams{Name: "after-panic"})
	c.say(j.Room, "fine")
}
