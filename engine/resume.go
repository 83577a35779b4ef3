package engine

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"

	"go.uber.org/zap"
)

// Resume tokens let a reconnecting client name the connection it replaces.
// A token is "<session id>.<mac>", where mac is a truncated HMAC-SHA256,
// under the engine's secret, of the user id and the session id. It is
// bound to the user: a token presented by another user, or made with
// another secret, does not verify.

const resumeMACBytes = 18

// resumeMACText is the length of a token's mac in base64.
var resumeMACText = base64.RawURLEncoding.EncodedLen(resumeMACBytes)

// resumeToken returns the resume token of session id for user.
func (e *Engine) resumeToken(user, sessionID string) string {
	var mac [resumeMACBytes]byte
	e.resumeMAC(&mac, user, sessionID)
	var text [32]byte
	base64.RawURLEncoding.Encode(text[:], mac[:])
	var b strings.Builder
	b.Grow(len(sessionID) + 1 + resumeMACText)
	b.WriteString(sessionID)
	b.WriteByte('.')
	b.Write(text[:resumeMACText])
	return b.String()
}

// verifyResumeToken returns the session id a token names when the token
// was issued by this engine's secret to user.
func (e *Engine) verifyResumeToken(user, token string) (sessionID string, ok bool) {
	id, macText, found := strings.Cut(token, ".")
	if !found || id == "" || len(macText) != resumeMACText {
		return "", false
	}
	var got, want [resumeMACBytes]byte
	if n, err := base64.RawURLEncoding.Decode(got[:], []byte(macText)); err != nil || n != resumeMACBytes {
		return "", false
	}
	e.resumeMAC(&want, user, id)
	if !hmac.Equal(got[:], want[:]) {
		return "", false
	}
	return id, true
}

// resumeMACer is one HMAC-SHA256 under the engine's secret with its
// scratch space, reused through Engine.macs: hmac.New builds two hash
// states and their buffers (about 1 KiB), which every connect would
// otherwise leave as garbage.
type resumeMACer struct {
	h   hash.Hash
	msg []byte
	sum [sha256.Size]byte
}

// resumeMAC writes the truncated MAC of user and session id to dst.
func (e *Engine) resumeMAC(dst *[resumeMACBytes]byte, user, sessionID string) {
	m, _ := e.macs.Get().(*resumeMACer)
	if m == nil {
		m = &resumeMACer{h: hmac.New(sha256.New, e.secret)}
	}
	m.h.Reset()
	m.msg = append(m.msg[:0], "parlor.resume\x00"...)
	m.msg = append(m.msg, user...)
	m.msg = append(m.msg, 0)
	m.msg = append(m.msg, sessionID...)
	m.h.Write(m.msg)
	copy(dst[:], m.h.Sum(m.sum[:0]))
	if cap(m.msg) <= 256 {
		e.macs.Put(m)
	}
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
