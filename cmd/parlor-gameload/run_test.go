package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunJSON plays a short open-loop run against an in-process server
// and checks what -json wrote.
func TestRunJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	cfg := config{game: "tictactoe", games: 4, duration: 500 * time.Millisecond, dialConc: 4, seed: 1, rate: 100, jsonPath: path}
	if err := run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	var j jsonResult
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	// 100/s for 0.5 s is at most 51 moves.
	if j.Mode != "open" || j.Offered != 100 || j.Moves == 0 || j.Moves > 51 || j.Latency.Count != j.Moves || j.Failed != 0 {
		t.Fatalf("%+v", j)
	}
}

// TestRateExcludesThink: -rate and -think together are refused.
func TestRateExcludesThink(t *testing.T) {
	if _, err := (config{game: "tictactoe", games: 1, rate: 10, think: time.Millisecond}).validate(); err == nil {
		t.Fatal("-rate with -think: no error")
	}
}
