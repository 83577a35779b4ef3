package pgutil

import "testing"

func TestStorable(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"héllo", true},
		{"a\x00b", false},
		{"\xff", false},
	} {
		if got := Storable(c.s); got != c.want {
			t.Errorf("Storable(%q) = %v, want %v", c.s, got, c.want)
		}
	}
	if !AllStorable(nil) || !AllStorable([]string{"a", "b"}) || AllStorable([]string{"a", "\x00"}) {
		t.Fatal("AllStorable disagrees with Storable")
	}
}
