package games

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/parlorhq/parlor/room"
)

// The nonce of a match the server arranges (a quick-match pairing, a
// rematch) says so itself when Config.Secret is set: it is signed with the
// secret, so that the match's first join is known as arranged on any
// node that shares the secret and after a restart, where the memory of
// what was arranged (arranged, policy.go) is gone. Its form is
//
//	"a" ‖ unix seconds (base 36) ‖ "." ‖ 16 random hex digits ‖ "." ‖ tag
//
// where tag is the first 32 hex digits of room.KeyedID(secret, kind ‖
// arrangedDomain, "t:" ‖ seconds, "n:" ‖ random, "p:" ‖ each player). The
// roles' prefixes keep the fields apart (KeyedID sorts them), and the
// kind's suffix keeps the tag apart from any room id. It is at most 58
// bytes, under MaxNonceLen.

// arrangedDomain is appended to the module's kind in the nonces' tags.
const arrangedDomain = "\x00arranged"

// arrangedTagLen is the length of a signed nonce's tag: 128 bits in hex.
const arrangedTagLen = 32

// newArrangedNonce returns the nonce of the match the server arranges for
// players at now, and remembers it as arranged: signed with Config.Secret
// when set, else random and remembered only in this module's memory.
func (m *Module) newArrangedNonce(players []string, now time.Time) string {
	var nonce string
	if len(m.cfg.Secret) == 0 {
		nonce = newNonce()
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		stamp := strconv.FormatInt(now.Unix(), 36)
		random := hex.EncodeToString(b[:])
		nonce = "a" + stamp + "." + random + "." + m.arrangedTag(stamp, random, players)
	}
	m.arranged.add(nonce, players, now)
	return nonce
}

// newNonce returns a random nonce for a match the server arranges without
// a secret: 24 hex digits.
func newNonce() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// arrangedTag is the tag of a signed nonce.
func (m *Module) arrangedTag(stamp, random string, players []string) string {
	fields := make([]string, 0, 2+len(players))
	fields = append(fields, "t:"+stamp, "n:"+random)
	for _, p := range players {
		fields = append(fields, "p:"+p)
	}
	return room.KeyedID(m.cfg.Secret, m.kind+arrangedDomain, fields...)[:arrangedTagLen]
}

// signedArranged reports whether nonce is a nonce newArrangedNonce signed
// with this module's secret for players (in any order), and when it was
// made. Any other nonce, or none signed without a secret, is false.
func (m *Module) signedArranged(nonce string, players []string) (time.Time, bool) {
	if len(m.cfg.Secret) == 0 || !strings.HasPrefix(nonce, "a") {
		return time.Time{}, false
	}
	stamp, rest, ok := strings.Cut(nonce[1:], ".")
	if !ok {
		return time.Time{}, false
	}
	random, tag, ok := strings.Cut(rest, ".")
	if !ok || len(tag) != arrangedTagLen {
		return time.Time{}, false
	}
	secs, err := strconv.ParseInt(stamp, 36, 64)
	if err != nil {
		return time.Time{}, false
	}
	want := m.arrangedTag(stamp, random, players)
	if subtle.ConstantTimeCompare([]byte(tag), []byte(want)) != 1 {
		return time.Time{}, false
	}
	return time.Unix(secs, 0), true
}

// takeArranged reports whether the match of players with nonce was
// arranged by the server and not longer ago than the start timeout at
// now (DefaultStartTimeout when Config.StartTimeout is not positive):
// remembered here (and forgotten now), or signed with the secret. A
// signed nonce may be up to a minute in the future (another node's clock
// ahead of this one's). It is known wherever the secret is, as often as
// it is shown within that time: a match it created is joined as any other
// after its first join, so a second use matters only once the match's
// room is gone with no store to rebuild it from (a match over, declined
// or cancelled); then either player may create it again, as arranged,
// until the time is up.
func (m *Module) takeArranged(nonce string, players []string, now time.Time) bool {
	return m.arranged.take(nonce, players, now) || m.signedWithin(nonce, players, now)
}

// signedWithin reports whether nonce is signed for players (signedArranged)
// and was made no longer before now than the start timeout, nor more than
// a minute after it.
func (m *Module) signedWithin(nonce string, players []string, now time.Time) bool {
	at, ok := m.signedArranged(nonce, players)
	return ok && now.Sub(at) <= m.arranged.ttl && at.Sub(now) <= time.Minute
}

// arrangedRecord reports whether the stored match info was created as a
// match the server arranged: its nonce is signed for its players, and
// its first join, when the match was created, was in time for it
// (signedWithin at info.Created). Without a secret nothing is.
func (m *Module) arrangedRecord(info MatchInfo) bool {
	return m.signedWithin(info.Nonce, info.Players, time.UnixMilli(info.Created))
}
