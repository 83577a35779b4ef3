package chat_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/testserver"
	"github.com/parlorhq/parlor/room"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every wait for an event or a reply.
const wait = 5 * time.Second

// env is a real engine on loopback with the chat modules.
type env struct {
	t    *testing.T
	srv  *testserver.Server
	chat *chat.Chat
}

// start serves the chat modules. Unless cfg sets them, the write rate
// limit is off and the store is a fresh MemoryStore.
func start(t *testing.T, cfg chat.Config) *env {
	t.Helper()
	if cfg.MessageRate == 0 {
		cfg.MessageRate = -1
	}
	c := chat.New(cfg)
	srv := testserver.Start(t, engine.Config{}, c.Modules()...)
	return &env{t: t, srv: srv, chat: c}
}

// user is one connection of a user.
type user struct {
	*client.Client
	t *testing.T
}

func (e *env) dial(name string) *user {
	return &user{Client: e.srv.Dial(name), t: e.t}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// join joins a room and decodes its snapshot into snap.
func (u *user) join(kind string, params, snap any) *client.Joined {
	u.t.Helper()
	j, err := u.Join(ctxT(u.t), kind, params)
	if err != nil {
		u.t.Fatalf("%s: join %s %+v: %v", u.UserID(), kind, params, err)
	}
	if snap != nil {
		if err := j.Decode(snap); err != nil {
			u.t.Fatalf("decode snapshot: %v", err)
		}
	}
	return j
}

// dm joins the direct conversation with other.
func (u *user) dm(other string) (string, chat.Snapshot) {
	u.t.Helper()
	var snap chat.Snapshot
	j := u.join(chat.KindDM, chat.DMParams{With: other}, &snap)
	return j.Room, snap
}

// joinErr joins and returns the refusal's code.
func (u *user) joinErr(kind string, params any) codec.Code {
	u.t.Helper()
	_, err := u.Join(ctxT(u.t), kind, params)
	return code(u.t, err)
}

// request sends event and decodes the reply into out.
func (u *user) request(roomID, event string, data, out any, opts ...client.SendOption) {
	u.t.Helper()
	rep, err := u.Send(ctxT(u.t), roomID, event, data, opts...)
	if err != nil {
		u.t.Fatalf("%s: %s: %v", u.UserID(), event, err)
	}
	if out != nil {
		if err := rep.Decode(out); err != nil {
			u.t.Fatalf("decode %s reply: %v", event, err)
		}
	}
}

// requestErr sends event and returns the refusal's code.
func (u *user) requestErr(roomID, event string, data any) codec.Code {
	u.t.Helper()
	_, err := u.Send(ctxT(u.t), roomID, event, data)
	return code(u.t, err)
}

// say sends a message and returns it as stored.
func (u *user) say(roomID, text string, opts ...client.SendOption) chat.Message {
	u.t.Helper()
	var m chat.Message
	u.request(roomID, chat.OpSend, chat.SendRequest{Text: text}, &m, opts...)
	return m
}

// next waits for the next event called name in roomID and decodes it.
func (u *user) next(roomID, name string, out any) client.Event {
	u.t.Helper()
	ev := testserver.NextNamed(u.t, u.Client, roomID, name, wait)
	if out != nil {
		if err := ev.Decode(out); err != nil {
			u.t.Fatalf("decode %s event: %v", name, err)
		}
	}
	return ev
}

// nextMessage waits for the next message event in roomID.
func (u *user) nextMessage(roomID string) chat.Message {
	u.t.Helper()
	var m chat.Message
	ev := u.next(roomID, chat.KindMessage, &m)
	if ev.Seq != m.Seq {
		u.t.Fatalf("event seq %d carries entry seq %d", ev.Seq, m.Seq)
	}
	return m
}

// nextAny waits for the next event in roomID other than the names in
// skip.
func (u *user) nextAny(roomID string, skip ...string) client.Event {
	u.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		ev := testserver.Next(u.t, u.Client, roomID, time.Until(deadline))
		skipped := false
		for _, s := range skip {
			skipped = skipped || ev.Name == s
		}
		if !skipped {
			return ev
		}
	}
}

// history pages the room's log.
func (u *user) history(roomID string, before uint64, limit int) chat.HistoryPage {
	u.t.Helper()
	var page chat.HistoryPage
	u.request(roomID, chat.OpHistory, chat.HistoryRequest{Before: before, Limit: limit}, &page)
	return page
}

func code(t *testing.T, err error) codec.Code {
	t.Helper()
	var ce *codec.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a coded error", err)
	}
	return ce.Code
}

// inRoom runs fn on the running room's goroutine.
func (e *env) inRoom(id string, fn func(r *room.Room)) {
	e.t.Helper()
	r, ok := e.srv.Engine.Room(id)
	if !ok {
		e.t.Fatalf("room %s is not running", id)
	}
	if err := r.Do(ctxT(e.t), func() { fn(r) }); err != nil {
		e.t.Fatal(err)
	}
}

// waitSessions waits until user has n sessions in the room.
func (e *env) waitSessions(id, user string, n int) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		got := -1
		e.inRoom(id, func(r *room.Room) { got = r.SessionCount(user) })
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s has %d sessions in the room, want %d", user, got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nextMillisecond waits for the clock's millisecond to change, so that
// what follows gets a later timestamp than what came before (inboxes are
// ordered by millisecond timestamps).
func nextMillisecond() {
	start := time.Now().UnixMilli()
	for time.Now().UnixMilli() == start {
		time.Sleep(100 * time.Microsecond)
	}
}

func seqsOf(list []chat.Message) []uint64 {
	out := make([]uint64, len(list))
	for i, m := range list {
		out[i] = m.Seq
	}
	return out
}
