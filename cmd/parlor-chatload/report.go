package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// result is what a run counted, for the report.
type result struct {
	measurement
	senders       int   // sending members
	acked         int64 // messages acked in the window
	sendErrs      int64 // failed sends
	stalled       int   // stalled members
	stalledClosed int   // sessions the server closed
	want, got     int64 // deliveries expected and received
}

// latencies are the ack and delivery latencies of every member, and of
// the members of rooms with a stalled member (the neighbours).
type latencies struct {
	delivery, acks, nDelivery, nAcks *loadgen.Recorder
	log                              *ackLog // every ack, for -ack-log; nil without it
}

// newLatencies returns empty recorders, and an ack log if logAcks.
func newLatencies(logAcks bool) *latencies {
	var log *ackLog
	if logAcks {
		log = &ackLog{}
	}
	return &latencies{log: log,
		delivery: loadgen.NewRecorder(0), acks: loadgen.NewRecorder(0),
		nDelivery: loadgen.NewRecorder(0), nAcks: loadgen.NewRecorder(0),
	}
}

// printResult prints the report: one line of key=value pairs.
func printResult(out io.Writer, cfg config, lat *latencies, res *result) {
	l := struct{ delivery, acks, nDelivery, nAcks *loadgen.Histogram }{
		lat.delivery.Snapshot(), lat.acks.Snapshot(), lat.nDelivery.Snapshot(), lat.nAcks.Snapshot(),
	}
	secs := cfg.duration.Seconds()
	line := []string{
		"store=" + cfg.store, "mode=" + loadgen.Mode(cfg.rate),
		fmt.Sprintf("rooms=%d size=%d senders=%d clients=%d inflight=%d text=%dB", cfg.rooms, cfg.size, res.senders, cfg.clients(), cfg.inflight, cfg.text),
		fmt.Sprintf("duration=%s gomaxprocs=%d", cfg.duration, runtime.GOMAXPROCS(0)),
		fmt.Sprintf("persisted=%d persisted/s=%.0f", res.acked, float64(res.acked)/secs),
		fmt.Sprintf("delivered=%d delivered/s=%.0f", res.got, float64(res.got)/secs),
		"ack_p50=" + pct(l.acks, 0.50), "ack_p99=" + pct(l.acks, 0.99),
		"delivery_p50=" + pct(l.delivery, 0.50), "delivery_p99=" + pct(l.delivery, 0.99),
	}
	if cfg.pins != nil {
		line = append(line, cfg.pins.String())
	}
	if cfg.rate > 0 {
		line = append(line, fmt.Sprintf("offered/s=%.0f", cfg.rate))
	}
	if res.stalled > 0 {
		line = append(line,
			fmt.Sprintf("stalled=%d stalled_closed=%d", res.stalled, res.stalledClosed),
			"neighbour_ack_p50="+pct(l.nAcks, 0.50), "neighbour_ack_p99="+pct(l.nAcks, 0.99),
			"neighbour_delivery_p50="+pct(l.nDelivery, 0.50), "neighbour_delivery_p99="+pct(l.nDelivery, 0.99))
	}
	if cfg.store == "bolt" {
		b := res.server.Bolt
		line = append(line, fmt.Sprintf("commits/s=%.0f writes/commit=%.1f pages/commit=%.1f",
			float64(b.Commits)/secs, float64(b.Writes)/float64(max(b.Commits, 1)), float64(b.Pages)/float64(max(b.Commits, 1))))
	}
	if res.cpu.Busy > 0 {
		c := res.cores(secs)
		if res.spawned {
			line = append(line, fmt.Sprintf("client_cores=%.2f server_cores=%.2f other_cores=%.2f", c.own, c.server, c.other))
			if res.acked > 0 {
				line = append(line, fmt.Sprintf("client_us/msg=%.1f server_us/msg=%.1f", c.clientPerMsg, c.serverPerMsg))
			}
		} else {
			line = append(line, fmt.Sprintf("cpu_cores=%.2f other_cores=%.2f", c.own, c.other))
		}
	}
	line = append(line, gcFigures("", res.gc, secs))
	if res.spawned {
		line = append(line, gcFigures("server_", res.server.GC, secs))
	}
	if res.sendErrs > 0 {
		line = append(line, fmt.Sprintf("send_errors=%d", res.sendErrs))
	}
	fmt.Fprintln(out, strings.Join(line, " "))
}

// cores is the CPU a run used, in cores over the measured time.
type cores struct {
	own    float64 // this process: the clients, and the server unless spawned
	server float64 // the -spawn child; 0 otherwise
	other  float64 // every other process of the machine
	// clientPerMsg and serverPerMsg are the CPU microseconds per
	// persisted message of the clients and of the server (with -spawn;
	// without it, clientPerMsg is both together).
	clientPerMsg, serverPerMsg float64
}

// cores works out the run's CPU use over secs seconds.
func (res *result) cores(secs float64) cores {
	c := cores{own: res.cpu.Self.Seconds() / secs, server: res.server.CPU / secs}
	c.other = max(0, res.cpu.Busy.Seconds()/secs-c.own-c.server)
	if res.acked > 0 {
		perMsg := 1e6 * secs / float64(res.acked)
		c.clientPerMsg, c.serverPerMsg = c.own*perMsg, c.server*perMsg
	}
	return c
}

// gcFigures shows what a process's garbage collector did: cycles per
// second, the share of a core it used, and the live heap at the end.
func gcFigures(prefix string, g gcStats, secs float64) string {
	return fmt.Sprintf("%sgc/s=%.1f %sgc_cores=%.2f %slive_heap=%.0fMB",
		prefix, float64(g.Cycles)/secs, prefix, g.CPU/secs, prefix, float64(g.LiveHeap)/(1<<20))
}

// countStalled counts the stalled members.
func countStalled(rooms conversations) int {
	n := 0
	for m := range rooms.members() {
		if m.stalled {
			n++
		}
	}
	return n
}

// pct returns the q-quantile of h, rounded for display.
func pct(h *loadgen.Histogram, q float64) string {
	if h.Count() == 0 {
		return "n/a"
	}
	d := h.Quantile(q)
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
