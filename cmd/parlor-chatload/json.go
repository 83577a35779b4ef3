package main

import "github.com/parlorhq/parlor/internal/loadgen"

// jsonResult is what -json writes: the shared result (persisted messages
// per second, ack latency) and the chat's own figures.
type jsonResult struct {
	loadgen.Result
	Store           string          `json:"store"`
	Rooms           int             `json:"rooms"`
	Size            int             `json:"size"`
	Senders         int             `json:"senders"`
	Inflight        int             `json:"inflight"`
	Text            int             `json:"text"`
	Delivered       int64           `json:"delivered"`
	DeliveredPerS   float64         `json:"delivered_per_s"`
	Missing         int64           `json:"deliveries_missing"`
	Delivery        loadgen.Summary `json:"delivery_latency"`
	CommitsPerS     float64         `json:"commits_per_s,omitempty"`
	WritesPerCommit float64         `json:"writes_per_commit,omitempty"`
	// CPU: with -spawn, CPUCores is the clients' process alone,
	// ServerCores the server child's, and the CPU per persisted message
	// is given for each; without it, CPUCores is both together.
	CPUCores        float64 `json:"cpu_cores,omitempty"`
	ServerCores     float64 `json:"server_cores,omitempty"`
	OtherCores      float64 `json:"other_cores,omitempty"`
	ClientCPUPerMsg float64 `json:"client_cpu_us_per_msg,omitempty"`
	ServerCPUPerMsg float64 `json:"server_cpu_us_per_msg,omitempty"`
	// GC is this process's garbage collector in the measured time;
	// ServerGC the -spawn child's.
	// Pins are the CPUs of a -pin run: the server child's and the
	// clients'.
	Pins     *loadgen.Pins   `json:"pins,omitempty"`
	GC       gcStats         `json:"gc"`
	ServerGC *gcStats        `json:"server_gc,omitempty"`
	Stalled  *stalledFigures `json:"stalled,omitempty"`
}

// stalledFigures are the figures of a run with stalled clients.
type stalledFigures struct {
	Stalled           int             `json:"stalled"`
	Closed            int             `json:"closed"`
	NeighbourAck      loadgen.Summary `json:"neighbour_ack_latency"`
	NeighbourDelivery loadgen.Summary `json:"neighbour_delivery_latency"`
}

// jsonOf gathers a run's figures for -json.
func jsonOf(cfg config, lat *latencies, res *result) jsonResult {
	secs := cfg.duration.Seconds()
	j := jsonResult{
		Result: loadgen.Result{
			Tool: "parlor-chatload", Mode: loadgen.Mode(cfg.rate), Unit: "messages", Offered: cfg.rate,
			Rate: float64(res.acked) / secs, Seconds: secs,
			Latency: lat.acks.Snapshot().Summary(), Errors: res.sendErrs,
		},
		Store: cfg.store, Rooms: cfg.rooms, Size: cfg.size, Senders: res.senders, Inflight: cfg.inflight, Text: cfg.text,
		Delivered: res.got, DeliveredPerS: float64(res.got) / secs, Missing: max(0, res.want-res.got),
		Delivery: lat.delivery.Snapshot().Summary(),
	}
	if d := res.server.Bolt.Commits; d > 0 {
		j.CommitsPerS, j.WritesPerCommit = float64(d)/secs, float64(res.server.Bolt.Writes)/float64(d)
	}
	if res.cpu.Busy > 0 {
		c := res.cores(secs)
		j.CPUCores, j.ServerCores, j.OtherCores = c.own, c.server, c.other
		if res.spawned && res.acked > 0 {
			j.ClientCPUPerMsg, j.ServerCPUPerMsg = c.clientPerMsg, c.serverPerMsg
		}
	}
	j.GC, j.Pins = res.gc, cfg.pins
	if res.spawned {
		j.ServerGC = &res.server.GC
	}
	if res.stalled > 0 {
		j.Stalled = &stalledFigures{
			Stalled: res.stalled, Closed: res.stalledClosed,
			NeighbourAck: lat.nAcks.Snapshot().Summary(), NeighbourDelivery: lat.nDelivery.Snapshot().Summary(),
		}
	}
	return j
}
