package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// result is what a run measured, for the report.
type result struct {
	sendElapsed time.Duration      // how long the senders sent
	elapsed     time.Duration      // from the first send to the last event
	acked       int64              // broadcasts acknowledged
	failed      int64              // broadcasts that failed
	errs        string             // the failures by error (errSummary)
	expected    int64              // deliveries the acked broadcasts make
	delivered   int64              // deliveries received
	hist        *loadgen.Histogram // send-to-receive latency
	from        string             // what latency is measured from: "send" or "due"
	parseErrs   int                // deliveries without a timestamp
	closed      int                // clients the server closed during the run
	// the server before the clients connected, once they were idle, and
	// after the load
	before, idle, after serverStats
	cpu                 procstat.CPU // this process and the machine during the load
}

// run connects the clients, measures the idle cost, runs the load and
// prints the report. It fails if a delivery is missing.
func run(ctx context.Context, cfg config, out io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	tgt, err := openTarget(cfg)
	if err != nil {
		return err
	}
	defer tgt.close()
	printSetup(out, cfg, tgt)
	before, err := tgt.readStats()
	if err != nil {
		return err
	}
	l, err := connectTimed(ctx, cfg, tgt, out)
	defer loadgen.CloseAll(l.clients)
	if err != nil {
		return err
	}
	idle, err := measureIdle(out, cfg, tgt, before)
	if err != nil {
		return err
	}
	res := measure(ctx, cfg, tgt, l)
	res.before, res.idle = before, idle
	printResult(out, tgt, res)
	if cfg.jsonPath != "" {
		if err := loadgen.WriteJSON(cfg.jsonPath, jsonOf(cfg, tgt, res)); err != nil {
			return err
		}
	}
	if res.delivered < res.expected {
		return fmt.Errorf("%d deliveries missing", res.expected-res.delivered)
	}
	return nil
}

// connectTimed connects the clients and reports how long that took.
func connectTimed(ctx context.Context, cfg config, tgt *target, out io.Writer) (*load, error) {
	header, err := cfg.header()
	if err != nil {
		return &load{}, err
	}
	start := time.Now()
	l, err := connect(ctx, cfg, tgt.url, header)
	if err != nil {
		return l, err
	}
	fmt.Fprintf(out, "connect: %d clients dialed and joined in %s\n", cfg.clients, time.Since(start).Round(time.Millisecond))
	return l, nil
}

// measureIdle reads the server's stats once the new connections have
// settled and reports what each idle connection costs.
func measureIdle(out io.Writer, cfg config, tgt *target, before serverStats) (serverStats, error) {
	if tgt.stats == nil {
		return serverStats{}, nil
	}
	time.Sleep(500 * time.Millisecond) // let writers and handshakes settle
	idle, err := tgt.readStats()
	if err != nil {
		return idle, err
	}
	printIdle(out, cfg, tgt, before, idle)
	return idle, nil
}

// measure runs the readers and senders, waits for the last events, closes
// the clients and returns what it measured.
func measure(ctx context.Context, cfg config, tgt *target, l *load) *result {
	rs := startReaders(l.clients)
	cpu0, start := procstat.ReadCPU(), time.Now()
	stop := loadgen.Progress{
		Out: os.Stderr, Terminal: loadgen.IsTerminal(os.Stderr),
		Label: "deliveries", Count: rs.delivered, Latency: rs.lat,
	}.Start()
	stats := sendAll(ctx, cfg, l)
	res := &result{sendElapsed: time.Since(start), errs: errSummary(stats), from: "send"}
	if cfg.rate > 0 {
		res.from = "due"
	}
	for r, st := range stats {
		res.expected += st.acked.Load() * int64(l.members[r])
		res.acked += st.acked.Load()
		res.failed += st.failed.Load()
	}
	drain(ctx, rs, res.expected)
	stop()
	res.elapsed, res.cpu = time.Since(start), procstat.ReadCPU().Sub(cpu0)
	res.delivered = rs.delivered()
	res.after, _ = tgt.readStats()
	res.closed = l.closed()
	loadgen.CloseAll(l.clients)
	res.hist, res.parseErrs = rs.wait()
	return res
}

// drain waits until the readers have every expected event, none has come
// for 3s, or ctx ends.
func drain(ctx context.Context, rs *readers, expected int64) {
	last, lastChange := rs.delivered(), time.Now()
	for ctx.Err() == nil {
		n := rs.delivered()
		if n >= expected {
			return
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > 3*time.Second {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
