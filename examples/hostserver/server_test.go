package main

import (
	"net/http"
	"testing"

	"github.com/parlorhq/parlor/internal/httpcheck"
	"go.uber.org/goleak"
	"go.uber.org/zap"
)

// TestServerTimeouts: the app's http.Server bounds request headers and
// idle keep-alive connections, and leaves WebSockets to the engine.
func TestServerTimeouts(t *testing.T) {
	httpcheck.ServerTimeouts(t, newServer(http.NotFoundHandler(), zap.NewNop()))
}

// TestSlowloris: the app's own server cuts off a client that sends its
// request headers byte by byte, at ReadHeaderTimeout.
func TestSlowloris(t *testing.T) {
	defer goleak.VerifyNone(t)
	h, eng, err := newApp(appConfig{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = eng.Shutdown(t.Context()) }()
	httpcheck.Slowloris(t, newServer(h, zap.NewNop()))
}
