package loadgen

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The range and precision of every latency histogram.
const (
	// lowestLatency is the smallest latency told apart from zero: 1 µs.
	lowestLatency = int64(time.Microsecond)
	// highestLatency is the largest latency recorded as itself; longer
	// ones count as this. An hour is longer than any run.
	highestLatency = int64(time.Hour)
	// sigFigs is the histogram's precision: 3 significant figures, so a
	// quantile is within 0.1% of the recorded value.
	sigFigs = 3
)

// newHistogram returns an empty latency histogram (nanoseconds).
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowestLatency, highestLatency, sigFigs)
}

// DefaultShards is the shard count NewRecorder uses for 0.
const DefaultShards = 16

// Recorder collects latencies from many goroutines into HDR histograms.
// It keeps one histogram per shard, each behind its own lock, so that
// goroutines recording into different shards never wait for each other.
// Recording allocates nothing.
type Recorder struct {
	shards []recorderShard
}

// recorderShard is one lock and its histogram, padded to a cache line of
// its own.
type recorderShard struct {
	mu sync.Mutex
	h  *hdrhistogram.Histogram
	_  [48]byte
}

// NewRecorder returns an empty Recorder with n shards (0: DefaultShards).
func NewRecorder(n int) *Recorder {
	if n <= 0 {
		n = DefaultShards
	}
	r := &Recorder{shards: make([]recorderShard, n)}
	for i := range r.shards {
		r.shards[i].h = newHistogram()
	}
	return r
}

// Record counts one latency in shard key modulo the shard count: give
// each goroutine its own key (its index) to spread them. A negative
// latency counts as 0 and one over an hour as an hour.
func (r *Recorder) Record(key int, d time.Duration) {
	v := min(max(int64(d), 0), highestLatency)
	s := &r.shards[uint(key)%uint(len(r.shards))]
	s.mu.Lock()
	_ = s.h.RecordValue(v) // v is in range: it cannot fail
	s.mu.Unlock()
}

// Snapshot returns what the shards hold so far, merged.
func (r *Recorder) Snapshot() *Histogram {
	h := newHistogram()
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		h.Merge(s.h)
		s.mu.Unlock()
	}
	return &Histogram{h: h}
}

// Histogram is a merged, read-only view of recorded latencies.
type Histogram struct {
	h *hdrhistogram.Histogram
}

// Count is the number of latencies recorded.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Quantile returns the q-quantile (0 to 1) of the latencies: the smallest
// recorded value (within the histogram's 0.1%) that at least q of them do
// not exceed. It returns 0 for no latencies.
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q * 100))
}

// Max is the largest latency recorded (within 0.1%); 0 for none.
func (h *Histogram) Max() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	return time.Duration(h.h.Max())
}

// Merge adds o's latencies to h.
func (h *Histogram) Merge(o *Histogram) { h.h.Merge(o.h) }

// Summary is a latency distribution as the load commands write it in
// their JSON output, in milliseconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// Summary returns h's count, mean, quantiles and maximum.
func (h *Histogram) Summary() Summary {
	return Summary{
		Count: h.Count(),
		Mean:  h.h.Mean() / 1e6,
		P50:   ms(h.Quantile(0.50)),
		P90:   ms(h.Quantile(0.90)),
		P99:   ms(h.Quantile(0.99)),
		P999:  ms(h.Quantile(0.999)),
		Max:   ms(h.Max()),
	}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / 1e6 }
