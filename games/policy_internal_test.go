package games

import (
	"fmt"
	"testing"
	"time"
)

// TestArranged: an arranged match is taken once, by its players in any
// order, before it expires; past maxArranged the oldest is forgotten.
func TestArranged(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newArranged(time.Minute)
	a.add("n1", []string{"alice", "bob"}, now)
	if a.take("n1", []string{"alice", "carol"}, now) {
		t.Fatal("taken with other players")
	}
	if !a.take("n1", []string{"bob", "alice"}, now) || a.take("n1", []string{"alice", "bob"}, now) {
		t.Fatal("an arranged match is taken once, by its players in any order")
	}
	a.add("n2", []string{"alice", "bob"}, now)
	if a.take("n2", []string{"alice", "bob"}, now.Add(2*time.Minute)) {
		t.Fatal("taken after it expired")
	}
	for i := range maxArranged + 1 {
		a.add(fmt.Sprint("m", i), []string{"x", "y"}, now.Add(time.Duration(i)))
	}
	if len(a.items) > maxArranged {
		t.Fatalf("%d arranged matches remembered, want at most %d", len(a.items), maxArranged)
	}
	if a.take("m0", []string{"x", "y"}, now) || !a.take(fmt.Sprint("m", maxArranged), []string{"x", "y"}, now) {
		t.Fatal("the oldest is forgotten first, the newest kept")
	}
}
