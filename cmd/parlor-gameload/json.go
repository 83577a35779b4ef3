package main

import "github.com/parlorhq/parlor/internal/loadgen"

// jsonResult is what -json writes: the shared result (moves per second,
// move-to-all-updated latency) and the games' own figures.
type jsonResult struct {
	loadgen.Result
	Game       string  `json:"game"`
	Games      int     `json:"games"`
	Matches    int64   `json:"matches"`
	Moves      int64   `json:"moves"`
	Think      float64 `json:"think_ms"`
	Warmup     float64 `json:"warmup_ms,omitempty"`
	Failed     int64   `json:"failed_games"`
	CPUCores   float64 `json:"cpu_cores,omitempty"`
	OtherCores float64 `json:"other_cores,omitempty"`
	// Pins are the CPUs of a -pin run: the server child's and the bots'.
	Pins *loadgen.Pins `json:"pins,omitempty"`
}

// jsonOf gathers a run's figures for -json.
func jsonOf(cfg config, r *report) jsonResult {
	secs := r.elapsed.Seconds()
	j := jsonResult{
		Result: loadgen.Result{
			Tool: "parlor-gameload", Mode: loadgen.Mode(cfg.rate), Unit: "moves", Offered: cfg.rate,
			Rate: float64(r.moves) / secs, Seconds: secs, Latency: r.lat.Summary(), Errors: r.errors,
		},
		Game: cfg.game, Games: r.games, Matches: r.matches, Moves: r.moves,
		Think: float64(cfg.think) / 1e6, Warmup: float64(cfg.warmup) / 1e6, Failed: r.errors,
		Pins: cfg.pins,
	}
	if r.cpu.Busy > 0 {
		j.CPUCores = r.cpu.Self.Seconds() / secs
		j.OtherCores = max(0, (r.cpu.Busy-r.cpu.Self).Seconds()/secs)
	}
	return j
}
