package main

import (
	"testing"
	"time"
)

// TestBuckets: every value falls in the bucket whose bounds hold it, and
// a bucket is at most about 3% wide.
func TestBuckets(t *testing.T) {
	for us := uint64(0); us < 1<<24; us = us*17/16 + 1 {
		b := bucketOf(us)
		lo, hi := bucketLow(b), bucketLow(b+1)
		if us < lo || us >= hi {
			t.Fatalf("%dus in bucket %d = [%d, %d)", us, b, lo, hi)
		}
		if us >= 1<<subBits && float64(hi-lo) > float64(lo)/(1<<subBits)+1 {
			t.Fatalf("bucket %d = [%d, %d) is wider than 1/%d", b, lo, hi, 1<<subBits)
		}
	}
}

// TestQuantile: the quantiles of 1..1000 ms, recorded in two histograms
// and merged, are within the buckets' resolution.
func TestQuantile(t *testing.T) {
	var a, b histogram
	for i := 1; i <= 1000; i++ {
		h := &a
		if i%2 == 0 {
			h = &b
		}
		h.record(int64(i) * int64(time.Millisecond))
	}
	a.merge(&b)
	if a.n != 1000 || a.max != int64(1000*time.Millisecond) {
		t.Fatalf("merged n %d, max %d", a.n, a.max)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.999, 999 * time.Millisecond}} {
		got := a.quantile(tc.q)
		if d := got - tc.want; d < -tc.want/32 || d > tc.want/32 {
			t.Errorf("quantile(%v) = %v, want %v ± 3%%", tc.q, got, tc.want)
		}
	}
	var empty histogram
	if q := empty.quantile(0.5); q != 0 {
		t.Errorf("empty quantile = %v", q)
	}
}
