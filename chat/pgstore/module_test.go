package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/codec"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/pgtest"
	"github.com/parlorhq/parlor/internal/testserver"
)

const wait = 10 * time.Second

// chatServer serves the chat module on store s over loopback WebSockets.
func chatServer(t *testing.T, s *Store) *testserver.Server {
	return testserver.Start(t, engine.Config{}, chat.New(chat.Config{Store: s, MessageRate: -1}).Modules()...)
}

func dmWith(t *testing.T, c *client.Client, other string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	j, err := c.Join(ctx, chat.KindDM, chat.DMParams{With: other})
	if err != nil {
		t.Fatalf("%s joins the DM with %s: %v", c.UserID(), other, err)
	}
	return j.Room
}

func say(c *client.Client, room, text, clientMsgID string) (chat.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	rep, err := c.Send(ctx, room, chat.OpSend, chat.SendRequest{Text: text}, client.WithClientMsgID(clientMsgID))
	if err != nil {
		return chat.Message{}, err
	}
	var m chat.Message
	err = rep.Decode(&m)
	return m, err
}

func code(err error) codec.Code {
	var ce *codec.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// TestSendWhileDatabaseDown: the chat module on this store, over real
// WebSockets, with the real server stopped under it. The sender gets the
// unavailable code and the other member no event; once the server is
// back, the resend (same client message id) is stored and broadcast
// once, at the next seq.
func TestSendWhileDatabaseDown(t *testing.T) {
	c := pgtest.StartCluster(t)
	s, err := Open(context.Background(), c.DSN, Options{Timeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	srv := chatServer(t, s)
	alice, bob := srv.Dial("alice"), srv.Dial("bob")
	room := dmWith(t, alice, "bob")
	dmWith(t, bob, "alice")
	if _, err := say(alice, room, "one", "c1"); err != nil {
		t.Fatal(err)
	}
	if m := testserver.NextNamed(t, bob, room, chat.KindMessage, wait); m.Seq != 1 {
		t.Fatalf("bob got seq %d, want 1", m.Seq)
	}

	c.Down()
	if _, err := say(alice, room, "two", "c2"); code(err) != codec.CodeUnavailable ||
		!strings.Contains(err.Error(), ErrUnavailable.Message) {
		t.Fatalf("send with the database down: %v, want %v", err, ErrUnavailable)
	}
	c.Up()
	m, err := say(alice, room, "two", "c2")
	if err != nil || m.Seq != 2 || m.Text != "two" {
		t.Fatalf("resend after the restart: %+v, %v", m, err)
	}
	if ev := testserver.NextNamed(t, bob, room, chat.KindMessage, wait); ev.Seq != 2 {
		t.Fatalf("bob's next message has seq %d, want 2", ev.Seq)
	}
	h, err := s.History(context.Background(), room, 0, 10)
	if err != nil || len(h) != 2 || h[1].ClientMsgID != "c2" {
		t.Fatalf("stored log: %+v, %v", h, err)
	}
}

// TestNULTextOverWebSocket: a text PostgreSQL cannot store reaches the
// sender as bad_request; the conversation and another user's go on.
func TestNULTextOverWebSocket(t *testing.T) {
	s := openStore(t, pgtest.NewSchema(t), Options{})
	srv := chatServer(t, s)
	alice, carol := srv.Dial("alice"), srv.Dial("carol")
	room := dmWith(t, alice, "bob")
	other := dmWith(t, carol, "bob")
	if _, err := say(alice, room, "a\x00b", "c1"); code(err) != codec.CodeBadRequest {
		t.Fatalf("a text with a NUL byte: %v, want code %s", err, codec.CodeBadRequest)
	}
	if m, err := say(alice, room, "fine", "c2"); err != nil || m.Seq != 1 {
		t.Fatalf("the next message: %+v, %v", m, err)
	}
	if m, err := say(carol, other, "hello", "c1"); err != nil || m.Seq != 1 {
		t.Fatalf("the bystander's message: %+v, %v", m, err)
	}
	list, err := s.Conversations(context.Background(), "bob", 10, 10)
	if err != nil || len(list) != 2 || list[0].Unread != 1 || list[1].Unread != 1 {
		t.Fatalf("bob's inbox: %+v, %v", list, err)
	}
}
