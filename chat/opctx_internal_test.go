package chat

import (
	"testing"
	"time"
)

// Requests share a deadline context only while it gives each of them its
// whole OpTimeout and at most opDeadlineStep more; later ones get a new
// one. A short OpTimeout gets a context per request.
func TestOpCtxSharedDeadline(t *testing.T) {
	c := New(Config{OpTimeout: time.Second})
	defer c.Close()
	var last time.Time
	fresh := 0
	for end := time.Now().Add(4 * opDeadlineStep); time.Now().Before(end); {
		start := time.Now()
		ctx, cancel := c.opCtx()
		cancel()
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("no deadline")
		}
		// (start is read just before opCtx reads the clock.)
		if dl.Before(start.Add(time.Second)) || dl.After(start.Add(time.Second+opDeadlineStep+time.Millisecond)) {
			t.Fatalf("a request started at %v got the deadline %v: want within [OpTimeout, OpTimeout+%v] of its start", start, dl, opDeadlineStep)
		}
		if ctx.Err() != nil {
			t.Fatal("a shared context was cancelled by a request's end")
		}
		if !dl.Equal(last) {
			fresh++
			last = dl
		}
	}
	if fresh < 2 {
		t.Fatalf("%d contexts over %v: want a new one after each step", fresh, 4*opDeadlineStep)
	}

	short := New(Config{OpTimeout: 100 * time.Millisecond})
	defer short.Close()
	a, cancelA := short.opCtx()
	b, cancelB := short.opCtx()
	defer cancelB()
	cancelA()
	if a.Err() == nil || b.Err() != nil {
		t.Fatalf("short OpTimeout: contexts shared or not cancelled (%v, %v)", a.Err(), b.Err())
	}
}
