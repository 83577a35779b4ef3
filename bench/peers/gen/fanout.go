package main

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// fanoutResult is what one fan-out run measured. Rates and CPU are taken
// over the measured interval, after the warm-up.
type fanoutResult struct {
	Broadcasts        int64   `json:"broadcasts"`           // sent in the whole run
	Deliveries        int64   `json:"deliveries"`           // received in the whole run
	Lost              int64   `json:"lost"`                 // broadcasts × members − deliveries
	Malformed         int64   `json:"malformed"`            // payload markers that did not parse
	Seconds           float64 `json:"seconds"`              // length of the measured interval
	DeliveriesPerSec  float64 `json:"deliveries_per_sec"`   // in the measured interval
	ServerCPUSeconds  float64 `json:"server_cpu_seconds"`   // server user+system CPU in it
	DeliveriesPerCPUS float64 `json:"deliveries_per_cpu_s"` // deliveries per server CPU-second
	ServerCores       float64 `json:"server_cores"`         // server CPU / wall time
	GenCores          float64 `json:"gen_cores"`            // generator CPU / wall time
	P50ms             float64 `json:"p50_ms"`
	P99ms             float64 `json:"p99_ms"`
	P999ms            float64 `json:"p999_ms"`
	MaxMs             float64 `json:"max_ms"`
}

// errStalled is a broadcast that did not reach every member in time.
var errStalled = errors.New("a broadcast did not reach every member within the stall timeout")

// runFanout joins cfg.clients peers to one room and has peer 0 keep
// cfg.window broadcasts in flight: it sends a new one each time one has
// reached every member.
func runFanout(ctx context.Context, cfg config, pr proto) (*fanoutResult, error) {
	sk := newSink(cfg.clients, cfg.window)
	peers, err := connectAll(ctx, pr, cfg.url, cfg.clients, cfg.dialConc, func(int) string { return "bench" }, sk)
	if err != nil {
		return nil, err
	}
	defer closeAll(peers)
	time.Sleep(cfg.settle)

	stop := make(chan struct{})
	sent := make(chan senderResult, 1)
	go func() { sent <- sendLoop(peers[0], pr, cfg, sk, stop) }()

	time.Sleep(cfg.warmup)
	t0 := snapshot(cfg.pid, peers)
	sk.from.Store(t0.at.UnixNano())
	time.Sleep(cfg.duration)
	t1 := snapshot(cfg.pid, peers)
	sk.until.Store(t1.at.UnixNano())
	close(stop)
	sr := <-sent
	if sr.err != nil {
		return nil, fmt.Errorf("%w%s", sr.err, shortfall(peers, sr.broadcasts))
	}
	if err := drain(sk, cfg); err != nil {
		return nil, fmt.Errorf("%w%s", err, shortfall(peers, sr.broadcasts))
	}
	if t0.err != nil || t1.err != nil {
		return nil, fmt.Errorf("server CPU: %w", errors.Join(t0.err, t1.err))
	}
	return summarize(cfg, sk, peers, sr.broadcasts, t0, t1), nil
}

// senderResult is what the sender did.
type senderResult struct {
	broadcasts int64
	err        error
}

// sendLoop sends a broadcast each time a window slot is free, until stop.
func sendLoop(p *peer, pr proto, cfg config, sk *sink, stop <-chan struct{}) senderResult {
	var (
		n       int64
		payload []byte
		msg     []byte
	)
	stall := time.NewTimer(cfg.stall)
	defer stall.Stop()
	for {
		stall.Reset(cfg.stall)
		select {
		case <-stop:
			return senderResult{broadcasts: n}
		case <-stall.C:
			return senderResult{broadcasts: n, err: fmt.Errorf("%w (%s, %d sent)", errStalled, cfg.stall, n)}
		case <-sk.slots:
		}
		payload = appendPayload(payload[:0], cfg.size, uint64(n), time.Now().UnixNano())
		op, m := pr.publish(p, msg[:0], payload)
		msg = m
		if err := p.write(op, msg); err != nil {
			return senderResult{broadcasts: n, err: fmt.Errorf("send: %w", err)}
		}
		n++
	}
}

// drain waits until every broadcast sent has reached every member.
func drain(sk *sink, cfg config) error {
	deadline := time.After(cfg.stall)
	for range cap(sk.slots) {
		select {
		case <-sk.slots:
		case <-deadline:
			return fmt.Errorf("draining: %w (%s)", errStalled, cfg.stall)
		}
	}
	return nil
}

// shortfall describes the peers that are missing deliveries, for the
// error of a run that stalled: how many, how many of them the server
// closed, and the first close error.
func shortfall(peers []*peer, broadcasts int64) string {
	var short, closed int
	var firstErr error
	for _, p := range peers {
		if p.delivered.Load() >= broadcasts {
			continue
		}
		short++
		if err := p.err(); err != nil {
			closed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	s := fmt.Sprintf(": %d of %d members are missing deliveries, %d of them closed", short, len(peers), closed)
	if firstErr != nil {
		s += fmt.Sprintf(" (first: %v)", firstErr)
	}
	return s
}

// mark is a reading taken at one instant of the run.
type mark struct {
	at        time.Time
	delivered int64
	serverCPU time.Duration
	genCPU    time.Duration
	err       error
}

// snapshot reads the clock, the deliveries so far and the CPU times.
func snapshot(pid int, peers []*peer) mark {
	m := mark{at: time.Now()}
	for _, p := range peers {
		m.delivered += p.delivered.Load()
	}
	if pid > 0 {
		m.serverCPU, m.err = cpuTime(pid)
	}
	m.genCPU, _ = cpuTime(0)
	return m
}

// summarize turns the counts and marks into a result.
func summarize(cfg config, sk *sink, peers []*peer, broadcasts int64, t0, t1 mark) *fanoutResult {
	var delivered int64
	for _, p := range peers {
		delivered += p.delivered.Load()
	}
	wall := t1.at.Sub(t0.at).Seconds()
	n := float64(t1.delivered - t0.delivered)
	r := &fanoutResult{
		Broadcasts:       broadcasts,
		Deliveries:       delivered,
		Lost:             broadcasts*int64(cfg.clients) - delivered,
		Malformed:        sk.bad.Load(),
		Seconds:          wall,
		DeliveriesPerSec: n / wall,
		ServerCPUSeconds: (t1.serverCPU - t0.serverCPU).Seconds(),
		GenCores:         (t1.genCPU - t0.genCPU).Seconds() / wall,
	}
	r.ServerCores = r.ServerCPUSeconds / wall
	if r.ServerCPUSeconds > 0 {
		r.DeliveriesPerCPUS = n / r.ServerCPUSeconds
	}
	h := sk.latency()
	ms := func(us int64) float64 { return float64(us) / 1000 }
	r.P50ms, r.P99ms = ms(h.ValueAtQuantile(50)), ms(h.ValueAtQuantile(99))
	r.P999ms, r.MaxMs = ms(h.ValueAtQuantile(99.9)), ms(h.Max())
	return r
}
