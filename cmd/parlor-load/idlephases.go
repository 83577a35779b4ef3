package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// idlePhase is one busy-room phase of the -idle mode: the broadcast load
// beside the idle connections, or alone once they are closed.
type idlePhase struct {
	round  int
	beside bool          // the idle connections were connected
	res    *result       // the broadcast's figures
	pings  int64         // pings the idle connections answered during the phase
	wall   time.Duration // the phase's whole time, its clients' connect included
}

// label names the phase in the output and in its rooms' names.
func (p idlePhase) label() string {
	if p.beside {
		return fmt.Sprintf("with-idle-%d", p.round)
	}
	return fmt.Sprintf("alone-%d", p.round)
}

// pingsPerSecond is the heartbeat's rate during the phase, as the idle
// connections answered it.
func (p idlePhase) pingsPerSecond() float64 {
	return float64(p.pings) / p.wall.Seconds()
}

// runPhases runs -idle-rounds rounds of the busy room's load, each first
// beside the idle connections, then alone once they are closed; every
// round after the first dials them again first. *ic is the connections
// currently open, for the caller to close. Alternating within one run on
// one server puts the two conditions through the same drift of the
// machine, and the rounds' samples pool into one figure each.
func runPhases(ctx context.Context, cfg config, tgt *target, ic **idleConns, ir *idleRun, out io.Writer) error {
	if err := warmUp(ctx, cfg, tgt, out); err != nil {
		return err
	}
	for round := 1; round <= cfg.idleRounds; round++ {
		if round > 1 {
			if err := redialIdle(ctx, cfg, tgt, ic, out); err != nil {
				return err
			}
		}
		pings, start := (*ic).pings.Load(), time.Now()
		with := idlePhase{round: round, beside: true}
		traced := traceDuring(cfg, tgt, with.label())
		res, err := busyPhase(ctx, cfg, tgt, with.label(), out)
		if err := errors.Join(err, traced()); err != nil {
			return err
		}
		with.res, with.pings, with.wall = res, (*ic).pings.Load()-pings, time.Since(start)
		ir.phases = append(ir.phases, with)
		fmt.Fprintf(out, "heartbeat during the phase: %.0f pings/s answered\n", with.pingsPerSecond())
		ir.closedDuringLoad += (*ic).closed.Load()
		(*ic).close(cfg.dialConc)
		settleAfterClose(ctx, tgt, ir.before.Goroutines)
		alone := idlePhase{round: round}
		traced, start = traceDuring(cfg, tgt, alone.label()), time.Now()
		alone.res, err = busyPhase(ctx, cfg, tgt, alone.label(), out)
		alone.wall = time.Since(start)
		if err := errors.Join(err, traced()); err != nil {
			return err
		}
		ir.phases = append(ir.phases, alone)
	}
	return nil
}

// warmUpDuration bounds the warm-up phase.
const warmUpDuration = 5 * time.Second

// warmUp runs the busy room's load once, for -duration up to 5 s, and
// leaves it out of the figures. The first fan-out on a server and in the
// generator grows their heaps, buffers and goroutine stacks; measured,
// it fell on the first phase beside the idle connections, whose p99 was
// the highest of the run in five of six runs taken without it.
func warmUp(ctx context.Context, cfg config, tgt *target, out io.Writer) error {
	cfg.duration = min(cfg.duration, warmUpDuration)
	_, err := busyPhase(ctx, cfg, tgt, "warm-up", out)
	return err
}

