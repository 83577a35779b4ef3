package chat_test

import (
	"testing"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client/userchannel"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/testserver"
)

// lateNotifier is the engine, once the test server has started it.
type lateNotifier struct{ e *engine.Engine }

func (n *lateNotifier) Notify(user, event string, data any) error {
	return n.e.Notify(user, event, data)
}

// nextNotice waits for the next event called name on ch.
func nextNotice(t *testing.T, ch *userchannel.Channel, name string, v any) {
	t.Helper()
	for {
		u, err := ch.Next(ctxT(t))
		if err != nil {
			t.Fatalf("waiting for %s: %v", name, err)
		}
		if u.Event.Name == name {
			if err := u.Event.Decode(v); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
}

// TestNewConversationNotices tells users of a conversation new to them on
// their user channel: once, and not when their inbox told them already.
func TestNewConversationNotices(t *testing.T) {
	nt := &lateNotifier{}
	c := chat.New(chat.Config{MessageRate: -1, Notifier: nt})
	srv := testserver.Start(t, engine.Config{}, c.Modules()...)
	nt.e = srv.Engine
	e := &env{t: t, srv: srv, chat: c}
	channel := func(name string) *userchannel.Channel {
		ch, err := userchannel.Join(ctxT(t), srv.Dial(name))
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	bobCh, carolCh := channel("bob"), channel("carol")
	carol := e.dial("carol")
	carol.join(chat.KindInbox, nil, nil) // carol's inbox is open

	alice := e.dial("alice")
	id, _ := alice.dm("bob")
	alice.say(id, "hi")
	var n chat.ConversationNotice
	nextNotice(t, bobCh, chat.EventNewConversation, &n)
	if n.Room != id || n.Kind != chat.KindDM || n.From != "alice" {
		t.Fatalf("bob's notice: %+v", n)
	}
	alice.say(id, "again")
	carolID, _ := alice.dm("carol")
	alice.say(carolID, "hi carol")

	// A group that adds bob and carol.
	var snap chat.Snapshot
	j := alice.join(chat.KindGroup, chat.GroupParams{Create: &chat.CreateGroup{Name: "team", Members: []string{"bob", "carol"}}}, &snap)
	nextNotice(t, bobCh, chat.EventNewConversation, &n)
	if n.Room != j.Room || n.Kind != chat.KindGroup || n.Name != "team" {
		t.Fatalf("bob's group notice: %+v (the second DM message must not notify)", n)
	}
	// Carol heard of neither on her channel: her inbox told her.
	select {
	case ev := <-carolCh.Room.Events():
		t.Fatalf("carol got %s on her channel", ev.Name)
	default:
	}
}
