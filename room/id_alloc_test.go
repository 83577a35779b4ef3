//go:build !race

package room_test

import (
	"testing"

	"github.com/parlorhq/parlor/room"
)

// Computing a keyed id reuses its HMAC: the id string is the only
// allocation. (The race detector drops pooled values at random, hence
// the build tag.)
func TestKeyedIDAllocations(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	if n := testing.AllocsPerRun(200, func() { _ = room.KeyedID(secret, "chat.dm", "alice", "bob") }); n > 1 {
		t.Fatalf("KeyedID allocates %v times, want 1 (the id)", n)
	}
}
