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
//	"a" ‖ unix seconds (base 36) ‖ "." ‖ 16 random hex digits ‖ "." ‖ players tag ‖ seats tag
//
// Each tag is the first 16 hex digits (64 bits) of a room.KeyedID under
// the secret, of the fields "t:" ‖ seconds and "n:" ‖ random and then:
// for the players tag, "p:" ‖ each player, under the module's kind ‖
// arrangedDomain; for the seats tag, "s" ‖ seat ‖ ":" ‖ player for each
// seat, under the kind ‖ seatsDomain. The fields' prefixes keep them
// apart (KeyedID sorts them), and the kinds' suffixes keep the tags apart
// from each other and from any room id. The players tag says which
// players the server paired, in any order; the seats tag, in which seats,
// so that a first join that lists them in other seats is refused rather
// than taken for a challenge under the pairing's nonce. A nonce is at
// most 58 bytes, under MaxNonceLen.

// arrangedDomain and seatsDomain are appended to the module's kind in the
// nonces' players and seats tags.
const (
	arrangedDomain = "\x00arranged"
	seatsDomain    = "\x00arranged-seats"
)

// arrangedTagLen is the length of each of a signed nonce's two tags: 64
// bits in hex. Forging one takes about 2^64 tries at the server, each a
// join that the rate limits count.
const arrangedTagLen = 16

// newArrangedNonce returns the nonce of the match the server arranges for
// players at now, and remembers it as arranged: signed with Config.Secret
// when set, else random and remembered only in this module's memory.
func (m *Module) newArrangedNonce(players []string, now time.Time) string {
	var nonce string
	if len(m.cfg.Secret) == 0 {
		nonce = newNonce()
	} else {
		// The stamp has whole seconds: remember the same time, so that
		// this module and any other agree on when the nonce expires.
		now = time.Unix(now.Unix(), 0)
		var b [8]byte
		_, _ = rand.Read(b[:])
		stamp := strconv.FormatInt(now.Unix(), 36)
		random := hex.EncodeToString(b[:])
		nonce = "a" + stamp + "." + random + "." + m.arrangedTags(stamp, random, players)
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

// arrangedTags are the players and seats tags of a signed nonce for the
// players by seat.
func (m *Module) arrangedTags(stamp, random string, players []string) string {
	fields := make([]string, 0, 2+len(players))
	fields = append(fields, "t:"+stamp, "n:"+random)
	for _, p := range players {
		fields = append(fields, "p:"+p)
	}
	tags := room.KeyedID(m.cfg.Secret, m.kind+arrangedDomain, fields...)[:arrangedTagLen]
	fields = fields[:2]
	for i, p := range players {
		fields = append(fields, "s"+strconv.Itoa(i)+":"+p)
	}
	return tags + room.KeyedID(m.cfg.Secret, m.kind+seatsDomain, fields...)[:arrangedTagLen]
}

// signedArranged reports whether nonce is a nonce newArrangedNonce signed
// with this module's secret for these players, in any seats (signed), and
// in these seats (seated), and when it was made. Any other nonce, or any
// without a secret, is not signed.
func (m *Module) signedArranged(nonce string, players []string) (at time.Time, signed, seated bool) {
	if len(m.cfg.Secret) == 0 || !strings.HasPrefix(nonce, "a") {
		return time.Time{}, false, false
	}
	stamp, rest, ok := strings.Cut(nonce[1:], ".")
	if !ok {
		return time.Time{}, false, false
	}
	random, tags, ok := strings.Cut(rest, ".")
	if !ok || len(tags) != 2*arrangedTagLen {
		return time.Time{}, false, false
	}
	secs, err := strconv.ParseInt(stamp, 36, 64)
	if err != nil {
		return time.Time{}, false, false
	}
	want := m.arrangedTags(stamp, random, players)
	if subtle.ConstantTimeCompare([]byte(tags[:arrangedTagLen]), []byte(want[:arrangedTagLen])) != 1 {
		return time.Time{}, false, false
	}
	seated = subtle.ConstantTimeCompare([]byte(tags[arrangedTagLen:]), []byte(want[arrangedTagLen:])) == 1
	return time.Unix(secs, 0), true, seated
}

// checkArranged reports whether the match of players (by seat) with nonce
// was arranged by the server and not longer ago than the start timeout at
// now (DefaultStartTimeout when Config.StartTimeout is not positive):
// remembered here (see arranged.check), or signed with the secret. A
// signed nonce may be up to a minute in the future (another node's clock
// ahead of this one's). misseated is true when it was arranged in that
// time for the same players in other seats: the join must be refused,
// or it would seat the match differently from what its other players
// were told.
//
// A signed nonce is known wherever the secret is, as often as it is
// shown within that time: a match it created is joined as any other
// after its first join, so a second use matters only once the match's
// room is gone with no store to rebuild it from (a match over, declined
// or cancelled); then either player may create it again, as arranged,
// until the time is up.
func (m *Module) checkArranged(nonce string, players []string, now time.Time) (arranged, misseated bool) {
	if ok, mis := m.arranged.check(nonce, players, now); ok || mis {
		return ok, mis
	}
	signed, seated := m.signedWithin(nonce, players, now)
	return signed && seated, signed && !seated
}

// signedWithin reports whether nonce is signed for players (signedArranged:
// signed, and seated as they are) and was made no longer before now than
// the start timeout, nor more than a minute after it.
func (m *Module) signedWithin(nonce string, players []string, now time.Time) (signed, seated bool) {
	at, signed, seated := m.signedArranged(nonce, players)
	if !signed || now.Sub(at) > m.arranged.ttl || at.Sub(now) > time.Minute {
		return false, false
	}
	return true, seated
}

// arrangedRecord reports whether the stored match info was created as a
// match the server arranged: its nonce is signed for its players in their
// seats, and its first join, when the match was created, was in time for
// it (signedWithin at info.Created). Without a secret nothing is.
func (m *Module) arrangedRecord(info MatchInfo) bool {
	signed, seated := m.signedWithin(info.Nonce, info.Players, time.UnixMilli(info.Created))
	return signed && seated
}
