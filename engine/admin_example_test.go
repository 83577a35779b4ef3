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

// Sign a user out everywhere: revoke their credentials in the host's own
// store first, then close every connection they have open, with 4011 so
// that clients do not reconnect.
func ExampleEngine_DisconnectUser() {
	revoked := map[string]bool{}
	e, err := engine.New(engine.Config{
		Authenticate: func(r *http.Request) (string, error) {
			user := r.URL.Query().Get("user")
			if user == "" || revoked[user] {
				return "", errors.New("signed out")
			}
			return user, nil
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

	revoked["alice"] = true // the host's sign-out, before the upgrade check can see it
	n := e.DisconnectUser("alice", engine.CloseSignedOut, "signed out everywhere")
	<-c.Done()
	var ce *client.CloseError
	errors.As(c.Err(), &ce)
	fmt.Printf("closed %d connection(s); the client ended with %d %q\n", n, ce.Code, ce.Reason)

	shutdownCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = e.Shutdown(shutdownCtx)
	// Output: closed 1 connection(s); the client ended with 4011 "signed out everywhere"
}

// Serve liveness and readiness probes beside the engine, with a check of
// the host's own store.
func ExampleReadyHandler() {
	e, err := engine.New(engine.Config{
		Authenticate: func(*http.Request) (string, error) { return "", errors.New("no users here") },
		Secret:       []byte("a stable secret shared by all nodes"),
	})
	if err != nil {
		panic(err)
	}
	storeOpen := true
	mux := http.NewServeMux()
	mux.Handle("/ws", e)
	mux.Handle("/healthz", engine.HealthHandler())
	mux.Handle("/readyz", engine.ReadyHandler(e.ReadyCheck(), engine.ReadyCheck{
		Name: "store",
		Check: func(context.Context) error {
			if !storeOpen {
				return errors.New("store closed")
			}
			return nil
		},
	}))
	probe := func() {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		fmt.Printf("%d %s", rec.Code, rec.Body.String())
	}

	probe()
	storeOpen = false
	probe()
	_ = e.Shutdown(context.Background())
	probe()
	// Output:
	// 200 ok
	// 503 not ready: store
	// 503 not ready: engine
	// not ready: store
}
