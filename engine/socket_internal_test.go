package engine

import "testing"

// The session slot keeps one key, as gws.SessionStorage expects of a
// store: what is stored can be loaded, ranged over and deleted.
func TestSessionSlot(t *testing.T) {
	s := newSessionSlot()
	if _, ok := s.Load(sessionKey); ok || s.Len() != 0 {
		t.Fatal("a new slot holds a value")
	}
	s.Store(sessionKey, 42)
	if v, ok := s.Load(sessionKey); !ok || v != 42 || s.Len() != 1 {
		t.Fatalf("Load = %v %v, Len %d", v, ok, s.Len())
	}
	if _, ok := s.Load("other"); ok {
		t.Fatal("Load of another key found a value")
	}
	n := 0
	s.Range(func(k string, v any) bool { n++; return k == sessionKey && v == 42 })
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
