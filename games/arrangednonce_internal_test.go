package games

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// testModule is a module of kind with secret, as far as the arranged
// matches need one.
func testModule(kind string, secret []byte) *Module {
	return &Module{kind: kind, cfg: Config{Secret: secret}, arranged: newArranged(time.Minute)}
}

// TestArrangedNonce: with a secret, an arranged match's nonce is signed
// for its players and kind, so a module that never saw it (another node,
// or the same after a restart) takes it as arranged, up to the start
// timeout; a changed nonce, other players, another kind or another
// secret are refused. Without a secret, only the module that made it
// knows it.
func TestArrangedNonce(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_700_000_000, 0)
	players := []string{"alice", "bob"}
	a := testModule("games.tictactoe", secret)
	nonce := a.newArrangedNonce(players, now)
	if !regexp.MustCompile(`^a[0-9a-z]+\.[0-9a-f]{16}\.[0-9a-f]{32}$`).MatchString(nonce) || len(nonce) > MaxNonceLen {
		t.Fatalf("signed nonce %q (%d bytes, at most %d)", nonce, len(nonce), MaxNonceLen)
	}
	if !a.takeArranged(nonce, players, now) {
		t.Fatal("the module that arranged the match does not take it")
	}

	b := testModule("games.tictactoe", secret) // another node, or a restart
	if at, ok := b.signedArranged(nonce, []string{"bob", "alice"}); !ok || !at.Equal(now) {
		t.Fatalf("signed: %v at %v, want true at %v", ok, at, now)
	}
	for _, c := range []struct {
		name    string
		nonce   string
		players []string
		at      time.Time
	}{
		{"other players", nonce, []string{"alice", "carol"}, now},
		{"one player", nonce, []string{"alice"}, now},
		{"past the start timeout", nonce, players, now.Add(time.Minute + time.Second)},
		{"more than a minute ahead", nonce, players, now.Add(-time.Minute - time.Second)},
		{"another stamp", "a" + nonce[2:], players, now},
		{"another random part", flipHex(nonce, len(nonce)-34), players, now},
		{"another tag", flipHex(nonce, len(nonce)-1), players, now},
		{"no tag", nonce[:len(nonce)-33], players, now},
		{"a plain nonce", newNonce(), players, now},
	} {
		if b.takeArranged(c.nonce, c.players, c.at) {
			t.Errorf("%s: taken as arranged", c.name)
		}
	}
	if !b.takeArranged(nonce, players, now.Add(time.Minute)) || !b.takeArranged(nonce, players, now.Add(-time.Minute)) {
		t.Fatal("refused within the start timeout, or a minute ahead")
	}
	// A stored match knows it was arranged when its first join, which
	// created it, was in time.
	info := MatchInfo{Nonce: nonce, Players: players, Created: now.Add(30 * time.Second).UnixMilli()}
	if !b.arrangedRecord(info) {
		t.Fatal("a match created in time is not known as arranged")
	}
	info.Created = now.Add(time.Minute + time.Second).UnixMilli()
	if b.arrangedRecord(info) {
		t.Fatal("a match created past the start timeout is known as arranged")
	}
	for _, other := range []*Module{testModule("games.chess", secret), testModule("games.tictactoe", []byte("other")), testModule("games.tictactoe", nil)} {
		if other.takeArranged(nonce, players, now) {
			t.Errorf("kind %s, secret %q: taken as arranged", other.kind, other.cfg.Secret)
		}
	}

	// Without a secret the nonce is random, and only its maker knows it.
	c := testModule("games.tictactoe", nil)
	plain := c.newArrangedNonce(players, now)
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(plain) {
		t.Fatalf("nonce without a secret: %q", plain)
	}
	if testModule("games.tictactoe", nil).takeArranged(plain, players, now) || !c.takeArranged(plain, players, now) {
		t.Fatal("a random nonce is known to its maker only")
	}
}

// flipHex returns s with its hex digit at i replaced by the next one.
func flipHex(s string, i int) string {
	const digits = "0123456789abcdef"
	d := strings.IndexByte(digits, s[i])
	return s[:i] + string(digits[(d+1)%16]) + s[i+1:]
}
