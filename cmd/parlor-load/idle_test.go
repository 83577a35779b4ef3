package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDialIdle opens idle connections from three source addresses into
// rooms of 10 and checks each one's source, that they answer the
// server's pings and stay open, and that they close.
func TestDialIdle(t *testing.T) {
	wsURL, stop, err := startServer("127.0.0.1:0", false, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stop(context.Background()) }()
	ic, err := dialIdle(context.Background(), wsURL, http.Header{}, 40, 10, 3, 8, "t")
	defer ic.close(8)
	if err != nil {
		t.Fatal(err)
	}
	for i, ws := range ic.conns {
		got := ws.LocalAddr().(*net.TCPAddr).IP
		if want := net.IPv4(127, 0, 0, byte(2+i%3)); !got.Equal(want) {
			t.Fatalf("connection %d dialed from %s, want %s", i, got, want)
		}
	}
	time.Sleep(300 * time.Millisecond) // about six pings each
	if n := ic.pings.Load(); n < 2*40 {
		t.Fatalf("%d pings answered by 40 connections in 300ms of a 50ms heartbeat", n)
	}
	if n := ic.closed.Load(); n != 0 {
		t.Fatalf("%d idle connections closed during the heartbeats", n)
	}
	ic.close(8)
	if n := ic.closed.Load(); n != 0 {
		t.Fatalf("close counted %d connections as closed by the server", n)
	}
}

// TestRaiseFileLimit checks that a need within the hard limit is met and
// one past fs.nr_open is refused with the limits named.
func TestRaiseFileLimit(t *testing.T) {
	got, err := raiseFileLimit(64)
	if err != nil || got < 64 {
		t.Fatalf("raiseFileLimit(64) = %d, %v", got, err)
	}
	b, err := os.ReadFile("/proc/sys/fs/nr_open")
	if err != nil {
		t.Skip("no /proc/sys/fs/nr_open:", err)
	}
	nrOpen, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raiseFileLimit(nrOpen + 1); err == nil || !strings.Contains(err.Error(), "hard limit") {
		t.Fatalf("raiseFileLimit(fs.nr_open+1) = %v, want an error naming the hard limit", err)
	}
}

// TestRunIdle runs the -idle mode against a -spawn child (this test
// binary, see TestMain) and checks what -json wrote: the idle
// connections' cost, their pings, and both halves of the broadcast.
func TestRunIdle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idle.json")
	cfg := config{clients: 20, rooms: 1, senders: 1, inflight: 4, size: 100, duration: 300 * time.Millisecond,
		dialConc: 8, roomPrefix: "t", rate: 50, spawn: true, jsonPath: path,
		idle: 200, idleRoom: 10, sources: 2, heartbeat: 500 * time.Millisecond, idleWindow: 1500 * time.Millisecond,
		idleRounds: 2}
	if err := runIdle(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	var j idleJSON
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &j)
	}
	if err != nil {
		t.Fatal(err)
	}
	if j.Idle != 200 || j.IdleRoomSize != 10 || j.Sources != 2 || j.IdleClosedByServer != 0 {
		t.Fatalf("setup %+v", j)
	}
	// One read goroutine per connection; a room of 10 holds one only while
	// it has work (an idle room parks it after 100 ms, room.Config.
	// ParkAfter); and the writers parked for up to 100 ms after writing
	// the heartbeat's pings (engine/writers.go): at this test's 500 ms
	// heartbeat, up to about a fifth of the connections' worth.
	if j.IdleGoroutines < 1.0 || j.IdleGoroutines > 1.4 || j.IdleHeapStackKiB <= 0 || j.ServerRSSMiB <= 0 {
		t.Fatalf("idle cost: %.2f goroutines, %.1f KiB heap+stack per connection, RSS %.1f MiB",
			j.IdleGoroutines, j.IdleHeapStackKiB, j.ServerRSSMiB)
	}
	// 200 connections pinged every 500ms: about 400 pings/s.
	if j.PingsPerS < 150 || j.PingsPerS > 500 {
		t.Fatalf("%.0f pings/s answered, want about 400", j.PingsPerS)
	}
	// Two rounds, each beside the idle connections and then alone, and
	// each condition's samples pooled.
	if len(j.Phases) != 4 {
		t.Fatalf("%d phases, want 4", len(j.Phases))
	}
	var pooled [2]int64 // alone, with idle
	for i, p := range j.Phases {
		r := p.Result
		if p.Round != 1+i/2 || p.WithIdle != (i%2 == 0) {
			t.Fatalf("phase %d: round %d, with idle %v", i, p.Round, p.WithIdle)
		}
		if r.Delivered == 0 || r.Delivered != r.Expected || r.Latency.Count != r.Delivered || r.Clients != 20 {
			t.Fatalf("phase %d: delivered %d of %d, latency %+v", i, r.Delivered, r.Expected, r.Latency)
		}
		// The idle connections answer pings beside the load only.
		if p.WithIdle != (p.PingsPerS > 0) {
			t.Fatalf("phase %d (with idle %v): %.0f pings/s", i, p.WithIdle, p.PingsPerS)
		}
		if p.WithIdle {
			pooled[1] += r.Latency.Count
		} else {
			pooled[0] += r.Latency.Count
		}
	}
	if j.PooledWithIdle.Count != pooled[1] || j.PooledAlone.Count != pooled[0] {
		t.Fatalf("pooled %d and %d samples, want %d and %d", j.PooledWithIdle.Count, j.PooledAlone.Count, pooled[1], pooled[0])
	}
}

// TestServeTrace checks that the server's trace endpoint answers with an
// execution trace over the time asked for, and refuses a bad duration.
func TestServeTrace(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(serveTrace))
	defer srv.Close()
	dir := t.TempDir()
	wsURL := "ws://" + strings.TrimPrefix(srv.URL, "http://") + "/ws"
	path := filepath.Join(dir, "trace")
	if err := saveFromServer(wsURL, tracePath+"?ms=50", path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "go 1.") {
		t.Fatalf("not an execution trace: %q", b[:min(len(b), 16)])
	}
	if err := saveFromServer(wsURL, tracePath+"?ms=0", filepath.Join(dir, "bad")); err == nil {
		t.Fatal("a trace of 0 ms was answered")
	}
}
