package engine

import "testing"

// The session slot keeps the *session stored under sessionKey, as
// gws.SessionStorage expects of a store: what is stored can be loaded,
// ranged over and deleted. Other keys and types are not kept.
func TestSessionSlot(t *testing.T) {
	s := newSessionSlot()
	if _, ok := s.Load(sessionKey); ok || s.Len() != 0 {
		t.Fatal("a new slot holds a value")
	}
	s.Store(sessionKey, 42)
	s.Store("other", &session{})
	if _, ok := s.Load(sessionKey); ok || s.Len() != 0 {
		t.Fatal("the slot kept a value that is not a *session under sessionKey")
	}
	sess := &session{id: "a"}
	s.Store(sessionKey, sess)
	if v, ok := s.Load(sessionKey); !ok || v != sess || s.Len() != 1 {
		t.Fatalf("Load = %v %v, Len %d", v, ok, s.Len())
	}
	if _, ok := s.Load("other"); ok {
		t.Fatal("Load of another key found a value")
	}
	n := 0
	s.Range(func(k string, v any) bool { n++; return k == sessionKey && v == sess })
	if n != 1 {
		t.Fatalf("Range visited %d values, want 1", n)
	}
	s.Delete("other")
	if s.Len() != 1 {
		t.Fatal("Delete of another key removed the value")
	}
	s.Delete(sessionKey)
	if _, ok := s.Load(sessionKey); ok || s.Len() != 0 {
		t.Fatal("Delete left the value")
	}
}
