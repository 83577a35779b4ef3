package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

// samples returns n samples a second apart with the heap growing by
// growth MiB a sample, and everything else flat.
func samples(n int, growth float64) []sample {
	ss := make([]sample, n)
	for i := range ss {
		ss[i] = sample{
			at:         time.Duration(i+1) * time.Second,
			heap:       uint64((20 + growth*float64(i)) * (1 << 20)),
			rssAnon:    40 << 20,
			goroutines: 1000,
			fds:        500,
		}
	}
	return ss
}

func TestVerdict(t *testing.T) {
	cfg := config{warmup: 3 * time.Second, tolerance: 0.10, clients: 500}
	for _, tc := range []struct {
		name string
		ss   []sample
		ok   bool
	}{
		{"flat", samples(12, 0), true},
		{"within slack", samples(12, 0.2), true},
		{"growing heap", samples(12, 1), false},
		{"too few after warm-up", samples(4, 0), false},
	} {
		var out strings.Builder
		if got := verdict(&out, cfg, tc.ss); got != tc.ok {
			t.Errorf("%s: verdict = %v, want %v\n%s", tc.name, got, tc.ok, out.String())
		}
	}
	// Samples in the warm-up are not judged: a jump in them is no growth.
	ss := samples(12, 0)
	ss[0].heap, ss[1].heap = 1<<20, 1<<20
	if !verdict(io.Discard, cfg, ss) {
		t.Error("a warm-up sample was judged")
	}
}

func TestWon(t *testing.T) {
	for _, tc := range []struct {
		board [9]int
		want  bool
	}{
		{[9]int{}, false},
		{[9]int{1, 1, 1}, true},
		{[9]int{2, 0, 0, 0, 2, 0, 0, 0, 2}, true},
		{[9]int{0, 0, 1, 0, 1, 0, 1}, true},
		{[9]int{1, 2, 1, 1, 2, 2, 2, 1, 1}, false},
		{[9]int{1, 1, 2}, false},
	} {
		if got := won(tc.board); got != tc.want {
			t.Errorf("won(%v) = %v, want %v", tc.board, got, tc.want)
		}
	}
}
