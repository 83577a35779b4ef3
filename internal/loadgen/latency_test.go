package loadgen

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestRecorderQuantiles: the quantiles of a wide spread of latencies,
// recorded from several goroutines into several shards, are within 0.1%
// of the exact ones, and nothing is lost.
func TestRecorderQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	exact := make([]time.Duration, 100_000)
	for i := range exact {
		// log-uniform from 1 µs to about 10 s
		exact[i] = time.Duration(float64(time.Microsecond) * float64(uint64(1)<<rng.IntN(23)) * (1 + rng.Float64()))
	}
	r := NewRecorder(4)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < len(exact); i += 8 {
				r.Record(g, exact[i])
			}
		})
	}
	wg.Wait()
	slices.Sort(exact)
	h := r.Snapshot()
	if h.Count() != int64(len(exact)) {
		t.Fatalf("count %d, want %d", h.Count(), len(exact))
	}
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		want := exact[max(0, int(q*float64(len(exact)))-1)]
		checkWithin(t, q, h.Quantile(q), want)
	}
	checkWithin(t, 1, h.Max(), exact[len(exact)-1])
}

// checkWithin fails unless got is within 0.1% (and 1 µs) of want.
func checkWithin(t *testing.T, q float64, got, want time.Duration) {
	t.Helper()
	tol := want/1000 + time.Microsecond
	if got < want-tol || got > want+tol {
		t.Errorf("q %v: %v, want %v ± %v", q, got, want, tol)
	}
}

// TestHistogramMerge: two snapshots merged hold both sets of latencies.
func TestHistogramMerge(t *testing.T) {
	a, b := NewRecorder(1), NewRecorder(2)
	for i := 1; i <= 1000; i++ {
		if i%2 == 0 {
			a.Record(0, time.Duration(i)*time.Millisecond)
		} else {
			b.Record(i, time.Duration(i)*time.Millisecond)
		}
	}
	h := a.Snapshot()
	h.Merge(b.Snapshot())
	if h.Count() != 1000 {
		t.Fatalf("merged count %d", h.Count())
	}
	checkWithin(t, 0.5, h.Quantile(0.5), 500*time.Millisecond)
	checkWithin(t, 0.99, h.Quantile(0.99), 990*time.Millisecond)
	s := h.Summary()
	if s.Count != 1000 || s.P50 < 499.5 || s.P50 > 500.5 || s.Max < 999 || s.Max > 1001 || s.Mean < 499 || s.Mean > 502 {
		t.Fatalf("summary %+v", s)
	}
}

// TestRecorderClamps: a negative latency counts as 0, one beyond the
// range as the highest; an empty recorder reports zeros.
func TestRecorderClamps(t *testing.T) {
	r := NewRecorder(0)
	if h := r.Snapshot(); h.Count() != 0 || h.Quantile(0.99) != 0 || h.Summary() != (Summary{}) {
		t.Fatalf("empty recorder: %+v", h.Summary())
	}
	r.Record(-5, -time.Second)
	r.Record(7, 3*time.Hour)
	h := r.Snapshot()
	if h.Count() != 2 || h.Quantile(0.5) > time.Microsecond {
		t.Fatalf("count %d, p50 %v", h.Count(), h.Quantile(0.5))
	}
	checkWithin(t, 1, h.Max(), time.Hour)
}

// TestRecordAllocs: recording allocates nothing.
func TestRecordAllocs(t *testing.T) {
	r := NewRecorder(0)
	if n := testing.AllocsPerRun(1000, func() { r.Record(3, 1234*time.Microsecond) }); n != 0 {
		t.Fatalf("Record allocates %v times", n)
	}
}
