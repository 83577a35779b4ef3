package main

import (
	"testing"
	"time"
)

// TestStamp: a stamp is 19 digits and '|', and reads back as the time it
// was made of; text without one is refused.
func TestStamp(t *testing.T) {
	for _, v := range []int64{0, 7, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixNano(), 1<<63 - 1} {
		b := appendStamp([]byte("prefix"), v)
		if len(b) != len("prefix")+stampLen {
			t.Fatalf("stamp of %d is %q", v, b)
		}
		got, ok := parseStamp(string(b[len("prefix"):]) + "xxxx")
		if !ok || got != v {
			t.Errorf("stamp of %d reads back as %d, %v", v, got, ok)
		}
	}
	for _, text := range []string{"", "123", "0000000000000000001x", "00000000000000000a1|"} {
		if _, ok := parseStamp(text); ok {
			t.Errorf("%q read as a stamp", text)
		}
	}
}
