package engine_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// Reach a user outside any room: the client joins its user channel once
// connected, and the host (or a module) notifies it.
func ExampleEngine_Notify() {
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) {
			if user := r.URL.Query().Get("user"); user != "" {
				return user, nil
			}
			return "", errors.New("no user")
		},
		Secret: []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()

	ctx := context.Background()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/?user=alice", client.Options{})
	if err != nil {
		panic(err)
	}
	if _, err := c.Join(ctx, engine.UserKind, nil); err != nil {
		panic(err)
	}

	type challenge struct {
		From string `msgpack:"from"`
		Game string `msgpack:"game"`
	}
	if err := e.Notify("alice", "challenge.offered", challenge{From: "bob", Game: "chess"}); err != nil {
		panic(err)
	}
	ev := <-c.Events()
	var ch challenge
	_ = ev.Decode(&ch)
	fmt.Printf("%s #%d: %s challenges you to %s\n", ev.Name, ev.Seq, ch.From, ch.Game)

	fmt.Println(e.Notify("bob", "challenge.offered", nil)) // bob has no open channel

	shutdownCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = c.Close()
	_ = e.Shutdown(shutdownCtx)
	// Output:
	// challenge.offered #1: bob challenges you to chess
	// engine: user has no open user channel
}
