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
