package loadgen

import (
	"encoding/json"
	"os"
)

// The modes of a load run, as Result.Mode names them.
const (
	// ModeClosed: each sender sends its next request when the previous
	// one is answered (the default).
	ModeClosed = "closed"
	// ModeOpen: sends follow a Schedule at a fixed rate (-rate), and
	// latency is measured from each send's due time.
	ModeOpen = "open"
)

// Result is the part of every load command's JSON output (-json FILE)
// that is the same for all of them; each command adds its own fields
// beside it. parlor-bench reads this part.
type Result struct {
	// Tool is the command that wrote the result, e.g. "parlor-load".
	Tool string `json:"tool"`
	// Mode is ModeClosed or ModeOpen.
	Mode string `json:"mode"`
	// Unit names what Rate and Offered count: "broadcasts", "messages"
	// or "moves".
	Unit string `json:"unit"`
	// Offered is the open-loop rate asked for (-rate), per second; 0 in
	// a closed loop.
	Offered float64 `json:"offered_per_s"`
	// Rate is how many units per second were done (acked, or played).
	Rate float64 `json:"rate_per_s"`
	// Seconds is the measured time.
	Seconds float64 `json:"seconds"`
	// Latency is the command's headline latency; in open-loop mode it
	// is measured from each send's due time.
	Latency Summary `json:"latency"`
	// Errors counts failed requests.
	Errors int64 `json:"errors"`
}

// Mode returns ModeOpen for a positive rate, else ModeClosed.
func Mode(rate float64) string {
	if rate > 0 {
		return ModeOpen
	}
	return ModeClosed
}

// WriteJSON writes v as indented JSON to a new file at path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
