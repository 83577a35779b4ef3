package engine_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// TestRenewDuringUpgrade: an upgrade opened with credential A that is
// in progress while the host renews A to B and then revokes B (or revokes A
// and then renews it) must be closed as soon as it completes, as an open
// connection with A would have been.
func TestRenewDuringUpgrade(t *testing.T) {
	for _, tt := range []struct {
		name string
		act  func(e *engine.Engine)
	}{
		{"renew then revoke the new credential", func(e *engine.Engine) {
			e.RenewCredential("alice", "A", "B")
			e.DisconnectCredential("alice", "B", engine.CloseSignedOut, "signed out")
		}},
		{"revoke then renew", func(e *engine.Engine) {
			e.DisconnectCredential("alice", "A", engine.CloseSignedOut, "signed out")
			e.RenewCredential("alice", "A", "B")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entered := make(chan struct{})
			release := make(chan struct{})
			cred := func(r *http.Request) string {
				if r.Header.Get("X-Block") != "" {
					close(entered)
					<-release
				}
				return testCredential(r)
			}
			env := newEnv(t, engine.Config{Credential: cred})
			type result struct {
				c   *tclient
				err error
			}
			done := make(chan result, 1)
			go func() {
				h := http.Header{}
				h.Set("X-Block", "1")
				h.Set(credHeader, "A")
				c, err := env.dialOpts("alice", client.Options{Header: h})
				done <- result{c, err}
			}()
			<-entered
			tt.act(env.e)
			close(release)
			res := <-done
			err := res.err
			if err == nil {
				select {
				case <-res.c.Done():
					err = res.c.Err()
				case <-time.After(time.Second):
					t.Fatal("the connection opened with A is still open after its credential was renewed and revoked")
				}
			}
			var ce *client.CloseError
			if !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut {
				t.Fatalf("upgrade in progress ended with %v, want close %d", err, engine.CloseSignedOut)
			}
		})
	}
}
