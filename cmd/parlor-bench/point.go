package main

import (
	"fmt"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// point is one run of a load command, as the charts and the table show
// it.
type point struct {
	Scenario string  `json:"scenario"` // fanout, chat or moves
	Series   string  `json:"series"`   // e.g. "W=16", "memory", "tictactoe"
	Mode     string  `json:"mode"`     // loadgen.ModeClosed or ModeOpen
	Unit     string  `json:"unit"`
	Fraction float64 `json:"fraction,omitempty"` // of the peak, for open-loop runs
	Offered  float64 `json:"offered_per_s"`      // -rate; 0 in a closed loop
	Rate     float64 `json:"rate_per_s"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Errors   int64   `json:"errors"`
	// OtherCores is the CPU other processes used during the run, when
	// the command measures it: above ~0.1 the run shared the machine.
	OtherCores float64 `json:"other_cores,omitempty"`
}

// newPoint makes the point of a command's result.
func newPoint(scenario, series string, fraction float64, r toolResult) point {
	return point{
		Scenario: scenario, Series: series, Mode: r.Mode, Unit: r.Unit, Fraction: fraction,
		Offered: r.Offered, Rate: r.Rate, P50: r.Latency.P50, P99: r.Latency.P99,
		Errors: r.Errors, OtherCores: r.OtherCores,
	}
}

// x is where the point goes on a chart's axis of offered rate: the rate
// asked for, or in a closed loop the rate reached.
func (p point) x() float64 {
	if p.Mode == loadgen.ModeOpen {
		return p.Offered
	}
	return p.Rate
}

// String shows a point on one line, for the log.
func (p point) String() string {
	return fmt.Sprintf("%s %s %s: offered %.0f/s, did %.0f %s/s, p50 %.2fms, p99 %.2fms, errors %d",
		p.Scenario, p.Series, p.Mode, p.Offered, p.Rate, p.Unit, p.P50, p.P99, p.Errors)
}
