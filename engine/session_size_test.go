package engine

import (
	"testing"
	"unsafe"
)

// Every connection holds one session for its whole life, busy or idle:
// it stays in the 416-byte size class.
func TestSessionSize(t *testing.T) {
	if n := unsafe.Sizeof(session{}); n > 416 {
		t.Fatalf("session is %d bytes, want at most 416", n)
	}
}
