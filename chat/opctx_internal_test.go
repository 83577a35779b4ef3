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
	fresh, shared := 0, 0
	// Until three contexts were made (a new one after each step) and one
	// was shared, or 2 s on a machine too busy to run the loop across the
	// steps.
	for end := time.Now().Add(2 * time.Second); (fresh < 3 || shared == 0) && time.Now().Before(end); {
		start := time.Now()
		ctx, cancel := c.opCtx()
		cancel()
		done := time.Now()
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("no deadline")
		}
		// opCtx read the clock between start and done, however long the
		// goroutine waited for a core in between.
		if dl.Before(start.Add(time.Second)) || dl.After(done.Add(time.Second+opDeadlineStep)) {
			t.Fatalf("a request started in [%v, %v] got the deadline %v: want within [OpTimeout, OpTimeout+%v] of its start", start, done, dl, opDeadlineStep)
		}
		if ctx.Err() != nil {
			t.Fatal("a shared context was cancelled by a request's end")
		}
		if dl.Equal(last) {
			shared++
		} else {
			fresh++
			last = dl
		}
	}
	if fresh < 3 || shared == 0 {
		t.Fatalf("%d contexts for %d requests in 2 s: want one shared by the requests of each step of %v", fresh, fresh+shared, opDeadlineStep)
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
