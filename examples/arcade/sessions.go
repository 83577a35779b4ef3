package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"sync"
	"time"
)

// ---- Server-side sessions ----
//
// A session is a random token (32 bytes from crypto/rand) that the
// browser holds in an HttpOnly cookie and the server maps to a user, an
// expiry and a CSRF token. The cookie carries nothing but the token, so a
// session ends for good when the server forgets it: on sign-out, on
// expiry, or when a newer sign-in in the same browser replaces it.

// tokenLen is the length in bytes of session and CSRF tokens.
const tokenLen = 32

// errSessionLimit refuses a sign-in when the store holds MaxSessions live
// sessions.
var errSessionLimit = errors.New("arcade: too many sessions")

// session is one signed-in browser. id names it to the engine
// (Config.Credential), so that signing out closes its WebSockets; unlike
// token, it is no secret.
type session struct {
	token   string
	id      string
	user    string
	csrf    string
	expires time.Time
}

// sessionStore holds the live sessions in memory, by token. Sessions do
// not survive a restart: everyone signs in again.
type sessionStore struct {
	mu      sync.Mutex
	now     func() time.Time
	ttl     time.Duration
	perUser int // the most live sessions of one user; the oldest goes first
	max     int // the most live sessions in all
	byToken map[string]*session
	byUser  map[string][]*session // oldest first
	// share, set on a cluster (clustersessions.go), holds the sessions
	// of every node: writes go through to it and lookups ask it.
	share sessionShare
}

// sessionShare holds sessions for the nodes of a cluster.
type sessionShare interface {
	// put stores ss; get returns the session with this token, or nil.
	put(ss *session) error
	get(token string) (*session, error)
	// delete forgets a token; deleteUser every session of user, and
	// returns how many there were. An error says that a session may
	// still be live for the other nodes.
	delete(token string) error
	deleteUser(user string) (int, error)
}

func newSessionStore(ttl time.Duration, perUser, max int) *sessionStore {
	return &sessionStore{
		now:     time.Now,
		ttl:     ttl,
		perUser: perUser,
		max:     max,
		byToken: make(map[string]*session),
		byUser:  make(map[string][]*session),
	}
}

// create starts a session for user. Past perUser sessions of the user, the
// oldest is revoked and returned in dropped; past max sessions in all,
// after dropping the expired ones, create fails with errSessionLimit.
func (s *sessionStore) create(user string) (ss *session, dropped []*session, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if len(s.byToken) >= s.max {
		s.dropExpired(now)
	}
	if len(s.byToken) >= s.max && len(s.byUser[user]) < s.perUser {
		return nil, nil, errSessionLimit
	}
	for len(s.byUser[user]) >= s.perUser {
		old := s.byUser[user][0]
		s.remove(old)
		dropped = append(dropped, old)
	}
	ss = &session{token: randomToken(), id: randomToken(), user: user, csrf: randomToken(), expires: now.Add(s.ttl)}
	if s.share != nil {
		for _, old := range dropped {
			// Best effort: a dropped session left in the bucket ends
			// at its TTL; the new sign-in does not wait for it.
			_ = s.share.delete(old.token)
		}
		if err := s.share.put(ss); err != nil {
			return nil, dropped, err
		}
	}
	s.byToken[ss.token] = ss
	s.byUser[user] = append(s.byUser[user], ss)
	return ss, dropped, nil
}

// lookup returns the live session with this token.
func (s *sessionStore) lookup(token string) (*session, bool) {
	if s.share != nil {
		return s.lookupShared(token)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.byToken[token]
	if !ok {
		return nil, false
	}
	if !s.now().Before(ss.expires) {
		s.remove(ss)
		return nil, false
	}
	return ss, true
}

// revoke ends the session with this token, if it is live. On a cluster
// an error says that the other nodes may still take it: nothing is
// forgotten then, and the caller tells the user to try again.
func (s *sessionStore) revoke(token string) error {
	if s.share != nil {
		if err := s.share.delete(token); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.byToken[token]; ok {
		s.remove(ss)
	}
	return nil
}

// revokeUser ends every session of user and returns how many there were.
// On a cluster an error says that some may still be live for the other
// nodes, as for revoke.
func (s *sessionStore) revokeUser(user string) (int, error) {
	shared := 0
	if s.share != nil {
		var err error
		if shared, err = s.share.deleteUser(user); err != nil {
			return shared, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.byUser[user]
	for _, ss := range list {
		delete(s.byToken, ss.token)
	}
	delete(s.byUser, user)
	return max(len(list), shared), nil
}

// remove forgets ss. s.mu is held.
func (s *sessionStore) remove(ss *session) {
	delete(s.byToken, ss.token)
	list := slices.DeleteFunc(s.byUser[ss.user], func(o *session) bool { return o == ss })
	if len(list) == 0 {
		delete(s.byUser, ss.user)
	} else {
		s.byUser[ss.user] = list
	}
}

// dropExpired forgets every expired session. s.mu is held.
func (s *sessionStore) dropExpired(now time.Time) {
	for _, ss := range s.byToken {
		if !now.Before(ss.expires) {
			s.remove(ss)
		}
	}
}

// validCSRF reports whether got is the session's CSRF token, comparing in
// constant time.
func (ss *session) validCSRF(got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) == 1
}

// randomToken returns tokenLen random bytes from crypto/rand,
// base64url-encoded. (crypto/rand.Read does not fail: on a broken system
// random source the program crashes rather than go on with weak tokens.)
func randomToken() string {
	b := make([]byte, tokenLen)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
