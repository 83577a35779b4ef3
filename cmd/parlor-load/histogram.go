package main

import (
	"math"
	"math/bits"
	"time"
)

// histogram counts latencies in microseconds, log-linear with 32
// sub-buckets per power of two (about 3% resolution).
type histogram struct {
	counts []uint32
	max    int64 // nanoseconds
	n      uint64
}

// subBits is log2 of the sub-buckets per power of two.
const subBits = 5

// bucketOf is the bucket of a latency of us microseconds.
func bucketOf(us uint64) int {
	if us < 1<<subBits {
		return int(us)
	}
	e := bits.Len64(us) - subBits - 1
	return (e+1)<<subBits + int(us>>e) - 1<<subBits
}

// bucketLow is the smallest value of bucket b.
func bucketLow(b int) uint64 {
	if b < 1<<subBits {
		return uint64(b)
	}
	e := b>>subBits - 1
	return uint64(b&(1<<subBits-1)+1<<subBits) << e
}

// record counts a latency of ns nanoseconds.
func (h *histogram) record(ns int64) {
	if ns < 0 {
		ns = 0
	}
	b := bucketOf(uint64(ns / 1000))
	if b >= len(h.counts) {
		h.counts = append(h.counts, make([]uint32, b+1-len(h.counts))...)
	}
	h.counts[b]++
	h.n++
	h.max = max(h.max, ns)
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	if len(o.counts) > len(h.counts) {
		h.counts = append(h.counts, make([]uint32, len(o.counts)-len(h.counts))...)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile, as the middle of its bucket.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	var seen uint64
	for b, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			lo, hi := bucketLow(b), bucketLow(b+1)
			return time.Duration((lo+hi)/2) * time.Microsecond
		}
	}
	return time.Duration(h.max)
}
