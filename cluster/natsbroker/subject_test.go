package natsbroker

import (
	"strings"
	"testing"
)

func TestSubject(t *testing.T) {
	b := New(nil, Config{})
	hexID := strings.Repeat("0f", 32)
	tests := map[string]string{
		hexID:   "parlor.room." + hexID,
		"a.b":   "parlor.room._",
		"room>": "parlor.room._",
	}
	for topic, want := range tests {
		got := b.Subject(topic)
		if !strings.HasPrefix(got, want) || strings.Count(got, ".") != 2 {
			t.Errorf("Subject(%q) = %q, want %q… with three tokens", topic, got, want)
		}
	}
	if got := New(nil, Config{SubjectPrefix: "x.rooms"}).Subject("r1"); got != "x.rooms.r1" {
		t.Errorf("custom prefix: %q", got)
	}
}
