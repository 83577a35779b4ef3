package engine_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/parlorhq/parlor/engine"
)

// TestOriginHostIsMatchedExactly: the same-host rule compares the Origin's
// host and port with the request's Host whole. Origins whose host merely
// ends with the server's host (another domain, or a subdomain the server
// does not own) are refused with 403 before Authenticate runs, and a
// bystander is unaffected.
func TestOriginHostIsMatchedExactly(t *testing.T) {
	var authCalls atomic.Int64
	env := newEnv(t, engine.Config{
		AllowedOrigins: []string{"https://app.example"},
		Authenticate: func(r *http.Request) (string, error) {
			authCalls.Add(1)
			return testAuth(r)
		},
	})
	by := newBystander(env, "bob", "lobby")
	host := env.host() // 127.0.0.1:port, the Host of every request below

	hostile := []string{
		"http://evil" + host,       // a longer host with the same ending
		"http://x." + host,         // a subdomain of the server's host
		"https://evil.app.example", // a subdomain of an allowed origin
		"https://evilapp.example",  // an allowed origin's host as a suffix
	}
	for _, origin := range hostile {
		before, sessions := authCalls.Load(), env.e.Stats().Sessions
		req := env.upgradeRequest("mallory")
		req.Header.Set("Origin", origin)
		if got := env.do(req); got != http.StatusForbidden {
			t.Errorf("Origin %q on Host %q: HTTP %d, want 403", origin, host, got)
		}
		if n := authCalls.Load() - before; n != 0 {
			t.Errorf("Origin %q: Authenticate ran %d times, want 0", origin, n)
		}
		if st := env.e.Stats(); st.Sessions != sessions {
			t.Errorf("Origin %q: %d sessions, want %d", origin, st.Sessions, sessions)
		}
	}

	// The exact host and the exact allowed origin still pass, in any case.
	for _, origin := range []string{"http://" + host, "HTTP://" + host, "https://app.example"} {
		req := env.upgradeRequest("alice")
		req.Header.Set("Origin", origin)
		if got := env.do(req); got != http.StatusSwitchingProtocols {
			t.Errorf("Origin %q: HTTP %d, want 101", origin, got)
		}
	}
	env.waitSessions(1)
	by.check()
}
