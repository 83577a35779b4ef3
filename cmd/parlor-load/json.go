package main

import "github.com/parlorhq/parlor/internal/loadgen"

// jsonResult is what -json writes: the shared result (broadcasts per
// second, send-to-receive latency) and the fan-out's own figures.
type jsonResult struct {
	loadgen.Result
	Clients        int     `json:"clients"`
	Rooms          int     `json:"rooms"`
	SendersPerRoom int     `json:"senders_per_room"`
	Inflight       int     `json:"inflight"`
	Size           int     `json:"size"`
	Server         string  `json:"server"` // in-process, child process or external
	Expected       int64   `json:"deliveries_expected"`
	Delivered      int64   `json:"deliveries"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
	// The server's cost, when it is local (in-process figures include
	// the clients).
	IdleHeapStackKiB   float64 `json:"idle_heap_stack_kib_per_conn,omitempty"`
	IdleRSSKiB         float64 `json:"idle_rss_kib_per_conn,omitempty"`
	CPUPerDeliveryUS   float64 `json:"cpu_us_per_delivery,omitempty"`
	CPUCores           float64 `json:"cpu_cores,omitempty"`
	DeliveriesPerWrite float64 `json:"deliveries_per_write,omitempty"`
	// OtherCores is the CPU other processes used during the load.
	OtherCores float64 `json:"other_cores,omitempty"`
}

// jsonOf gathers a run's figures for -json.
func jsonOf(cfg config, tgt *target, res *result) jsonResult {
	j := jsonResult{
		Result: loadgen.Result{
			Tool: "parlor-load", Mode: loadgen.Mode(cfg.rate), Unit: "broadcasts", Offered: cfg.rate,
			Rate:    float64(res.acked) / res.sendElapsed.Seconds(),
			Seconds: res.sendElapsed.Seconds(), Latency: res.hist.Summary(), Errors: res.failed,
		},
		Clients: cfg.clients, Rooms: cfg.rooms, SendersPerRoom: cfg.senders, Inflight: cfg.inflight, Size: cfg.size,
		Server: tgt.kind, Expected: res.expected, Delivered: res.delivered,
		DeliveriesPerS: float64(res.delivered) / res.elapsed.Seconds(),
	}
	if res.cpu.Busy > 0 {
		j.OtherCores = otherCores(tgt, res)
	}
	if tgt.stats == nil || res.delivered == 0 {
		return j
	}
	heap, rss := idleGrowth(res.before, res.idle)
	j.IdleHeapStackKiB, j.IdleRSSKiB = kib(heap)/float64(cfg.clients), kib(rss)/float64(cfg.clients)
	cpu := res.after.CPUPreGC - res.idle.CPU
	j.CPUPerDeliveryUS = cpu / float64(res.delivered) * 1e6
	j.CPUCores = cpu / res.elapsed.Seconds()
	if writes := serverWrites(tgt, res); writes > 0 {
		j.DeliveriesPerWrite = float64(res.delivered) / float64(writes)
	}
	return j
}
