package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Health and readiness, for load balancers and orchestrators: a liveness
// probe says the process answers, a readiness probe says it can serve
// (its stores are open, the engine accepts connections, the broker is
// connected, and a cluster node is not cut off from its cluster). The handlers are for the host's mux, beside the engine.

// ErrNotAccepting is Ready's answer once Shutdown has begun: the engine
// refuses new connections.
var ErrNotAccepting = errors.New("engine: not accepting connections: shutting down")

// ErrCutOff is Ready's answer on a cluster node cut off from its cluster
// (Cluster.Connected not closed: NATS, or the lease bucket, unreachable):
// it refuses every send to a room another node owns and cannot take
// rooms, so a load balancer should send users elsewhere.
var ErrCutOff = errors.New("engine: cut off from the cluster")

// DefaultReadyTimeout bounds the checks of one ReadyHandler request.
const DefaultReadyTimeout = 2 * time.Second

// BrokerReadiness is implemented by a Broker that can tell whether it is
// connected, such as one that talks to a server. Ready consults it; a
// Broker that does not implement it is taken as ready.
type BrokerReadiness interface {
	// Ready returns nil when the broker can publish and subscribe now.
	Ready(ctx context.Context) error
}

// Accepting reports whether the engine accepts new connections: it does
// from New until Shutdown.
func (e *Engine) Accepting() bool { return !e.shutting.Load() }

// Ready returns nil when the engine can serve: it accepts connections,
// on a cluster it is connected to it (Cluster.Connected), and its broker,
// if it implements BrokerReadiness, is ready. Otherwise it returns
// ErrNotAccepting, ErrCutOff or the broker's error. Stores that modules
// use are the host's to check (ReadyCheck).
func (e *Engine) Ready(ctx context.Context) error {
	if !e.Accepting() {
		return ErrNotAccepting
	}
	if e.cluster != nil && !e.clusterUp() {
		return ErrCutOff
	}
	if br, ok := e.hub.broker.(BrokerReadiness); ok {
		if err := br.Ready(ctx); err != nil {
			return fmt.Errorf("engine: broker not ready: %w", err)
		}
	}
	return nil
}

// ReadyCheck is one named condition of readiness, for ReadyHandler.
type ReadyCheck struct {
	// Name identifies the check in the handler's answer, such as "engine"
	// or "chat-store".
	Name string
	// Check returns nil when the condition holds. It must return soon
	// after ctx ends.
	Check func(ctx context.Context) error
}

// HealthHandler answers liveness probes (GET or HEAD, typically at
// /healthz): 200 "ok" as long as the process serves HTTP at all. It checks
// nothing else on purpose: a liveness probe that fails restarts the
// process, which does not mend a store or a broker.
func HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !probeMethod(w, r) {
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
}

// ReadyHandler answers readiness probes (GET or HEAD, typically at
// /readyz): it runs every check, in order, within DefaultReadyTimeout in
// all, and answers 200 "ok" when all pass, or 503 with the names of the
// failing checks, one a line. Error details are left out of the answer,
// which may be public; a check that wants them logged logs them itself.
func ReadyHandler(checks ...ReadyCheck) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !probeMethod(w, r) {
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), DefaultReadyTimeout)
		defer cancel()
		var failed []string
		for _, c := range checks {
			if err := c.Check(ctx); err != nil {
				failed = append(failed, c.Name)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if len(failed) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not ready: " + strings.Join(failed, "\nnot ready: ") + "\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

// ReadyCheck returns the engine's readiness as a check named "engine".
func (e *Engine) ReadyCheck() ReadyCheck {
	return ReadyCheck{Name: "engine", Check: e.Ready}
}

// probeMethod allows GET and HEAD, answering anything else with 405.
func probeMethod(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}
