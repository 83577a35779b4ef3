package main

import (
	"fmt"
	"io"
	"time"

	"github.com/parlorhq/parlor/engine"
	"github.com/parlorhq/parlor/internal/loadgen"
)

// printIdleSetup prints the idle connections' parameters.
func printIdleSetup(out io.Writer, cfg config, fileLimit uint64) {
	from := "127.0.0.1 (the kernel's choice)"
	if cfg.sources > 0 {
		from = fmt.Sprintf("%d source addresses, 127.0.0.2 - 127.0.0.%d", cfg.sources, 1+cfg.sources)
	}
	hb := "engine default"
	if cfg.heartbeat > 0 {
		hb = cfg.heartbeat.String()
	}
	fmt.Fprintf(out, "idle: %d connections in echo rooms of %d, dialed from %s; server heartbeat %s; open-file limit %d\n",
		cfg.idle, cfg.idleRoom, from, hb, fileLimit)
}

// printIdleCost prints what the server gained per idle connection.
func printIdleCost(out io.Writer, cfg config, ir *idleRun) {
	n := float64(cfg.idle)
	heap, rss := idleGrowth(ir.before, ir.idle)
	gs := ir.idle.Goroutines - ir.before.Goroutines
	stack := int64(ir.idle.Stack) - int64(ir.before.Stack)
	fmt.Fprintf(out, "idle: dialed and joined in %s; server heap+stack %+.1f MiB = %.2f KiB/conn (stack %.2f); RSS %+.1f MiB = %.2f KiB/conn; goroutines %+d = %.2f/conn\n",
		ir.dialTime.Round(time.Millisecond), mib(heap), kib(heap)/n, kib(stack)/n, mib(rss), kib(rss)/n, gs, float64(gs)/n)
	slab, gen := ir.memGrowth()
	fmt.Fprintf(out, "idle: kernel slab (both ends' sockets, and any other work) %+.1f MiB = %.2f KiB/conn; generator RSS %+.1f MiB = %.2f KiB/conn\n",
		mib(slab), kib(slab)/n, mib(gen), kib(gen)/n)
}

// memGrowth is how much the kernel's slab and the generator's RSS grew
// with the idle connections, in bytes.
func (ir *idleRun) memGrowth() (slab, gen int64) {
	return int64(ir.mem.slab) - int64(ir.memBefore.slab), int64(ir.mem.genRSS) - int64(ir.memBefore.genRSS)
}

// heartbeatCores is the server's CPU during the idle window, in cores,
// without the GC that reading its stats forces.
func (ir *idleRun) heartbeatCores() float64 {
	return (ir.windowEnd.CPUPreGC - ir.idle.CPU) / ir.window.Seconds()
}

// printHeartbeat prints the CPU the server and the generator used while
// every connection was idle.
func printHeartbeat(out io.Writer, cfg config, ir *idleRun) {
	hb := cfg.heartbeat
	if hb <= 0 {
		hb = engine.DefaultHeartbeatInterval
	}
	pps := float64(ir.pings) / ir.window.Seconds()
	fmt.Fprintf(out, "heartbeat: %s with every connection idle, %.0f pings/s answered (%.0f expected): server CPU %.2f%% of a core = %.1f us per ping; generator %.2f%%; rest of the machine %.2f cores\n",
		ir.window.Round(time.Millisecond), pps, float64(cfg.idle)/hb.Seconds(), 100*ir.heartbeatCores(),
		ir.heartbeatCores()/max(pps, 1)*1e6, 100*ir.genCPU.Self.Seconds()/ir.window.Seconds(),
		max(0, (ir.genCPU.Busy-ir.genCPU.Self).Seconds()/ir.window.Seconds()-ir.heartbeatCores()))
}

// idleJSON is what -json writes in the -idle mode.
type idleJSON struct {
	Idle               int     `json:"idle"`
	IdleRoomSize       int     `json:"idle_room_size"`
	Sources            int     `json:"sources"`
	HeartbeatS         float64 `json:"heartbeat_s"` // 0: the engine's default
	DialSeconds        float64 `json:"dial_s"`
	IdleHeapStackKiB   float64 `json:"idle_heap_stack_kib_per_conn"`
	IdleRSSKiB         float64 `json:"idle_rss_kib_per_conn"`
	IdleGoroutines     float64 `json:"idle_goroutines_per_conn"`
	ServerRSSMiB       float64 `json:"server_rss_mib"` // with the idle connections
	KernelSlabKiB      float64 `json:"kernel_slab_kib_per_conn"`
	GeneratorRSSKiB    float64 `json:"generator_rss_kib_per_conn"`
	PingsPerS          float64 `json:"heartbeat_pings_per_s"`
	HeartbeatCores     float64 `json:"heartbeat_server_cores"`
	GeneratorCores     float64 `json:"heartbeat_generator_cores"`
	IdleClosedByServer int64   `json:"idle_closed_by_server"`
	// The busy room's broadcast beside the idle connections, and alone:
	// each phase in the order run, and each condition's samples pooled
	// over the rounds.
	Phases         []idlePhaseJSON `json:"phases"`
	PooledWithIdle loadgen.Summary `json:"pooled_with_idle"`
	PooledAlone    loadgen.Summary `json:"pooled_alone"`
}

// idlePhaseJSON is one busy-room phase in -json.
type idlePhaseJSON struct {
	Round     int        `json:"round"`
	WithIdle  bool       `json:"with_idle"`
	PingsPerS float64    `json:"heartbeat_pings_per_s"`
	Result    jsonResult `json:"result"`
}

// idleJSONOf gathers the -idle mode's figures for -json.
func idleJSONOf(cfg config, tgt *target, ir *idleRun) idleJSON {
	n := float64(cfg.idle)
	heap, rss := idleGrowth(ir.before, ir.idle)
	slab, gen := ir.memGrowth()
	j := idleJSON{
		KernelSlabKiB: kib(slab) / n, GeneratorRSSKiB: kib(gen) / n,
		Idle: cfg.idle, IdleRoomSize: cfg.idleRoom, Sources: cfg.sources, HeartbeatS: cfg.heartbeat.Seconds(),
		DialSeconds:      ir.dialTime.Seconds(),
		IdleHeapStackKiB: kib(heap) / n, IdleRSSKiB: kib(rss) / n,
		IdleGoroutines: float64(ir.idle.Goroutines-ir.before.Goroutines) / n,
		ServerRSSMiB:   mib(int64(ir.idle.RSS)), HeartbeatCores: ir.heartbeatCores(),
		PingsPerS:          float64(ir.pings) / ir.window.Seconds(),
		GeneratorCores:     ir.genCPU.Self.Seconds() / ir.window.Seconds(),
		IdleClosedByServer: ir.closedDuringLoad,
		PooledWithIdle:     pooled(ir.phases, true).Summary(),
		PooledAlone:        pooled(ir.phases, false).Summary(),
	}
	for _, p := range ir.phases {
		j.Phases = append(j.Phases, idlePhaseJSON{
			Round: p.round, WithIdle: p.beside, PingsPerS: p.pingsPerSecond(), Result: jsonOf(cfg, tgt, p.res),
		})
	}
	return j
}
