package main

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// report is the outcome of a run.
type report struct {
	games    int
	matches  int64
	moves    int64
	elapsed  time.Duration
	lat      *loadgen.Histogram // move-to-all-updated latency
	errors   int64
	firstErr error
	cpu      procstat.CPU // used while the bots played
}

// add counts what the player of game g did, and its error.
func (r *report) add(g int, p *player, err error) {
	r.matches += p.matches
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = fmt.Errorf("game %d: %w", g, err)
		}
	}
}

// print prints the report, one figure a line.
func (r *report) print(out io.Writer, cfg config) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(out, "game              %s\n", cfg.game)
	if cfg.url == "" && cfg.store != "" {
		fmt.Fprintf(out, "store             %s\n", cfg.store)
	}
	fmt.Fprintf(out, "games             %d (%d bots), think %v, GOMAXPROCS %d\n", r.games, 2*r.games, cfg.think, runtime.GOMAXPROCS(0))
	if cfg.pins != nil {
		fmt.Fprintf(out, "pinned            server child on CPU %d, bots on CPU %d\n", cfg.pins.Server, cfg.pins.Gen)
	}
	if cfg.rate > 0 {
		fmt.Fprintf(out, "open loop         %.0f moves/s offered; latency from each move's due time\n", cfg.rate)
	}
	if cfg.warmup > 0 {
		fmt.Fprintf(out, "warmup            %v: the latency of moves before it is not counted\n", cfg.warmup)
	}
	fmt.Fprintf(out, "elapsed           %v\n", r.elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "matches finished  %d\n", r.matches)
	fmt.Fprintf(out, "moves             %d\n", r.moves)
	fmt.Fprintf(out, "moves/s           %.0f\n", float64(r.moves)/r.elapsed.Seconds())
	fmt.Fprintf(out, "latency p50       %s\n", ms(r.lat.Quantile(0.50)))
	fmt.Fprintf(out, "latency p90       %s\n", ms(r.lat.Quantile(0.90)))
	fmt.Fprintf(out, "latency p99       %s\n", ms(r.lat.Quantile(0.99)))
	fmt.Fprintf(out, "latency max       %s\n", ms(r.lat.Max()))
	if r.cpu.Busy > 0 {
		sec := r.elapsed.Seconds()
		fmt.Fprintf(out, "cpu while playing %.2f cores this process, %.2f cores the rest of the machine\n",
			r.cpu.Self.Seconds()/sec, max(r.cpu.Busy-r.cpu.Self, 0).Seconds()/sec)
	}
	fmt.Fprintf(out, "failed games      %d\n", r.errors)
}
