package loadgen

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// How often Progress prints, by default.
const (
	// DefaultTerminalEvery is how often the live line is rewritten on a
	// terminal.
	DefaultTerminalEvery = 500 * time.Millisecond
	// DefaultLineEvery is how often a plain line is printed elsewhere.
	DefaultLineEvery = 5 * time.Second
)

// Progress prints how a run is going while it runs: the elapsed time,
// the count so far, its rate since the last print and the p99 latency so
// far. On a terminal it rewrites one live line, and ends it with the
// average rate of the whole run; elsewhere (a file, a pipe) it prints a
// plain line every Every.
type Progress struct {
	// Out is where the lines go, usually os.Stderr.
	Out io.Writer
	// Terminal: rewrite one line in place (\r) instead of printing lines.
	Terminal bool
	// Every is the time between prints (0: DefaultTerminalEvery on a
	// terminal, DefaultLineEvery elsewhere).
	Every time.Duration
	// Label names what Count counts, e.g. "deliveries".
	Label string
	// Count returns the count so far; it is called from another
	// goroutine.
	Count func() int64
	// Latency is where the run records latencies; nil prints none.
	Latency *Recorder
}

// IsTerminal reports whether f is a terminal (a character device).
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Start prints progress from now on until stop is called. stop prints a
// last line (ending the live line on a terminal) and returns once
// nothing more will be printed.
func (p Progress) Start() (stop func()) {
	every := p.Every
	if every <= 0 {
		every = DefaultLineEvery
		if p.Terminal {
			every = DefaultTerminalEvery
		}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { p.loop(every, done) })
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// loop prints a line every every until done is closed, then a last one.
func (p Progress) loop(every time.Duration, done <-chan struct{}) {
	// start comes first: a tick carries the time it was due, counted
	// from the ticker's creation, and a loop that starts late (a loaded
	// machine) would otherwise print a negative elapsed time.
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	last, lastAt := p.Count(), start
	for {
		select {
		case <-done:
			el := time.Since(start)
			p.print(el, p.Count(), 0, el, true)
			return
		case now := <-tick.C:
			n := p.Count()
			p.print(now.Sub(start), n, last, now.Sub(lastAt), false)
			last, lastAt = n, now
		}
	}
}

// print prints one progress line: n counted after elapsed, last of them
// counted since. The final line shows the average rate.
func (p Progress) print(elapsed time.Duration, n, last int64, since time.Duration, final bool) {
	line := p.line(elapsed, n, last, since)
	if final {
		line = strings.Replace(line, "/s", "/s avg", 1)
	}
	switch {
	case p.Terminal && final:
		fmt.Fprintf(p.Out, "\r%s\x1b[K\n", line)
	case p.Terminal:
		fmt.Fprintf(p.Out, "\r%s\x1b[K", line)
	case !final:
		fmt.Fprintln(p.Out, line)
	}
}

// line formats one progress line.
func (p Progress) line(elapsed time.Duration, n, last int64, since time.Duration) string {
	rate := 0.0
	if since > 0 {
		rate = float64(n-last) / since.Seconds()
	}
	s := fmt.Sprintf("%7.1fs  %s %d  %.0f/s", elapsed.Seconds(), p.Label, n, rate)
	if p.Latency == nil {
		return s
	}
	h := p.Latency.Snapshot()
	if h.Count() == 0 {
		return s + "  p99 -"
	}
	return s + "  p99 " + FormatDuration(h.Quantile(0.99))
}

// FormatDuration shows a latency with a unit and precision that suit it.
func FormatDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%dus", d.Microseconds())
	}
}
