package games_test

import (
	"testing"

	"github.com/parlorhq/parlor/games"
)

func TestRoomID(t *testing.T) {
	secret := []byte("s")
	const kind = "games.tictactoe"
	if games.RoomID(secret, kind, "n1", "alice", "bob") != games.RoomID(secret, kind, "n1", "bob", "alice") {
		t.Fatal("the id depends on the order of players")
	}
	distinct := []string{
		games.RoomID(secret, kind, "n1", "alice", "bob"),
		games.RoomID(secret, kind, "n2", "alice", "bob"),
		games.RoomID(secret, "games.chess", "n1", "alice", "bob"),
		games.RoomID([]byte("other"), kind, "n1", "alice", "bob"),
		// A user id that looks like a nonce cannot trade places with one.
		games.RoomID(secret, kind, "y", "n:abc", "x"),
		games.RoomID(secret, kind, "abc", "n:y", "x"),
		games.RoomID(secret, kind, "b", "a", "p:b"),
	}
	seen := map[string]int{}
	for i, id := range distinct {
		if j, dup := seen[id]; dup {
			t.Fatalf("ids %d and %d collide", j, i)
		}
		seen[id] = i
	}
}
