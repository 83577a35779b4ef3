package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"go.uber.org/zap"
)

// Resume tokens let a reconnecting client name the connection it replaces.
// A token is "<session id>.<mac>", where mac is a truncated HMAC-SHA256,
// under the engine's secret, of the user id and the session id. It is
// bound to the user: a token presented by another user, or made with
// another secret, does not verify.

const resumeMACBytes = 18

// resumeToken returns the resume token of session id for user.
func (e *Engine) resumeToken(user, sessionID string) string {
	mac := e.resumeMAC(user, sessionID)
	return sessionID + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// verifyResumeToken returns the session id a token names when the token
// was issued by this engine's secret to user.
func (e *Engine) verifyResumeToken(user, token string) (sessionID string, ok bool) {
	id, macText, found := strings.Cut(token, ".")
	if !found || id == "" {
		return "", false
	}
	mac, err := base64.RawURLEncoding.DecodeString(macText)
	if err != nil || len(mac) != resumeMACBytes {
		return "", false
	}
	if !hmac.Equal(mac, e.resumeMAC(user, id)) {
		return "", false
	}
	return id, true
}

func (e *Engine) resumeMAC(user, sessionID string) []byte {
	h := hmac.New(sha256.New, e.secret)
	h.Write([]byte("parlor.resume\x00"))
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(sessionID))
	return h.Sum(nil)[:resumeMACBytes]
}

// takeOver closes the still-open connection that a verified resume token
// names, so that it soon holds no connection slot and no room membership,
// and receives nothing more, while its replacement resumes. The old connection is closed with
// CloseReplaced.
func (e *Engine) takeOver(user, sessionID string, by *session) {
	old, ok := e.sessions.load(sessionID)
	if !ok && e.cluster != nil {
		// It may be on another node: the node that has it closes it.
		e.publishTakeover(user, sessionID)
		return
	}
	if !ok || old == by || old.user != user {
		return
	}
	old.log.Info("connection replaced by a resuming one", zap.String("by", by.id))
	// The old connection's own read goroutine notices the closed socket
	// and leaves its rooms, serialized with any frame it is handling.
	old.abort(CloseReplaced, "resumed by a newer connection")
}
