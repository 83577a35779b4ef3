package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
)

// notice is the payload the tests notify with.
type notice struct {
	N int `msgpack:"n"`
}

func decodeNotice(t *testing.T, data []byte) int {
	t.Helper()
	var n notice
	if err := codec.UnmarshalData(data, &n); err != nil {
		t.Fatalf("decode notice: %v", err)
	}
	return n.N
}

func TestNotifyReachesEveryTabOfTheUserOnly(t *testing.T) {
	env := newEnv(t, engine.Config{})
	tab1, tab2, bob := env.dial("alice"), env.dial("alice"), env.dial("bob")
	ch := tab1.join(engine.UserKind, nil).Room
	if ch != env.e.UserChannelID("alice") {
		t.Fatalf("alice joined %q, want her channel %q", ch, env.e.UserChannelID("alice"))
	}
	if got := tab2.join(engine.UserKind, nil).Room; got != ch {
		t.Fatalf("second tab joined %q, want %q", got, ch)
	}
	// Joining the kind can only ever reach one's own channel.
	bobCh := bob.join(engine.UserKind, nil).Room
	if bobCh == ch || bobCh != env.e.UserChannelID("bob") {
		t.Fatalf("bob joined %q; alice's is %q", bobCh, ch)
	}
	if _, err := bob.Send(testCtx(t), ch, engine.EventPresenceHide, engine.PresenceHide{Hidden: true}); codeOf(t, err) != codec.CodeForbidden {
		t.Fatalf("bob sending to alice's channel: %v, want forbidden", err)
	}

	if err := env.e.Notify("alice", "challenge.offered", notice{N: 7}); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	for _, tab := range []*tclient{tab1, tab2} {
		ev := tab.waitEvents(ch, "challenge.offered", 1)[0]
		if ev.Seq != 1 || decodeNotice(t, ev.Data) != 7 {
			t.Fatalf("tab got seq %d data %x, want seq 1 n 7", ev.Seq, ev.Data)
		}
	}
	if err := env.e.Notify("bob", "barrier", notice{}); err != nil {
		t.Fatalf("Notify bob: %v", err)
	}
	bob.waitEvents(bobCh, "barrier", 1)
	if got := filterEvents(bob.snapshot(), "", "challenge.offered"); len(got) != 0 {
		t.Fatalf("bob got alice's notification: %s", fmtEvents(got))
	}
}

func TestNotifyOfflineAndInvalid(t *testing.T) {
	env := newEnv(t, engine.Config{NotifyMaxBytes: 64})
	if err := env.e.Notify("nobody", "hello", nil); !errors.Is(err, engine.ErrNotifyOffline) {
		t.Fatalf("Notify to a user without a channel: %v, want ErrNotifyOffline", err)
	}
	alice := env.dial("alice")
	alice.join(engine.UserKind, nil)
	cases := []struct {
		event string
		data  any
		want  error
	}{
		{"", nil, engine.ErrNotifyEvent},
		{strings.Repeat("e", codec.MaxNameLen+1), nil, engine.ErrNotifyEvent},
		{"big", strings.Repeat("x", 65), engine.ErrNotifyTooLarge},
	}
	for _, c := range cases {
		if err := env.e.Notify("alice", c.event, c.data); !errors.Is(err, c.want) {
			t.Errorf("Notify(%.10q, %d bytes): %v, want %v", c.event, len(fmt.Sprint(c.data)), err, c.want)
		}
	}
	failed := env.e.NotifyUsers([]string{"alice", "nobody"}, "ok", notice{N: 1})
	if len(failed) != 1 || !errors.Is(failed["nobody"], engine.ErrNotifyOffline) {
		t.Fatalf("NotifyUsers failures: %v, want only nobody offline", failed)
	}
	alice.waitEvents(env.e.UserChannelID("alice"), "ok", 1)
}

