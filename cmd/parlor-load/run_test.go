package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen"
)

// TestRunJSON runs a short load against an in-process server, closed and
// open loop, and checks what -json wrote.
func TestRunJSON(t *testing.T) {
	for _, rate := range []float64{0, 200} {
		path := filepath.Join(t.TempDir(), "out.json")
		cfg := config{clients: 20, rooms: 1, senders: 1, inflight: 4, size: 100, duration: 500 * time.Millisecond,
			dialConc: 8, roomPrefix: "t", rate: rate, jsonPath: path}
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
		if j.Tool != "parlor-load" || j.Mode != loadgen.Mode(rate) || j.Offered != rate || j.Unit != "broadcasts" {
			t.Fatalf("rate %v: %+v", rate, j.Result)
		}
		if j.Delivered == 0 || j.Delivered != j.Expected || j.Latency.Count != j.Delivered || j.Latency.P99 <= 0 {
			t.Fatalf("rate %v: delivered %d of %d, latency %+v", rate, j.Delivered, j.Expected, j.Latency)
		}
		// 200/s for 0.5 s is 100 sends due before the end, the first at
		// once.
		if rate > 0 && j.Delivered > 100*20 {
			t.Fatalf("open loop at %v/s for 0.5s delivered %d to 20 clients", rate, j.Delivered)
		}
	}
}

// TestPastEnd: a send due at or after the run's deadline is not sent,
// even when the deadline's timer has not fired yet (it fires late on a
// busy machine); one due before it is.
func TestPastEnd(t *testing.T) {
	end := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	for _, tc := range []struct {
		due  time.Time
		past bool
	}{
		{end.Add(-time.Nanosecond), false},
		{end, true},
		{end.Add(time.Millisecond), true},
	} {
		if got := pastEnd(ctx, tc.due); got != tc.past {
			t.Errorf("due %v before the end: past %v, want %v", end.Sub(tc.due), got, tc.past)
		}
	}
	if pastEnd(context.Background(), end) {
		t.Error("a run without a deadline has an end")
	}
}
