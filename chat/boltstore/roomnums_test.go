package boltstore

import (
	"fmt"
	"testing"
)

// TestRoomNumsBound: the cache never holds more than maxRoomNums rooms,
// and what it answers is what was put.
func TestRoomNumsBound(t *testing.T) {
	var r roomNums
	r.put("unnumbered", 0)
	if r.get("unnumbered") != 0 {
		t.Fatal("a room without a number was cached")
	}
	for i := range maxRoomNums + 10 {
		r.put(fmt.Sprint("room", i), uint64(i+1))
		if len(r.nums) > maxRoomNums {
			t.Fatalf("%d rooms cached, at most %d", len(r.nums), maxRoomNums)
		}
	}
	last := maxRoomNums + 9
	if got := r.get(fmt.Sprint("room", last)); got != uint64(last+1) {
		t.Fatalf("room%d: %d", last, got)
	}
	if got := r.get("room0"); got != 0 {
		t.Fatalf("room0 outlived the reset: %d", got)
	}
}
