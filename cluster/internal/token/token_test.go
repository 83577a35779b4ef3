package token

import (
	"strings"
	"testing"
)

func TestFor(t *testing.T) {
	hexID := strings.Repeat("ab12", 16)
	tests := []struct {
		in    string
		plain bool
	}{
		{hexID, true},
		{"node-1", true},
		{"a_b", true},
		{"", false},
		{"_abc", false},
		{"a.b", false},
		{"a*", false},
		{"a>", false},
		{"a b", false},
		{"ü", false},
		{strings.Repeat("a", 128), true},
		{strings.Repeat("a", 129), false},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := For(tt.in)
		if (got == tt.in) != tt.plain {
			t.Errorf("For(%q) = %q, plain want %v", tt.in, got, tt.plain)
		}
		if !tt.plain && (len(got) != 65 || got[0] != '_') {
			t.Errorf("For(%q) = %q, want '_' and 64 hex digits", tt.in, got)
		}
		if strings.ContainsAny(got, ". *>") || got == "" {
			t.Errorf("For(%q) = %q is not a subject token", tt.in, got)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("For(%q) and For(%q) are both %q", prev, tt.in, got)
		}
		seen[got] = tt.in
	}
	if For("_abc") == For("abc") {
		t.Error("an id starting with '_' collides with its plain form")
	}
}
