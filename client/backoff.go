package client

import "time"

// ceiling returns the delay ceiling of reconnect attempt n (from 1):
// MinDelay doubled n−1 times, capped at MaxDelay. p has its defaults set.
func (p ReconnectPolicy) ceiling(n int) time.Duration {
	d := p.MinDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		if d > p.MaxDelay/2 {
			return p.MaxDelay // doubling would pass the cap (or overflow)
		}
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// delay returns the wait before reconnect attempt n (from 1): uniform in
// [0, ceiling(n)), drawn with rnd, which returns a float in [0, 1).
func (p ReconnectPolicy) delay(n int, rnd func() float64) time.Duration {
	ceil := p.ceiling(n)
	r := rnd()
	if r < 0 || r >= 1 {
		r = 0 // a broken source must not stretch the wait past the ceiling
	}
	return time.Duration(r * float64(ceil))
}
