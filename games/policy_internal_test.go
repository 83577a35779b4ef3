package games

import (
	"fmt"
	"testing"
	"time"
)

// TestArranged: an arranged match is known to its players in the seats it
// gave them, before it expires and until its match is created; the same
// players in other seats are misseated; past maxArranged the oldest is
// forgotten.
func TestArranged(t *testing.T) {
	now := time.Unix(1000, 0)
	a := newArranged(time.Minute)
	a.add("n1", []string{"alice", "bob"}, now)
	if ok, mis := a.check("n1", []string{"alice", "carol"}, now); ok || mis {
		t.Fatal("taken with other players")
	}
	if ok, mis := a.check("n1", []string{"bob", "alice"}, now); ok || !mis {
		t.Fatalf("other seats: taken %v, misseated %v; want misseated", ok, mis)
	}
	if ok, _ := a.check("n1", []string{"alice", "bob"}, now); !ok {
		t.Fatal("not known to its players in their seats")
	}
	if ok, _ := a.check("n1", []string{"alice", "bob"}, now); !ok {
		t.Fatal("forgotten before its match was created")
	}
	a.forget("n1")
	if ok, mis := a.check("n1", []string{"alice", "bob"}, now); ok || mis {
		t.Fatal("known after its match was created")
	}
	a.add("n2", []string{"alice", "bob"}, now)
	if ok, mis := a.check("n2", []string{"alice", "bob"}, now.Add(2*time.Minute)); ok || mis {
		t.Fatal("taken after it expired")
	}
	for i := range maxArranged + 1 {
		a.add(fmt.Sprint("m", i), []string{"x", "y"}, now.Add(time.Duration(i)))
	}
	if len(a.items) > maxArranged {
		t.Fatalf("%d arranged matches remembered, want at most %d", len(a.items), maxArranged)
	}
	first, _ := a.check("m0", []string{"x", "y"}, now)
	last, _ := a.check(fmt.Sprint("m", maxArranged), []string{"x", "y"}, now)
	if first || !last {
		t.Fatal("the oldest is forgotten first, the newest kept")
	}
}
