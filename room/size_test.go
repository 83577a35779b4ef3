package room

import (
	"testing"
	"unsafe"
)

// Every room holds a Room for its life, parked or not: it stays in the
// 768-byte size class.
func TestRoomSize(t *testing.T) {
	if n := unsafe.Sizeof(Room{}); n > 768 {
		t.Fatalf("Room is %d bytes, want at most 768", n)
	}
}
