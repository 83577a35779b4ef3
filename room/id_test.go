package room_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"sort"
	"testing"

	"github.com/parlorhq/parlor/room"
)

var idSecret = []byte("test secret")

// referenceID computes a keyed id independently of the package, from the
// documented encoding: uvarint-length-prefixed kind, uvarint member count,
// then each sorted member uvarint-length-prefixed, all under HMAC-SHA256.
func referenceID(secret []byte, kind string, members ...string) string {
	sorted := append([]string(nil), members...)
	sort.Strings(sorted)
	var msg []byte
	msg = binary.AppendUvarint(msg, uint64(len(kind)))
	msg = append(msg, kind...)
	msg = binary.AppendUvarint(msg, uint64(len(sorted)))
	for _, m := range sorted {
		msg = binary.AppendUvarint(msg, uint64(len(m)))
		msg = append(msg, m...)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(msg)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestKeyedIDOrderIndependent(t *testing.T) {
	a := room.KeyedID(idSecret, "k", "a", "b")
	b := room.KeyedID(idSecret, "k", "b", "a")
	if a != b {
		t.Fatalf("KeyedID depends on member order: %s != %s", a, b)
	}
	three := [][]string{{"x", "y", "z"}, {"z", "y", "x"}, {"y", "z", "x"}}
	want := room.KeyedID(idSecret, "k", three[0]...)
	for _, ms := range three[1:] {
		if got := room.KeyedID(idSecret, "k", ms...); got != want {
			t.Errorf("KeyedID(%v) = %s, want %s", ms, got, want)
		}
	}
}

func TestKeyedIDDoesNotMutateMembers(t *testing.T) {
	members := []string{"b", "a"}
	room.KeyedID(idSecret, "k", members...)
	if members[0] != "b" || members[1] != "a" {
		t.Fatalf("KeyedID sorted the caller's slice: %v", members)
	}
}

func TestKeyedIDDistinct(t *testing.T) {
	base := room.KeyedID(idSecret, "k", "a_b", "c")
	cases := []struct {
		name string
		id   string
	}{
		{"underscore ambiguity", room.KeyedID(idSecret, "k", "a", "b_c")},
		// ("ab","c") and ("a","bc") concatenate to the same bytes: only the
		// length prefixes tell them apart.
		{"ab then c", room.KeyedID(idSecret, "k", "ab", "c")},
		{"a then bc", room.KeyedID(idSecret, "k", "a", "bc")},
		{"joined member", room.KeyedID(idSecret, "k", "a_b_c")},
		{"other secret", room.KeyedID([]byte("other secret"), "k", "a_b", "c")},
		{"empty secret", room.KeyedID(nil, "k", "a_b", "c")},
		{"other kind", room.KeyedID(idSecret, "k2", "a_b", "c")},
		{"kind absorbs member", room.KeyedID(idSecret, "ka_b", "c")},
		{"extra member", room.KeyedID(idSecret, "k", "a_b", "c", "")},
	}
	seen := map[string]string{base: "base"}
	for _, c := range cases {
		if prev, dup := seen[c.id]; dup {
			t.Errorf("%s: id equals the id of %s: %s", c.name, prev, c.id)
		}
		seen[c.id] = c.name
	}
}

func TestKeyedIDDuplicatesKept(t *testing.T) {
	if room.KeyedID(idSecret, "k", "a", "a") == room.KeyedID(idSecret, "k", "a") {
		t.Fatal(`["a","a"] and ["a"] give the same id`)
	}
	if room.KeyedID(idSecret, "k") == room.KeyedID(idSecret, "k", "") {
		t.Fatal(`[] and [""] give the same id`)
	}
}

func TestKeyedIDFormat(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, ms := range [][]string{nil, {"a"}, {"alice", "bob"}, {"ü", "日本", ""}} {
		if id := room.KeyedID(idSecret, "chat.dm", ms...); !hex64.MatchString(id) {
			t.Errorf("KeyedID(%q) = %q, want 64 lowercase hex chars", ms, id)
		}
	}
}

func TestKeyedIDKnownAnswer(t *testing.T) {
	long := string(make([]byte, 300)) // a 2-byte uvarint length
	cases := []struct {
		kind    string
		members []string
	}{
		{"chat.dm", []string{"bob", "alice"}},
		{"k", nil},
		{"games.chess", []string{"a", "b_c"}},
		{"k", []string{"a", "a"}},
		{"", []string{long, "x"}},
	}
	for _, c := range cases {
		want := referenceID(idSecret, c.kind, c.members...)
		if got := room.KeyedID(idSecret, c.kind, c.members...); got != want {
			t.Errorf("KeyedID(%q, %q) = %s, want %s", c.kind, c.members, got, want)
		}
	}
	// Pin one value literally, from hand-written bytes, so a change to both
	// the package and the reference above cannot pass unnoticed:
	// 7 "chat.dm" 2 5 "alice" 3 "bob".
	msg := []byte("\x07chat.dm\x02\x05alice\x03bob")
	mac := hmac.New(sha256.New, []byte("secret"))
	mac.Write(msg)
	const pinned = "85111c43dba9081e97eeb89a2db0d5d74bda0d816b60bcea16c24378a1a32d61"
	if hex.EncodeToString(mac.Sum(nil)) != pinned {
		t.Fatal("test bug: pinned value does not match its bytes")
	}
	if got := room.KeyedID([]byte("secret"), "chat.dm", "bob", "alice"); got != pinned {
		t.Errorf("KeyedID(secret, chat.dm, bob, alice) = %s, want %s", got, pinned)
	}
}

func TestResolveRequestKeyedID(t *testing.T) {
	req := room.NewResolveRequest("chat.dm", idSecret, "alice", nil)
	if got, want := req.KeyedID("bob", "alice"), room.KeyedID(idSecret, "chat.dm", "alice", "bob"); got != want {
		t.Fatalf("ResolveRequest.KeyedID = %s, want %s", got, want)
	}
}

// A MAC kept for one secret is never used for another.
func TestKeyedIDSecretSwitch(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	other := []byte("another secret")
	want := room.KeyedID(secret, "chat.dm", "bob", "alice")
	for range 50 {
		if got := room.KeyedID(other, "chat.dm", "bob", "alice"); got == want {
			t.Fatal("two secrets give one id")
		}
		if got := room.KeyedID(secret, "chat.dm", "alice", "bob"); got != want {
			t.Fatalf("id after a MAC under another secret = %s, want %s", got, want)
		}
	}
}
