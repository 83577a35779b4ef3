package loadgen

import "time"

// Quantile returns the q-quantile (0 to 1) of sorted, an ascending slice
// of latencies: the sample at index q×len, the last one for q = 1. It
// returns 0 for no samples.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}
