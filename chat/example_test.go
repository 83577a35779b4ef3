package chat_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parlorhq/parlor/chat"
	"github.com/parlorhq/parlor/chat/boltstore"
	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// A host wires the chat modules onto its engine with a durable bbolt
// store and its own policy of who may message whom.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "chat-example")
	defer os.RemoveAll(dir)

	// The host's data: who is connected to whom.
	connected := map[[2]string]bool{{"alice", "bob"}: true}

	st, err := boltstore.Open(filepath.Join(dir, "chat.db"), boltstore.Options{})
	if err != nil {
		panic(err)
	}
	defer st.Close() // after the engine has shut down

	eng, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) {
			return r.URL.Query().Get("user"), nil // your session check here
		},
		Secret: []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		panic(err)
	}
	c := chat.New(chat.Config{
		Store: st,
		CanMessage: func(_ context.Context, from, to string) error {
			if connected[[2]string{from, to}] || connected[[2]string{to, from}] {
				return nil
			}
			return errors.New("not connected") // the client sees forbidden
		},
	})
	if err := c.Register(eng); err != nil {
		panic(err)
	}
	srv := httptest.NewServer(eng)
	defer srv.Close()

	ctx := context.Background()
	dial := func(user string) *client.Client {
		cl, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?user="+user, client.Options{})
		if err != nil {
			panic(err)
		}
		return cl
	}
	alice, bob, eve := dial("alice"), dial("bob"), dial("eve")

	dm, _ := alice.Join(ctx, chat.KindDM, chat.DMParams{With: "bob"})
	_, _ = bob.Join(ctx, chat.KindDM, chat.DMParams{With: "alice"})
	_, _ = alice.Send(ctx, dm.Room, chat.OpSend, chat.SendRequest{Text: "hi bob"})
	for ev := range bob.Events() {
		if ev.Name == chat.KindMessage {
			var m chat.Message
			_ = ev.Decode(&m)
			fmt.Printf("bob got %q from %s (seq %d)\n", m.Text, m.From, m.Seq)
			break
		}
	}
	_, err = eve.Join(ctx, chat.KindDM, chat.DMParams{With: "alice"})
	fmt.Println("eve:", err)

	for _, cl := range []*client.Client{alice, bob, eve} {
		_ = cl.Close()
	}
	shutdown, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = eng.Shutdown(shutdown)
	// Output:
	// bob got "hi bob" from alice (seq 1)
	// eve: forbidden: chat: not allowed to message this user
}

// A host writes a game note into the conversation of two users: here,
// the challenge that the games module told it of.
func ExampleChat_AddGameNote() {
	eng, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.URL.Query().Get("user"), nil },
		Secret:       []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		panic(err)
	}
	defer func() { _ = eng.Shutdown(context.Background()) }()
	c := chat.New(chat.Config{})
	if err := c.Register(eng); err != nil {
		panic(err)
	}
	id := chat.DMRoomID(eng.Secret(), "alice", "bob")
	m, err := c.AddGameNote(context.Background(), id, "alice", "bob", chat.GameNote{
		Ref: "match-room-id", Game: "chess", State: chat.GameOffered, From: "alice",
		Nonce: "c0ffee", BaseMS: 5 * 60 * 1000, IncrementMS: 3000,
	})
	fmt.Println(m.Seq, m.Kind, m.From, m.Game.State, err)
	// Output: 1 game alice offered <nil>
}
