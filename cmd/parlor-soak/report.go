package main

import (
	"fmt"
	"io"
	"runtime"
	"strconv"
	"time"
)

// row is the format of a sample's row.
const row = "%8s %9s %9s %9s %10s %6s %8s %6s %8s %11s %8s %10s %6s\n"

// printHeader prints the setup and the rows' header.
func printHeader(out io.Writer, cfg config) {
	fmt.Fprintf(out, "parlor-soak: clients=%d (chat %d in %d groups at %.2g msg/s, %d games) churn=%v duration=%v warmup=%v gomaxprocs=%d server=%s\n",
		cfg.clients, cfg.chatClients(), cfg.rooms, cfg.rate, cfg.games, cfg.churn, cfg.duration, cfg.warmup, runtime.GOMAXPROCS(0), serverName(cfg))
	fmt.Fprintf(out, row, "elapsed", "heap_MiB", "anon_MiB", "file_MiB", "goroutines", "fds", "sessions", "rooms", "acked/s", "delivered/s", "matches", "reconnects", "errors")
}

// rates are the counters the rows show per second, at the last row.
type rates struct{ acked, delivered int64 }

// printRow prints a sample and the load since the previous row, and
// returns the counters for the next row.
func printRow(out io.Writer, cfg config, s sample, cnt *counters, prev rates) rates {
	now := rates{acked: cnt.acked.Load(), delivered: cnt.delivered.Load()}
	secs := cfg.interval.Seconds()
	fmt.Fprintf(out, row, s.at.Round(time.Second), f1(mib(s.heap)), f1(mib(s.rssAnon)), f1(mib(s.rssFile)),
		strconv.Itoa(s.goroutines), strconv.Itoa(s.fds), strconv.Itoa(s.sessions), strconv.Itoa(s.rooms),
		f0(float64(now.acked-prev.acked)/secs), f0(float64(now.delivered-prev.delivered)/secs),
		strconv.FormatInt(cnt.matches.Load(), 10), strconv.FormatInt(cnt.reconnects.Load(), 10), strconv.FormatInt(cnt.errors.Load(), 10))
	return now
}

// printTotals prints the load's totals.
func printTotals(out io.Writer, cnt *counters) {
	fmt.Fprintf(out, "totals: acked=%d delivered=%d matches=%d moves=%d reconnects=%d errors=%d\n",
		cnt.acked.Load(), cnt.delivered.Load(), cnt.matches.Load(), cnt.moves.Load(), cnt.reconnects.Load(), cnt.errors.Load())
}

// serverName names the server in the header.
func serverName(cfg config) string {
	if cfg.url == "" {
		return "in-process"
	}
	return cfg.url
}

// mib is b bytes in MiB.
func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// f1 shows v with one decimal.
func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// f0 shows v rounded to a whole number.
func f0(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
