package room_test

import (
	"fmt"

	"github.com/parlorhq/parlor/room"
)

// A direct-message room between two users has the same id whichever of
// them asks, and nobody without the secret can compute it.
func ExampleKeyedID() {
	secret := []byte("secret")
	fromAlice := room.KeyedID(secret, "chat.dm", "alice", "bob")
	fromBob := room.KeyedID(secret, "chat.dm", "bob", "alice")
	fmt.Println(fromAlice)
	fmt.Println(fromAlice == fromBob)
	// The separator trick of the tutorial does not collide here.
	fmt.Println(room.KeyedID(secret, "k", "a_b", "c") == room.KeyedID(secret, "k", "a", "b_c"))
	// Output:
	// 85111c43dba9081e97eeb89a2db0d5d74bda0d816b60bcea16c24378a1a32d61
	// true
	// false
}
