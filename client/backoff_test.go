package client

import (
	"testing"
	"time"
)

func TestBackoffDefaults(t *testing.T) {
	p := ReconnectPolicy{}.withDefaults()
	if p.MinDelay != 250*time.Millisecond || p.MaxDelay != 10*time.Second || p.Disabled || p.MaxAttempts != 0 {
		t.Fatalf("defaults %+v", p)
	}
	// MaxDelay below MinDelay is raised to it.
	if p := (ReconnectPolicy{MinDelay: time.Second, MaxDelay: time.Millisecond}).withDefaults(); p.MaxDelay != time.Second {
		t.Fatalf("MaxDelay %v, want 1s", p.MaxDelay)
	}
}

func TestBackoffCeiling(t *testing.T) {
	p := ReconnectPolicy{}.withDefaults()
	want := []time.Duration{
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second,
		4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second,
	}
	for i, w := range want {
		if got := p.ceiling(i + 1); got != w {
			t.Errorf("ceiling(%d) = %v, want %v", i+1, got, w)
		}
	}
	// Huge attempt numbers and a cap near the largest Duration do not
	// overflow.
	if got := p.ceiling(1 << 20); got != 10*time.Second {
		t.Errorf("ceiling(2^20) = %v", got)
	}
	big := ReconnectPolicy{MinDelay: time.Second, MaxDelay: time.Duration(1<<63 - 1)}
	for n := 1; n < 80; n++ {
		if got := big.ceiling(n); got < time.Second || got > big.MaxDelay {
			t.Fatalf("ceiling(%d) = %v overflowed", n, got)
		}
	}
}

// TestBackoffJitterBounds checks full jitter: the delay of attempt n is in
// [0, ceiling(n)), reaching both ends of the range for the extreme draws
// of the random source, and scaling linearly in between.
func TestBackoffJitterBounds(t *testing.T) {
	p := ReconnectPolicy{MinDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	almostOne := 1 - 1.0/(1<<53)
	for n := 1; n <= 8; n++ {
		ceil := p.ceiling(n)
		if d := p.delay(n, func() float64 { return 0 }); d != 0 {
			t.Errorf("attempt %d, rand 0: %v, want 0", n, d)
		}
		if d := p.delay(n, func() float64 { return almostOne }); d >= ceil || d < ceil-time.Microsecond {
			t.Errorf("attempt %d, rand→1: %v, want just under %v", n, d, ceil)
		}
		if d := p.delay(n, func() float64 { return 0.5 }); d != ceil/2 {
			t.Errorf("attempt %d, rand 0.5: %v, want %v", n, d, ceil/2)
		}
		// A source out of range must not push the delay past the ceiling.
		for _, bad := range []float64{1, 2, -1} {
			if d := p.delay(n, func() float64 { return bad }); d < 0 || d >= ceil {
				t.Errorf("attempt %d, rand %v: %v out of [0, %v)", n, bad, d, ceil)
			}
		}
	}
}

// TestBackoffJitterSpread draws many delays from the real source: all in
// range, and spread over it rather than bunched at one end.
func TestBackoffJitterSpread(t *testing.T) {
	p := ReconnectPolicy{}.withDefaults()
	const n = 2000
	ceil := p.ceiling(3)
	var low, high int
	for range n {
		d := p.delay(3, randFloat)
		if d < 0 || d >= ceil {
			t.Fatalf("delay %v out of [0, %v)", d, ceil)
		}
		if d < ceil/4 {
			low++
		}
		if d >= ceil*3/4 {
			high++
		}
	}
	// Each quarter expects n/4 = 500 draws; 300 is far outside chance.
	if low < 300 || high < 300 {
		t.Fatalf("draws in the lowest quarter %d, highest %d, of %d: not uniform", low, high, n)
	}
}
