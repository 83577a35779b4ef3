package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
	"github.com/parlorhq/parlor/internal/procstat"
)

// fileMargin is the open files a process needs beside its connections:
// the listener, pipes, the binary, /proc readers.
const fileMargin = 256

// idleRun is what the -idle mode measured.
type idleRun struct {
	fileLimit        uint64
	dialTime         time.Duration
	before, idle     serverStats // the fresh server, and with the idle connections
	memBefore, mem   machineMem  // the same moments outside the server
	window           time.Duration
	windowEnd        serverStats  // the server at the end of the idle window
	genCPU           procstat.CPU // the generator and the machine during the window
	pings            int64        // pings the idle connections answered during the window
	phases           []idlePhase  // the busy room's broadcast, with and without them, by round
	closedDuringLoad int64        // idle connections the server closed
}

// runIdle is the -idle mode. On a fresh -spawn server it opens -idle idle
// connections in rooms of -idle-room-size and reports what each costs the
// server; measures the server's CPU for -idle-window while only they are
// connected (the heartbeat's cost); runs the busy room's broadcast load
// (-clients, -rooms, -senders ... as without -idle) beside them; closes
// them; and runs the same load again alone, so that the two latencies
// compare within one run on one server. With -idle-rounds N it does the
// two N times, dialing the idle connections again for each round
// (idlephases.go), and pools each condition's samples.
func runIdle(ctx context.Context, cfg config, out io.Writer) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	ir := &idleRun{}
	var err error
	if ir.fileLimit, err = raiseFileLimit(cfg.clients + cfg.idle + fileMargin); err != nil {
		return err
	}
	tgt, err := openTarget(cfg) // the child inherits the raised limit
	if err != nil {
		return err
	}
	defer tgt.close()
	printSetup(out, cfg, tgt)
	printIdleSetup(out, cfg, ir.fileLimit)
	if ir.before, err = tgt.readStats(); err != nil {
		return err
	}
	ic, err := openIdle(ctx, cfg, tgt, ir, out)
	defer func() { ic.close(cfg.dialConc) }() // the last ones runPhases dialed
	if err != nil {
		return err
	}
	if err := measureHeartbeat(ctx, cfg, tgt, ic, ir, out); err != nil {
		return err
	}
	if err := runPhases(ctx, cfg, tgt, &ic, ir, out); err != nil {
		return err
	}
	printPhases(out, cfg, tgt, ir)
	if cfg.jsonPath != "" {
		if err := loadgen.WriteJSON(cfg.jsonPath, idleJSONOf(cfg, tgt, ir)); err != nil {
			return err
		}
	}
	if ir.closedDuringLoad > 0 {
		return fmt.Errorf("the server closed %d idle connections", ir.closedDuringLoad)
	}
	return nil
}

// openIdle dials the idle connections and reads what they cost the
// server once settled.
func openIdle(ctx context.Context, cfg config, tgt *target, ir *idleRun, out io.Writer) (*idleConns, error) {
	header, err := cfg.header()
	if err != nil {
		return &idleConns{}, err
	}
	ir.memBefore = readMachineMem()
	start := time.Now()
	ic, err := dialIdle(ctx, tgt.url, header, cfg.idle, cfg.idleRoom, cfg.sources, cfg.dialConc, cfg.roomPrefix+"-idle")
	if err != nil {
		return ic, err
	}
	ir.dialTime = time.Since(start)
	time.Sleep(2 * time.Second) // let handshakes, joins and presence settle
	if ir.idle, err = tgt.readStats(); err != nil {
		return ic, err
	}
	ir.mem = readMachineMem()
	printIdleCost(out, cfg, ir)
	if cfg.heapProfile != "" {
		if err := saveHeapProfile(tgt.url, cfg.heapProfile); err != nil {
			return ic, err
		}
	}
	return ic, nil
}

// measureHeartbeat measures the server's and the generator's CPU for
// -idle-window while only the idle connections are connected: the cost of
// the heartbeat and of the connections' timers.
func measureHeartbeat(ctx context.Context, cfg config, tgt *target, ic *idleConns, ir *idleRun, out io.Writer) error {
	cpu0, start, pings0 := procstat.ReadCPU(), time.Now(), ic.pings.Load()
	select {
	case <-time.After(cfg.idleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	var err error
	if ir.windowEnd, err = tgt.readStats(); err != nil {
		return err
	}
	ir.window, ir.genCPU = time.Since(start), procstat.ReadCPU().Sub(cpu0)
	ir.pings = ic.pings.Load() - pings0
	printHeartbeat(out, cfg, ir)
	return nil
}

// busyPhase connects the busy clients to rooms named after label, runs the
// broadcast load, prints its report and closes them. It fails if a
// delivery is missing.
func busyPhase(ctx context.Context, cfg config, tgt *target, label string, out io.Writer) (*result, error) {
	fmt.Fprintf(out, "\n== busy room, %s ==\n", label)
	cfg.roomPrefix += "-" + label
	before, err := tgt.readStats()
	if err != nil {
		return nil, err
	}
	l, err := connectTimed(ctx, cfg, tgt, out)
	defer loadgen.CloseAll(l.clients)
	if err != nil {
		return nil, err
	}
	connected, err := tgt.readStats()
	if err != nil {
		return nil, err
	}
	if cfg.genGCPct > 0 {
		// A fresh cycle, then a goal far enough away that the
		// generator's collector stays out of the measured time.
		runtime.GC()
		defer debug.SetGCPercent(debug.SetGCPercent(cfg.genGCPct))
	}
	res := measure(ctx, cfg, tgt, l)
	res.before, res.idle = before, connected // printServerCost counts the CPU from connected
	printResult(out, tgt, res)
	if res.delivered < res.expected {
		return res, fmt.Errorf("%s: %d deliveries missing", label, res.expected-res.delivered)
	}
	return res, nil
}

// settleAfterClose waits until the server has ended the closed
// connections' goroutines (back to within 64 of before), for at most 30s.
// It polls the goroutine count alone: a forced GC per poll would cost
// seconds of CPU with 100,000s of connections.
func settleAfterClose(ctx context.Context, tgt *target, before int) {
	deadline := time.Now().Add(30 * time.Second)
	for ctx.Err() == nil && time.Now().Before(deadline) && tgt.goroutines != nil {
		st, err := tgt.goroutines()
		if err != nil || st.Goroutines <= before+64 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	time.Sleep(time.Second)
}
