package engine_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/parlorhq/parlor/engine"
)

// TestAuthenticateErrorWinsOverUser: an Authenticate that returns a user
// together with an error has refused the request. Its error decides the
// status (403 for ErrForbidden, 401 for any other), the user it named gets
// no session, and a bystander is unaffected.
func TestAuthenticateErrorWinsOverUser(t *testing.T) {
	env := newEnv(t, engine.Config{
		Authenticate: func(r *http.Request) (string, error) {
			switch r.Header.Get("X-Auth") {
			case "expired":
				return "mallory", errors.New("token expired")
			case "suspended":
				return "mallory", fmt.Errorf("account suspended: %w", engine.ErrForbidden)
			}
			return testAuth(r)
		},
	})
	by := newBystander(env, "bob", "lobby")

	tests := []struct {
		auth string
		want int
	}{
		{"expired", http.StatusUnauthorized},
		{"suspended", http.StatusForbidden},
	}
	for _, tt := range tests {
		req := env.upgradeRequest("mallory")
		req.Header.Set("X-Auth", tt.auth)
		if got := env.do(req); got != tt.want {
			t.Errorf("Authenticate returning a user and the %q error: HTTP %d, want %d", tt.auth, got, tt.want)
		}
		if st := env.e.Stats(); st.Sessions != 1 {
			t.Errorf("after the %s refusal: %d sessions, want only the bystander's", tt.auth, st.Sessions)
		}
	}

	// The same user with no error gets in: the refusals came from the
	// errors alone.
	if got := env.do(env.upgradeRequest("mallory")); got != http.StatusSwitchingProtocols {
		t.Fatalf("mallory without an error: HTTP %d, want 101", got)
	}
	by.check()
}
