package chatclient_test

import (
	"context"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/client/chatclient"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/parlortest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), parlortest.Timeout)
	t.Cleanup(cancel)
	return c
}

func start(t *testing.T) *parlortest.Server {
	return parlortest.Start(t, parlortest.Config{Modules: chat.New(chat.Config{}).Modules()})
}

func TestDM(t *testing.T) {
	srv := start(t)
	alice, err := chatclient.DM(ctx(t), srv.Dial("alice"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := chatclient.DM(ctx(t), srv.Dial("bob"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID() != bob.ID() || alice.Joined.With != "bob" || bob.Joined.With != "alice" {
		t.Fatalf("rooms %s %s, with %q %q", alice.ID(), bob.ID(), alice.Joined.With, bob.Joined.With)
	}
	sent, err := alice.Send(ctx(t), "  hello bob ", client.WithClientMsgID("m-1"))
	if err != nil || sent.Text != "hello bob" || sent.From != "alice" || sent.Seq != 1 {
		t.Fatalf("sent %+v, %v", sent, err)
	}
	got, err := bob.NextMessage(ctx(t))
	if err != nil || got.Seq != sent.Seq || got.Text != "hello bob" || got.From != "alice" {
		t.Fatalf("bob got %+v, %v", got, err)
	}
	// A resend with the same id is the same message.
	if again, err := alice.Send(ctx(t), "hello bob", client.WithClientMsgID("m-1")); err != nil || again.Seq != sent.Seq {
		t.Fatalf("resend: %+v, %v", again, err)
	}
	if err := bob.Typing(ctx(t), true); err != nil {
		t.Fatal(err)
	}
	for {
		u, err := alice.Next(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if u.Typing != nil {
			if u.Typing.User != "bob" || !u.Typing.Typing {
				t.Fatalf("typing %+v", u.Typing)
			}
			break
		}
	}
	if seq, err := bob.MarkRead(ctx(t), sent.Seq); err != nil || seq != sent.Seq {
		t.Fatalf("read: %d, %v", seq, err)
	}
	for {
		u, err := alice.Next(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if u.Read != nil {
			if u.Read.User != "bob" || u.Read.Seq != sent.Seq {
				t.Fatalf("read %+v", u.Read)
			}
			break
		}
	}
	edited, err := alice.Edit(ctx(t), sent.Seq, "hello, bob")
	if err != nil || edited.Kind != chat.KindEdit || edited.Target != sent.Seq {
		t.Fatalf("edit %+v, %v", edited, err)
	}
	u, err := bob.Next(ctx(t))
	for err == nil && u.Message == nil {
		u, err = bob.Next(ctx(t))
	}
	if err != nil || u.Event.Name != chat.KindEdit || u.Message.Text != "hello, bob" {
		t.Fatalf("bob's edit event %+v, %v", u.Message, err)
	}
	page, err := bob.History(ctx(t), 0, 10)
	if err != nil || len(page.Messages) != 2 || page.More {
		t.Fatalf("history %+v, %v", page, err)
	}
	if _, err := bob.Edit(ctx(t), sent.Seq, "not mine"); codeOf(err) != codec.CodeForbidden {
		t.Fatalf("bob edits alice's message: %v", err)
	}
	if err := alice.Leave(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := alice.Next(ctx(t)); err != nil {
			if err != chatclient.ErrClosed {
				t.Fatalf("after leaving: %v", err)
			}
			break
		}
	}
}

func TestGroup(t *testing.T) {
	srv := start(t)
	alice, err := chatclient.CreateGroup(ctx(t), srv.Dial("alice"), "plans", "bob", "carol")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := chatclient.Group(ctx(t), srv.Dial("bob"), alice.ID())
	if err != nil {
		t.Fatal(err)
	}
	if bob.Joined.Group == nil || bob.Joined.Group.Name != "plans" {
		t.Fatalf("bob's snapshot: %+v", bob.Joined.Group)
	}
	if _, err := chatclient.Group(ctx(t), srv.Dial("mallory"), alice.ID()); codeOf(err) != codec.CodeForbidden {
		t.Fatalf("a stranger opens the group: %v", err)
	}
	if _, err := bob.Send(ctx(t), "friday?"); err != nil {
		t.Fatal(err)
	}
	m, err := alice.NextMessage(ctx(t))
	if err != nil || m.Text != "friday?" || m.From != "bob" {
		t.Fatalf("alice got %+v, %v", m, err)
	}
	info, err := alice.Info(ctx(t))
	if err != nil || !slices.Contains(info.Online, "bob") {
		t.Fatalf("info %+v, %v", info, err)
	}
}

func codeOf(err error) codec.Code {
	if ce, ok := err.(*codec.Error); ok {
		return ce.Code
	}
	return ""
}

// TestGameNote: a game note the host writes reaches an open conversation
// as an Update with its Message and note.
func TestGameNote(t *testing.T) {
	c := chat.New(chat.Config{})
	srv := parlortest.Start(t, parlortest.Config{Modules: c.Modules()})
	bob, err := chatclient.DM(ctx(t), srv.Dial("bob"), "alice")
	if err != nil {
		t.Fatal(err)
	}
	note := chat.GameNote{Ref: "m1", Game: "chess", State: chat.GameOffered, From: "alice", Nonce: "n1"}
	if _, err := c.AddGameNote(ctx(t), bob.ID(), "alice", "bob", note); err != nil {
		t.Fatal(err)
	}
	u, err := bob.Next(ctx(t))
	if err != nil || u.Event.Name != chat.KindGame || u.Message == nil || u.Message.Game == nil || *u.Message.Game != note {
		t.Fatalf("update %+v, %v", u, err)
	}
}
