package chat

import (
	"testing"
	"time"
)

// TestDailyBytesDay: the counts are per user and per UTC day: they start
// again at 00:00 UTC, a give-back returns bytes, and a negative limit
// counts nothing.
func TestDailyBytesDay(t *testing.T) {
	now := time.Date(2026, 3, 1, 23, 59, 59, 0, time.UTC)
	q := newDailyBytes(10)
	q.now = func() time.Time { return now }
	if err := q.take("a", 10); err != nil {
		t.Fatal(err)
	}
	if err := q.take("a", 1); err != ErrDailyBytes {
		t.Fatalf("past the limit: %v, want ErrDailyBytes", err)
	}
	if err := q.take("b", 10); err != nil {
		t.Fatalf("another user: %v", err)
	}
	q.giveBack("a", 4)
	if err := q.take("a", 4); err != nil {
		t.Fatalf("after a give-back: %v", err)
	}
	if err := q.take("a", 1); err != ErrDailyBytes {
		t.Fatalf("past the limit again: %v, want ErrDailyBytes", err)
	}
	now = now.Add(time.Second) // 00:00:00 UTC
	if err := q.take("a", 10); err != nil {
		t.Fatalf("the next day: %v", err)
	}
	if len(q.used) != 1 {
		t.Fatalf("the next day holds %d users, want 1", len(q.used))
	}
	off := newDailyBytes(-1)
	if err := off.take("a", 1<<30); err != nil || len(off.used) != 0 {
		t.Fatalf("no limit: %v, %d users", err, len(off.used))
	}
}
