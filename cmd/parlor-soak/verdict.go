package main

import (
	"fmt"
	"io"
)

// metric is one judged quantity of a sample.
type metric struct {
	name  string
	get   func(sample) float64
	slack float64 // absolute slack, in the metric's unit
	unit  string
}

// verdict judges every metric over the samples after the warm-up and
// prints one line each; it reports whether all were flat.
func verdict(out io.Writer, cfg config, samples []sample) bool {
	var judged []sample
	for _, s := range samples {
		if s.at >= cfg.warmup {
			judged = append(judged, s)
		}
	}
	if len(judged) < 3 {
		fmt.Fprintf(out, "FAIL: only %d samples after the warm-up; run longer\n", len(judged))
		return false
	}
	third := len(judged) / 3
	first, last := judged[:third], judged[len(judged)-third:]
	metrics := []metric{
		{"heap_inuse", func(s sample) float64 { return mib(s.heap) }, 2, "MiB"},
		{"rss_anon", func(s sample) float64 { return mib(s.rssAnon) }, 8, "MiB"},
		{"goroutines", func(s sample) float64 { return float64(s.goroutines) }, 0.05 * float64(cfg.clients), ""},
		{"fds", func(s sample) float64 { return float64(s.fds) }, 0.02 * float64(cfg.clients), ""},
	}
	ok := true
	fmt.Fprintf(out, "verdict over %d samples after the %v warm-up (thirds of %d): flat = last-third mean <= first-third mean + max(%.0f%%, slack)\n",
		len(judged), cfg.warmup, third, cfg.tolerance*100)
	for _, m := range metrics {
		a, b := mean(first, m.get), mean(last, m.get)
		allowed := max(cfg.tolerance*a, m.slack)
		status := "flat"
		if b-a > allowed {
			status = "GROWING"
			ok = false
		}
		fmt.Fprintf(out, "  %-10s first %.1f%s  last %.1f%s  growth %+.1f%s  allowed %.1f%s  %s\n",
			m.name, a, m.unit, b, m.unit, b-a, m.unit, allowed, m.unit, status)
	}
	rf := func(s sample) float64 { return mib(s.rssFile) }
	fmt.Fprintf(out, "  %-10s first %.1fMiB  last %.1fMiB  (file-backed: the bbolt file mapped in; not judged)\n", "rss_file", mean(first, rf), mean(last, rf))
	return ok
}

// mean is the mean of get over ss.
func mean(ss []sample, get func(sample) float64) float64 {
	var sum float64
	for _, s := range ss {
		sum += get(s)
	}
	return sum / float64(len(ss))
}
