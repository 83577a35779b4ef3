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

// outcome is checkArranged as one word: "arranged", "misseated" or "no".
func outcome(m *Module, nonce string, players []string, now time.Time) string {
	switch arranged, misseated := m.checkArranged(nonce, players, now); {
	case arranged && misseated:
		return "both"
	case arranged:
		return "arranged"
	case misseated:
		return "misseated"
	}
	return "no"
}

// TestArrangedNonce: with a secret, an arranged match's nonce is signed
// for its players in their seats and its kind, so a module that never saw
// it (another node, or the same after a restart) takes it as arranged, up
// to the start timeout; the same players in other seats are misseated; a
// changed nonce, other players, another kind or another secret are not
// arranged. Without a secret, only the module that made it knows it.
func TestArrangedNonce(t *testing.T) {
	secret := []byte("s3cret")
	now := time.Unix(1_700_000_000, 0)
	players := []string{"alice", "bob"}
	swapped := []string{"bob", "alice"}
	a := testModule("games.tictactoe", secret)
	nonce := a.newArrangedNonce(players, now)
	if !regexp.MustCompile(`^a[0-9a-z]+\.[0-9a-f]{16}\.[0-9a-f]{32}$`).MatchString(nonce) || len(nonce) > MaxNonceLen {
		t.Fatalf("signed nonce %q (%d bytes, at most %d)", nonce, len(nonce), MaxNonceLen)
	}
	if got := outcome(a, nonce, swapped, now); got != "misseated" {
		t.Fatalf("the module that arranged it, other seats: %s", got)
	}
	if got := outcome(a, nonce, players, now); got != "arranged" {
		t.Fatalf("the module that arranged it: %s", got)
	}

	b := testModule("games.tictactoe", secret) // another node, or a restart
	if at, signed, seated := b.signedArranged(nonce, players); !signed || !seated || !at.Equal(now) {
		t.Fatalf("signed %v, seated %v, at %v; want both at %v", signed, seated, at, now)
	}
	if _, signed, seated := b.signedArranged(nonce, swapped); !signed || seated {
		t.Fatalf("other seats: signed %v, seated %v; want signed, not seated", signed, seated)
	}
	for _, c := range []struct {
		name    string
		nonce   string
		players []string
		at      time.Time
		want    string
	}{
		{"other seats", nonce, swapped, now, "misseated"},
		{"other seats, past the start timeout", nonce, swapped, now.Add(time.Minute + time.Second), "no"},
		{"other players", nonce, []string{"alice", "carol"}, now, "no"},
		{"one player", nonce, []string{"alice"}, now, "no"},
		{"past the start timeout", nonce, players, now.Add(time.Minute + time.Second), "no"},
		{"more than a minute ahead", nonce, players, now.Add(-time.Minute - time.Second), "no"},
		{"another stamp", "a" + nonce[2:], players, now, "no"},
		{"another random part", flipHex(nonce, len(nonce)-34), players, now, "no"},
		{"another players tag", flipHex(nonce, len(nonce)-17), players, now, "no"},
		{"another seats tag", flipHex(nonce, len(nonce)-1), players, now, "misseated"},
		{"no seats tag", nonce[:len(nonce)-16], players, now, "no"},
		{"a plain nonce", newNonce(), players, now, "no"},
		{"within the start timeout", nonce, players, now.Add(time.Minute), "arranged"},
		{"a minute ahead", nonce, players, now.Add(-time.Minute), "arranged"},
	} {
		if got := outcome(b, c.nonce, c.players, c.at); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	for _, other := range []*Module{testModule("games.chess", secret), testModule("games.tictactoe", []byte("other")), testModule("games.tictactoe", nil)} {
		if got := outcome(other, nonce, players, now); got != "no" {
			t.Errorf("kind %s, secret %q: %s", other.kind, other.cfg.Secret, got)
		}
	}

	// A stored match knows it was arranged when its first join, which
	// created it, was in time, with the seats the server gave.
	info := MatchInfo{Nonce: nonce, Players: players, Created: now.Add(30 * time.Second).UnixMilli()}
	if !b.arrangedRecord(info) {
		t.Fatal("a match created in time is not known as arranged")
	}
	info.Created = now.Add(time.Minute + time.Second).UnixMilli()
	if b.arrangedRecord(info) {
		t.Fatal("a match created past the start timeout is known as arranged")
	}
	info.Created, info.Players = now.UnixMilli(), swapped
	if b.arrangedRecord(info) {
		t.Fatal("a match seated otherwise is known as arranged")
	}

	// Without a secret the nonce is random, and only its maker knows it.
	c := testModule("games.tictactoe", nil)
	plain := c.newArrangedNonce(players, now)
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(plain) {
		t.Fatalf("nonce without a secret: %q", plain)
	}
	if got := outcome(testModule("games.tictactoe", nil), plain, players, now); got != "no" {
		t.Fatalf("another module without a secret: %s", got)
	}
	if got := outcome(c, plain, swapped, now); got != "misseated" {
		t.Fatalf("its maker, other seats: %s", got)
	}
	if got := outcome(c, plain, players, now); got != "arranged" {
		t.Fatalf("its maker: %s", got)
	}
}

// flipHex returns s with its hex digit at i replaced by the next one.
func flipHex(s string, i int) string {
	const digits = "0123456789abcdef"
	d := strings.IndexByte(digits, s[i])
	return s[:i] + string(digits[(d+1)%16]) + s[i+1:]
}
