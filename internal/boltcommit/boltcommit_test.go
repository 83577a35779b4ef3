package boltcommit

import (
	"testing"
	"time"
)

// TestWaitLimit: a transaction waits for more writes at most maxDelay,
// and never longer than the last commit took; zero or negative maxDelay
// never waits.
func TestWaitLimit(t *testing.T) {
	ms := time.Millisecond
	for _, c := range []struct{ maxDelay, last, want time.Duration }{
		{2 * ms, 0, 0}, // no commit yet
		{2 * ms, 300 * time.Microsecond, 300 * time.Microsecond}, // a fast disk: the commit's time
		{2 * ms, 70 * ms, 2 * ms},                                // a slow commit: maxDelay
		{0, 70 * ms, 0},                                          // never wait
		{-1, 70 * ms, 0},                                         // never wait
	} {
		if got := waitLimit(c.maxDelay, c.last); got != c.want {
			t.Errorf("waitLimit(%v, %v) = %v, want %v", c.maxDelay, c.last, got, c.want)
		}
	}
}
