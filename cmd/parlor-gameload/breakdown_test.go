package main

import (
	"testing"
	"time"
)

// TestBreakdownWindow: -breakdown records only between the end of
// -warmup and the end of -duration, by when each write happens (the
// moves' latency counts the moves due in that time).
func TestBreakdownWindow(t *testing.T) {
	b := newBreakdown()
	now := time.Now()
	for _, c := range []struct {
		name        string
		from, until time.Time
		want        int64
	}{
		{"during warmup", now.Add(time.Hour), now.Add(2 * time.Hour), 0},
		{"measured", now.Add(-time.Hour), now.Add(time.Hour), 1},
		{"after the end", now.Add(-2 * time.Hour), now.Add(-time.Hour), 1},
	} {
		b.from.Store(c.from.UnixNano())
		b.until.Store(c.until.UnixNano())
		b.answered(time.Millisecond)
		if n := b.answer.Snapshot().Count(); n != c.want {
			t.Fatalf("%s: %d answers recorded in all, want %d", c.name, n, c.want)
		}
	}
}
