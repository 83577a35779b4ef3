package main

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parlorhq/parlor/client"
	"github.com/parlorhq/parlor/engine"
)

// memShare is a sessionShare in memory whose deletes fail while failing
// is set, and whose puts fail while putFailing is, as a bucket that does
// not answer would.
type memShare struct {
	failing    atomic.Bool
	putFailing atomic.Bool
	mu         sync.Mutex
	byToken    map[string]*session
}

func (m *memShare) put(ss *session) error {
	if m.putFailing.Load() {
		return errors.New("the bucket does not answer")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byToken[ss.token] = ss
	return nil
}

func (m *memShare) get(token string) (*session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byToken[token], nil
}

func (m *memShare) delete(token string) error {
	if m.failing.Load() {
		return errors.New("the bucket does not answer")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byToken, token)
	return nil
}

func (m *memShare) deleteUser(user string) (int, error) {
	if m.failing.Load() {
		return 0, errors.New("the bucket does not answer")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for token, ss := range m.byToken {
		if ss.user == user {
			delete(m.byToken, token)
			n++
		}
	}
	return n, nil
}

// On a cluster, a sign-out that cannot reach the shared sessions does not
// pretend to have worked: it answers 503 and keeps the cookie, and the
// session, which the other nodes still take, stays live here too. Once
// the sessions can be reached, the same sign-out ends it.
func TestSignOutWhileSharedSessionsUnreachable(t *testing.T) {
	ta := startArcade(t, "")
	share := &memShare{byToken: map[string]*session{}}
	ta.a.sessions.share = share
	alice := ta.login("alice")
	share.failing.Store(true)

	resp := ta.logout(alice, alice.Get(csrfHeader))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || len(resp.Cookies()) != 0 {
		t.Errorf("sign-out with the sessions out of reach = %d with %v, want 503 and no cookie change", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	everywhere := func() *http.Response {
		hh := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Cookie": alice.Values("Cookie")}
		return ta.do(http.MethodPost, "/logout/everywhere", hh, strings.NewReader(url.Values{csrfField: {alice.Get(csrfHeader)}}.Encode()))
	}
	resp = everywhere()
	if _ = readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable || len(resp.Cookies()) != 0 {
		t.Errorf("sign-out everywhere with the sessions out of reach = %d with %v, want 503 and no cookie change", resp.StatusCode, resp.Header["Set-Cookie"])
	}
	ta.checkSignedIn("alice", alice)

	share.failing.Store(false)
	resp = everywhere()
	if _ = readBody(t, resp); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out everywhere = %d, want 303", resp.StatusCode)
	}
	ta.checkSignedOut("alice after signing out everywhere", alice)
}

// A sign-in past MaxSessionsPerUser ends the user's oldest session. On a
// cluster whose shared sessions do not take the new one, the sign-in is
// refused (503), but the oldest session is revoked all the same: its
// WebSockets are closed (4011), rather than left open on a session no
// node takes any more.
func TestSignInRefusedStillEndsDroppedSession(t *testing.T) {
	ta := startArcade(t, "")
	share := &memShare{byToken: map[string]*session{}}
	ta.a.sessions.share = share
	ta.a.sessions.perUser = 1
	first := ta.login("alice")
	c := ta.dial(first)
	share.putFailing.Store(true)
	resp := ta.do(http.MethodPost, "/login", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		strings.NewReader(url.Values{"user": {"alice"}}.Encode()))
	if _ = readBody(t, resp); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("sign-in with the sessions out of reach = %d, want 503", resp.StatusCode)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the dropped session's WebSocket is still open")
	}
	var ce *client.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != engine.CloseSignedOut {
		t.Fatalf("the dropped session's WebSocket ended with %v, want close %d", err, engine.CloseSignedOut)
	}
	ta.checkSignedOut("the dropped session", first)
}
