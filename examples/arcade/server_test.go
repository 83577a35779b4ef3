package main

import (
	"net/http"
	"testing"

	"github.com/parlorhq/parlor/internal/httpcheck"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// TestServerTimeouts: the arcade's http.Server bounds request headers and
// idle keep-alive connections, and leaves WebSockets to the engine.
func TestServerTimeouts(t *testing.T) {
	httpcheck.ServerTimeouts(t, newServer(http.NotFoundHandler(), zap.NewNop()))
}

// TestSlowloris: the arcade's server cuts off a client that sends its
// request headers byte by byte, at ReadHeaderTimeout.
func TestSlowloris(t *testing.T) {
	ta := startArcade(t, "")
	httpcheck.Slowloris(t, newServer(ta.a.Handler(), zaptest.NewLogger(t)))
}
