package loadgen

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestScheduleSlowSink: when the sink is slower than the schedule, the
// latency measured from each send's due time grows send after send,
// while the time each send itself took stays the same: the queueing shows.
// Each send takes at least 2 ms against 1 ms between due times, so send k
// ends at least (k+1)·2 ms after the start, k ms after it was due.
func TestScheduleSlowSink(t *testing.T) {
	const n = 100
	s := NewSchedule(1000, time.Now())
	p := s.Pacer()
	lat := make([]time.Duration, 0, n)
	for range n {
		due, ok := p.Next(context.Background())
		if !ok {
			t.Fatal("Next ended early")
		}
		time.Sleep(2 * time.Millisecond) // the slow sink
		lat = append(lat, time.Since(due))
	}
	for k, d := range lat {
		if min := time.Duration(k+2) * time.Millisecond; d < min {
			t.Fatalf("send %d: latency from due time %v, want at least %v", k, d, min)
		}
	}
	// Each send takes at least 2 ms while the schedule moves on by 1 ms,
	// so the latency grows by at least 1 ms a send, however slow the
	// machine (a ratio of last to first did not hold when the first
	// sleep alone took 8 ms).
	if grew, want := lat[n-1]-lat[0], time.Duration(n-1)*time.Millisecond; grew < want {
		t.Fatalf("latency grew by %v over %d sends, want at least %v", grew, n, want)
	}
}

// TestScheduleNeverEarly: with a fast sink, sends go out at their due
// times, never before, so the rate is the schedule's.
func TestScheduleNeverEarly(t *testing.T) {
	const n = 20
	start := time.Now()
	s := NewSchedule(200, start) // 5 ms apart
	p := s.Pacer()
	for k := range n {
		due, ok := p.Next(context.Background())
		if !ok {
			t.Fatal("Next ended early")
		}
		if want := start.Add(time.Duration(k) * 5 * time.Millisecond); !due.Equal(want) {
			t.Fatalf("send %d due %v after start, want %v", k, due.Sub(start), want.Sub(start))
		}
		if now := time.Now(); now.Before(due) {
			t.Fatalf("send %d went out %v early", k, due.Sub(now))
		}
	}
	if el := time.Since(start); el < (n-1)*5*time.Millisecond {
		t.Fatalf("%d sends at 200/s took %v", n, el)
	}
}

// TestScheduleShared: senders sharing a schedule take every due time
// exactly once.
func TestScheduleShared(t *testing.T) {
	const senders, each = 8, 50
	start := time.Now().Add(-time.Hour) // all due already: no waiting
	s := NewSchedule(1000, start)
	var mu sync.Mutex
	seen := map[time.Duration]int{}
	var wg sync.WaitGroup
	for range senders {
		wg.Go(func() {
			p := s.Pacer()
			for range each {
				due, ok := p.Next(context.Background())
				if !ok {
					t.Error("Next ended early")
					return
				}
				mu.Lock()
				seen[due.Sub(start)]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if s.Taken() != senders*each {
		t.Fatalf("taken %d", s.Taken())
	}
	for k := range senders * each {
		if c := seen[time.Duration(k)*time.Millisecond]; c != 1 {
			t.Fatalf("due time %d taken %d times", k, c)
		}
	}
}

// TestScheduleStops: Next returns false when ctx ends during the wait or
// before it.
func TestScheduleStops(t *testing.T) {
	s := NewSchedule(0.001, time.Now()) // the second send is due in 1000 s
	p := s.Pacer()
	if _, ok := p.Next(context.Background()); !ok {
		t.Fatal("the first send is due at once")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, ok := p.Next(ctx); ok {
		t.Fatal("Next waited past ctx's end")
	}
	if _, ok := p.Next(ctx); ok {
		t.Fatal("Next with an ended ctx returned ok")
	}
}