// redialIdle opens the idle connections again, into the same rooms, and
// lets them settle as openIdle and measureHeartbeat do before the first
// round (2 s, then -idle-window), so that each round's phase beside them
// starts as long after their dialing as the first.
func redialIdle(ctx context.Context, cfg config, tgt *target, ic **idleConns, out io.Writer) error {
	header, err := cfg.header()
	if err != nil {
		return err
	}
	start := time.Now()
	next, err := dialIdle(ctx, tgt.url, header, cfg.idle, cfg.idleRoom, cfg.sources, cfg.dialConc, cfg.roomPrefix+"-idle")
	*ic = next
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nidle: %d connections dialed and joined again in %s\n", cfg.idle, time.Since(start).Round(time.Millisecond))
	select {
	case <-time.After(2*time.Second + cfg.idleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// pooled merges the latency of the phases beside the idle connections
// (beside true) or alone.
func pooled(phases []idlePhase, beside bool) *loadgen.Histogram {
	h := loadgen.NewRecorder(1).Snapshot() // empty
	for _, p := range phases {
		if p.beside == beside {
			h.Merge(p.res.hist)
		}
	}
	return h
}

// serverMicrosPerDelivery is the server's CPU per delivery during a
// phase, in microseconds.
func serverMicrosPerDelivery(res *result) float64 {
	if res.delivered == 0 {
		return 0
	}
	return (res.after.CPUPreGC - res.idle.CPU) / float64(res.delivered) * 1e6
}

// printPhases prints every phase's latency, heartbeat and server cost,
// the pooled figures and how much the idle connections moved the p99.
func printPhases(out io.Writer, cfg config, tgt *target, ir *idleRun) {
	fmtDur := loadgen.FormatDuration
	fmt.Fprintf(out, "\n== summary: broadcast to %d clients in %d room(s), beside %d idle connections and alone, %d round(s) ==\n",
		cfg.clients, cfg.rooms, cfg.idle, cfg.idleRounds)
	fmt.Fprintf(out, "%-12s %9s %9s %9s %9s %9s %8s %10s %6s\n", "phase", "samples", "p50", "p99", "p99.9", "max", "pings/s", "us/deliv", "other")
	for _, p := range ir.phases {
		h := p.res.hist
		fmt.Fprintf(out, "%-12s %9d %9s %9s %9s %9s %8.0f %10.2f %6.2f\n", p.label(), h.Count(),
			fmtDur(h.Quantile(0.5)), fmtDur(h.Quantile(0.99)), fmtDur(h.Quantile(0.999)), fmtDur(h.Max()),
			p.pingsPerSecond(), serverMicrosPerDelivery(p.res), otherCores(tgt, p.res))
	}
	fmt.Fprintln(out, "(other: cores used by other processes during the phase; a round whose two phases differ here does not compare)")
	for i := 0; i+1 < len(ir.phases); i += 2 {
		w, a := ir.phases[i].res.hist, ir.phases[i+1].res.hist
		fmt.Fprintf(out, "round %d: p99 beside / alone %+.0f%%\n", ir.phases[i].round, change(w.Quantile(0.99), a.Quantile(0.99)))
	}
	w, a := pooled(ir.phases, true), pooled(ir.phases, false)
	fmt.Fprintf(out, "pooled beside: %d samples, p50 %s  p99 %s  p99.9 %s\n", w.Count(), fmtDur(w.Quantile(0.5)), fmtDur(w.Quantile(0.99)), fmtDur(w.Quantile(0.999)))
	fmt.Fprintf(out, "pooled alone:  %d samples, p50 %s  p99 %s  p99.9 %s\n", a.Count(), fmtDur(a.Quantile(0.5)), fmtDur(a.Quantile(0.99)), fmtDur(a.Quantile(0.999)))
	fmt.Fprintf(out, "pooled change beside / alone: p50 %+.0f%%  p99 %+.0f%%  p99.9 %+.0f%%\n",
		change(w.Quantile(0.5), a.Quantile(0.5)), change(w.Quantile(0.99), a.Quantile(0.99)), change(w.Quantile(0.999), a.Quantile(0.999)))
	if ir.closedDuringLoad > 0 {
		fmt.Fprintf(out, "WARNING: the server closed %d idle connections\n", ir.closedDuringLoad)
	}
}

// change is how much larger with is than alone, in percent.
func change(with, alone time.Duration) float64 {
	if alone <= 0 {
		return 0
	}
	return 100 * (float64(with)/float64(alone) - 1)
}
