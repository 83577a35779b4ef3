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
	"github.com/parlorhq/parlor/internal/echo"
)

// Mount Parlor on a host's existing mux, beside its own routes, with the
// host's own authentication deciding who the user is.
func ExampleNew() {
	e, err := engine.New(engine.Config{
		// The host's auth: here a bearer token looked up in a toy table.
		Authenticate: func(r *http.Request) (string, error) {
			users := map[string]string{"token-alice": "alice"}
			if user, ok := users[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]; ok {
				return user, nil
			}
			return "", errors.New("no valid token")
		},
		Secret: []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		panic(err)
	}
	if err := e.Register(echo.Module{}); err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") })
	mux.Handle("/ws", e)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx := context.Background()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/ws", client.Options{
		Header: http.Header{"Authorization": {"Bearer token-alice"}},
	})
	if err != nil {
		panic(err)
	}
	joined, err := c.Join(ctx, echo.Kind, echo.JoinParams{Name: "lobby"})
	if err != nil {
		panic(err)
	}
	if _, err := c.Send(ctx, joined.Room, "say", echo.SayData{Text: "hello"}); err != nil {
		panic(err)
	}
	ev := <-c.Events()
	var said echo.Said
	_ = ev.Decode(&said)
	fmt.Printf("%s (seq %d): %s said %q\n", ev.Name, ev.Seq, said.From, said.Text)

	_ = c.Close()
	shutdownCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = e.Shutdown(shutdownCtx)
	// Output: said (seq 1): alice said "hello"
}