// A flood of notifications aimed at one user is cut at that user's rate;
// another user's notifications still go through.
func TestNotifyRateLimitSparesBystander(t *testing.T) {
	env := newEnv(t, engine.Config{NotifyRate: 0.001, NotifyBurst: 3})
	alice, bob := env.dial("alice"), env.dial("bob")
	aliceCh := alice.join(engine.UserKind, nil).Room
	bobCh := bob.join(engine.UserKind, nil).Room
	sent := 0
	for i := 0; i < 50; i++ {
		err := env.e.Notify("alice", "flood", notice{N: i})
		switch {
		case err == nil:
			sent++
		case errors.Is(err, engine.ErrNotifyRateLimited):
			if codeOf(t, err) != codec.CodeRateLimited {
				t.Fatalf("code %v", err)
			}
		default:
			t.Fatalf("Notify %d: %v", i, err)
		}
	}
	if sent != 3 {
		t.Fatalf("%d notifications passed, want the burst of 3", sent)
	}
	for i := 0; i < 3; i++ {
		if err := env.e.Notify("bob", "fine", notice{N: i}); err != nil {
			t.Fatalf("bystander's notification %d: %v", i, err)
		}
	}
	if got := bob.waitEvents(bobCh, "fine", 3); len(got) != 3 {
		t.Fatalf("bob got %d", len(got))
	}
	if err := env.e.Notify("alice", "barrier", nil); !errors.Is(err, engine.ErrNotifyRateLimited) {
		t.Fatalf("alice still limited: %v", err)
	}
	if got := alice.waitEvents(aliceCh, "flood", 3); len(got) != 3 {
		t.Fatalf("alice got %d", len(got))
	}
}

// A tab that reconnects gets the notifications it missed, in order, from
// the channel's replay buffer.
func TestNotifyReplayedOnResume(t *testing.T) {
	env := newEnv(t, engine.Config{RateLimit: -1})
	first := env.rawDial("alice", nil)
	c1 := rawConnect(t, first, "")
	first.send(codec.AppendJoin(nil, 2, engine.UserKind, nil, "", 0))
	joined := first.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeJoined }).last(t)
	if err := env.e.Notify("alice", "seen", notice{N: 1}); err != nil {
		t.Fatal(err)
	}
	if f := first.readUntil(waitTimeout, func(f *codec.Frame) bool { return f.Type == codec.TypeEvent }).last(t); f.Seq != 1 {
		t.Fatalf("first event %+v", f)
	}
	_ = first.Close()
	env.waitSessions(0)
	// The channel outlives the session for the room's idle TTL.
	for i := 2; i <= 3; i++ {
		if err := env.e.Notify("alice", "missed", notice{N: i}); err != nil {
			t.Fatalf("Notify while away: %v", err)
		}
	}
	second := env.rawDial("alice", nil)
	rawConnect(t, second, c1.Token)
	second.send(codec.AppendJoin(nil, 2, engine.UserKind, nil, joined.Epoch, 1))
	var got []codec.Frame
	var rejoined codec.Frame
	second.readUntil(waitTimeout, func(f *codec.Frame) bool {
		switch f.Type {
		case codec.TypeJoined:
			rejoined = *f
		case codec.TypeEvent:
			got = append(got, *f)
		}
		return len(got) == 2
	})
	if !rejoined.Recovered {
		t.Fatalf("rejoin not recovered: %+v", rejoined)
	}
	for i, f := range got {
		if f.Event != "missed" || f.Seq != uint64(i+2) || decodeNotice(t, f.Data) != i+2 {
			t.Fatalf("replayed %d: %s seq %d", i, f.Event, f.Seq)
		}
	}
}

// A recipient whose channel is busy does not hold up the others: bob gets
// the notification while alice's channel is still stuck, and alice gets
// it once her channel is free again.
func TestNotifyUsersBusyRecipientSparesOthers(t *testing.T) {
	env := newEnv(t, engine.Config{JoinTimeout: 10 * waitTimeout})
	alice, bob := env.dial("alice"), env.dial("bob")
	aliceCh := alice.join(engine.UserKind, nil).Room
	bobCh := bob.join(engine.UserKind, nil).Room
	r, ok := env.e.Room(aliceCh)
	if !ok {
		t.Fatal("alice's channel is not running")
	}
	stuck, release := make(chan struct{}), make(chan struct{})
	doDone := make(chan error, 1)
	go func() { doDone <- r.Do(testCtx(t), func() { close(stuck); <-release }) }()
	<-stuck
	result := make(chan map[string]error, 1)
	go func() { result <- env.e.NotifyUsers([]string{"alice", "bob"}, "group.renamed", notice{N: 3}) }()
	if ev := bob.waitEvents(bobCh, "group.renamed", 1)[0]; decodeNotice(t, ev.Data) != 3 {
		t.Fatalf("bob got %x", ev.Data)
	}
	close(release)
	if err := <-doDone; err != nil {
		t.Fatalf("Do: %v", err)
	}
	if failed := <-result; failed != nil {
		t.Fatalf("NotifyUsers failed for %v", failed)
	}
	alice.waitEvents(aliceCh, "group.renamed", 1)
}
