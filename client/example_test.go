package client_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/echo"
)

// Dial a server, join a room, send an event and read the broadcast.
func ExampleDial() {
	// A server to talk to: the host decides who the user is from a header.
	e, _ := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) { return r.Header.Get("X-Demo-User"), nil },
		Secret:       []byte("example secret"),
	})
	_ = e.Register(echo.Module{})
	srv := httptest.NewServer(e)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), client.Options{
		Header: http.Header{"X-Demo-User": {"ada"}},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	joined, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		fmt.Println("join:", err)
		return
	}
	reply, err := c.Send(ctx, joined.Room, "say", echo.SayData{Text: "hi"}, client.WithClientMsgID("m-1"))
	if err != nil {
		fmt.Println("send:", err)
		return
	}
	var ack struct {
		Seq uint64 `msgpack:"seq"`
	}
	_ = reply.Decode(&ack)
	ev := <-c.Events()
	var said echo.Said
	_ = ev.Decode(&said)
	fmt.Printf("ack seq %d; event %s seq %d from %s: %s\n", ack.Seq, ev.Name, ev.Seq, said.From, said.Text)

	_ = c.Close()
	_ = e.Shutdown(ctx)
	// Output: ack seq 1; event said seq 1 from ada: hi
}

// A client that reconnects on its own (the default), reports its state,
// and refetches a room's state when a reconnect could not replay what it
// missed.
func ExampleDial_reconnect() {
	ctx := context.Background()
	c, err := client.Dial(ctx, "wss://chat.example.com/parlor", client.Options{
		Header: http.Header{"Authorization": {"Bearer …"}},
		// The zero value reconnects forever, 250 ms up to 10 s apart;
		// Disabled: true would end the client with its connection.
		Reconnect: client.ReconnectPolicy{MaxDelay: 30 * time.Second},
		OnStateChange: func(sc client.StateChange) {
			switch sc.State {
			case client.StateReconnecting:
				fmt.Printf("connection lost (%v); attempt %d in %v\n", sc.Err, sc.Attempt, sc.Delay)
			case client.StateOpen:
				fmt.Println("connected; session resumed:", sc.Resumed)
			case client.StateClosed:
				fmt.Println("gave up:", sc.Err)
			}
		},
	})
	if err != nil {
		fmt.Println("dial:", err)
		return
	}
	defer c.Close()
	joined, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		fmt.Println("join:", err)
		return
	}
	var state echo.Snapshot
	_ = joined.Decode(&state)
	// A send cut by a lost connection is sent again after the reconnect,
	// with the same client message id, and applied once.
	if _, err := c.Send(ctx, joined.Room, "say", echo.SayData{Text: "hi"}); err != nil {
		fmt.Println("send:", err)
	}
	for ev := range c.Events() { // closed when the client ends
		switch {
		case ev.Name == client.EventRejoined:
			// The server could not replay the events missed while away:
			// start again from the fresh snapshot.
			_ = ev.Decode(&state)
		case ev.Left:
			fmt.Println("left", ev.Room, ev.Reason, ev.Err)
		default:
			// An ordered event (Seq > 0) arrives once, in order, across
			// reconnects.
			var said echo.Said
			_ = ev.Decode(&said)
			fmt.Printf("%d %s: %s\n", ev.Seq, said.From, said.Text)
		}
	}
	fmt.Println("ended:", c.Err())
}
