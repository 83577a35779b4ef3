package loopback

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/httpcheck"
)

// TestServerTimeouts: the load commands' server bounds request headers
// and idle keep-alive connections, and leaves WebSockets to the engine.
func TestServerTimeouts(t *testing.T) {
	httpcheck.ServerTimeouts(t, newServer(http.NotFoundHandler()))
}

// TestSlowloris: Serve's server cuts off a client that sends its request
// headers byte by byte, at ReadHeaderTimeout, and Serve's stop shuts it
// down.
func TestSlowloris(t *testing.T) {
	e, err := engine.New(engine.Config{Authenticate: AuthenticateQuery, Secret: []byte("loopback test secret")})
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := Serve("127.0.0.1:0", e, e)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	httpcheck.CutsSlowHeaders(t, addr, newServer(nil).ReadHeaderTimeout)
}
