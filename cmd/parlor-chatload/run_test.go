package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunJSON runs a short open-loop load on a real bbolt file and checks
// what -json wrote.
func TestRunJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	cfg := config{store: "bolt", db: filepath.Join(dir, "chat.db"), rooms: 4, size: 2, inflight: 1, text: 100,
		duration: 500 * time.Millisecond, warmup: 100 * time.Millisecond, dialConc: 4, rate: 100, jsonPath: path}
	if err := run(cfg); err != nil {
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
	if j.Mode != "open" || j.Offered != 100 || j.Store != "bolt" || j.Latency.Count == 0 || j.Missing != 0 || j.Delivered == 0 {
		t.Fatalf("%+v", j)
	}
	// 100/s over the 0.6 s of warm-up and window: at most 61 messages,
	// those due in the 0.5 s window at most 51.
	if j.Latency.Count > 51 || j.Delivered != j.Latency.Count || j.CommitsPerS == 0 {
		t.Fatalf("acked %d, delivered %d, commits/s %v", j.Latency.Count, j.Delivered, j.CommitsPerS)
	}
}

// TestRunGroupsStalledInflight runs a closed loop in groups of three, one
// member of each stalled, two requests in flight per sender: the read
// loops record every ack and every delivery (each message acked in the
// window reaches the one other reading member), and the stalled members
// read nothing.
func TestRunGroupsStalledInflight(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	cfg := config{store: "memory", rooms: 3, size: 3, inflight: 2, text: 64, stalled: 0.34,
		duration: 300 * time.Millisecond, warmup: 100 * time.Millisecond, dialConc: 4, jsonPath: path}
	if err := run(cfg); err != nil {
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
	if j.Mode != "closed" || j.Latency.Count == 0 || j.Missing != 0 || j.Delivered != j.Latency.Count {
		t.Fatalf("mode %s, acked %d, delivered %d, missing %d", j.Mode, j.Latency.Count, j.Delivered, j.Missing)
	}
	if j.Stalled == nil || j.Stalled.Stalled != 3 {
		t.Fatalf("stalled figures %+v, want 3 stalled clients", j.Stalled)
	}
}
