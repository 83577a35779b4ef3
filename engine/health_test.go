package engine_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/parlorhq/parlor/engine"
)

// readyBroker is a MemoryBroker that also reports readiness, the way a
// broker that talks to a server does.
type readyBroker struct {
	*engine.MemoryBroker
	down atomic.Bool
}

var errBrokerDown = errors.New("test: broker disconnected")

func (b *readyBroker) Ready(context.Context) error {
	if b.down.Load() {
		return errBrokerDown
	}
	return nil
}

// probe calls h with method and returns the status and body.
func probe(t *testing.T, h http.Handler, method string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, "/", nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

// TestReady: the engine is ready until Shutdown, and not while its broker
// says it is disconnected.
func TestReady(t *testing.T) {
	b := &readyBroker{MemoryBroker: engine.NewMemoryBroker()}
	env := newEnv(t, engine.Config{Broker: b})
	ctx := testCtx(t)
	if err := env.e.Ready(ctx); err != nil || !env.e.Accepting() {
		t.Fatalf("new engine: Ready %v, Accepting %v", err, env.e.Accepting())
	}
	b.down.Store(true)
	if err := env.e.Ready(ctx); !errors.Is(err, errBrokerDown) {
		t.Fatalf("broker down: Ready %v", err)
	}
	b.down.Store(false)
	env.shutdown(t)
	if err := env.e.Ready(ctx); !errors.Is(err, engine.ErrNotAccepting) || env.e.Accepting() {
		t.Fatalf("after Shutdown: Ready %v, Accepting %v", err, env.e.Accepting())
	}
	_ = b.Close()
}

// TestReadyHandler answers 200 when every check passes and 503 naming the
// failing ones, without their error text.
func TestReadyHandler(t *testing.T) {
	env := newEnv(t, engine.Config{})
	var storeDown atomic.Bool
	store := engine.ReadyCheck{Name: "chat-store", Check: func(context.Context) error {
		if storeDown.Load() {
			return errors.New("secret path /var/lib/x closed")
		}
		return nil
	}}
	h := engine.ReadyHandler(env.e.ReadyCheck(), store)
	if code, body := probe(t, h, http.MethodGet); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("ready: %d %q", code, body)
	}
	if code, _ := probe(t, h, http.MethodHead); code != http.StatusOK {
		t.Fatalf("HEAD: %d", code)
	}
	storeDown.Store(true)
	if code, body := probe(t, h, http.MethodGet); code != http.StatusServiceUnavailable || body != "not ready: chat-store\n" {
		t.Fatalf("store down: %d %q", code, body)
	}
	env.shutdown(t)
	if code, body := probe(t, h, http.MethodGet); code != http.StatusServiceUnavailable || body != "not ready: engine\nnot ready: chat-store\n" {
		t.Fatalf("shut down, store down: %d %q", code, body)
	}
	if code, _ := probe(t, h, http.MethodPost); code != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", code)
	}
}

// TestHealthHandler: alive whatever else holds, GET and HEAD only.
func TestHealthHandler(t *testing.T) {
	h := engine.HealthHandler()
	if code, body := probe(t, h, http.MethodGet); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET: %d %q", code, body)
	}
	if code, _ := probe(t, h, http.MethodDelete); code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE: %d", code)
	}
}
