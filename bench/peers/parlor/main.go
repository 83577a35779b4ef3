// Command parlor is the Parlor peer of the benchmark: an engine with a
// one-event module (module.go) that broadcasts what a member says to the
// whole room. The user is whatever ?user= says and rate limits are off:
// it is a load-test server for loopback only.
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/parlorhq/parlor/engine"

	"github.com/parlorhq/parlor/bench/peers/internal/serve"
)

// authenticate takes the user id from the query: for the benchmark only.
func authenticate(r *http.Request) (string, error) {
	if u := r.URL.Query().Get("user"); u != "" {
		return u, nil
	}
	return "", errors.New("no user")
}

func main() {
	flag.Parse()
	e, err := engine.New(engine.Config{
		Authenticate: authenticate,
		Secret:       []byte("parlor-peers-bench"),
		RateLimit:    -1,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := e.Register(module{}); err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", e)
	if err := serve.Run(mux, "/ws"); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = e.Shutdown(ctx)
}
