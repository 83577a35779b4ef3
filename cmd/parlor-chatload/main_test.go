package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parlorhq/parlor/internal/loadgen/pintest"
)

// TestMain lets the test binary be its own -spawn child: -spawn runs this
// executable with -serve, which here serves instead of running the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-serve" {
		if err := serveChild(parseFlags()); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := pintest.Dir(); dir != "" {
		os.Exit(pinnedRun(dir))
	}
	os.Exit(m.Run())
}

// pinnedRun is the process TestRunPin starts: a -spawn -pin run whose JSON
// result goes to dir. It measures 2 s: on a busy machine a pinned process
// cannot move to an idle core.
func pinnedRun(dir string) int {
	cfg := config{
		store: "memory", rooms: 4, size: 2, inflight: 1, text: 64, duration: 2 * time.Second,
		warmup: 200 * time.Millisecond, dialConc: 8, spawn: true, pin: true, pinCPU: -1,
		jsonPath: filepath.Join(dir, "result.json"),
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "pinned run:", err)
		return 1
	}
	return 0
}

// testConfig is a short closed-loop run on a small bbolt store. (An open
// loop on a busy machine can fall so far behind in the warm-up that no
// send due in the measured time is sent before its end.)
func testConfig(t *testing.T) config {
	dir := t.TempDir()
	return config{
		store: "bolt", db: filepath.Join(dir, "chat.db"), rooms: 4, size: 2, inflight: 1, text: 64,
		duration: time.Second, warmup: 200 * time.Millisecond, dialConc: 8,
		jsonPath: filepath.Join(dir, "result.json"), ackLog: filepath.Join(dir, "acks.txt"),
	}
}

// readResult reads a run's -json output.
func readResult(t *testing.T, path string) jsonResult {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonResult
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunSpawn: with -spawn the server runs in a child process; the run
// persists and delivers every message, reads the child's bbolt counters
// and CPU time, and -ack-log holds one line per ack of the window, each
// with a due time in the window and the latency the histogram has.
func TestRunSpawn(t *testing.T) {
	cfg := testConfig(t)
	cfg.spawn = true
	start := time.Now().UnixNano()
	if err := run(cfg); err != nil {
		t.Fatal(err)
	}
	r := readResult(t, cfg.jsonPath)
	if r.Latency.Count == 0 || r.Missing != 0 || r.Delivered != r.Latency.Count {
		t.Fatalf("acked %d, delivered %d, missing %d", r.Latency.Count, r.Delivered, r.Missing)
	}
	if r.CommitsPerS <= 0 || r.WritesPerCommit < 1 {
		t.Errorf("bbolt counters of the child: %.1f commits/s, %.2f writes/commit", r.CommitsPerS, r.WritesPerCommit)
	}
	if r.CPUCores > 0 && r.ServerCores <= 0 {
		t.Errorf("the child's CPU time was not read: server_cores %v", r.ServerCores)
	}
	if r.ServerGC == nil || r.ServerGC.LiveHeap == 0 {
		t.Errorf("the child's GC figures were not read: %+v", r.ServerGC)
	}
	b, err := os.ReadFile(cfg.ackLog)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if int64(len(lines)) != r.Latency.Count {
		t.Fatalf("-ack-log has %d lines, want %d", len(lines), r.Latency.Count)
	}
	var maxLat int64
	for _, l := range lines {
		var due, lat int64
		if _, err := fmt.Sscanf(l, "%d %d", &due, &lat); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if due < start || lat <= 0 {
			t.Fatalf("line %q: due before the run or latency not positive", l)
		}
		maxLat = max(maxLat, lat)
	}
	if got := float64(maxLat) / 1e6; got < r.Latency.Max*0.99 || got > r.Latency.Max*1.01 {
		t.Errorf("-ack-log's largest latency %.3f ms, histogram's max %.3f ms", got, r.Latency.Max)
	}
}

// TestRunPin: a -spawn -pin run (in a process of its own) delivers every
// message, with GOMAXPROCS 1 in the clients' process, and reports the
// two CPUs it chose; on a machine with fewer than two it fails with
// ErrPinCPUs.
func TestRunPin(t *testing.T) {
	dir, out, ok := pintest.Run(t)
	if !ok {
		return
	}
	r := readResult(t, filepath.Join(dir, "result.json"))
	if r.Latency.Count == 0 || r.Missing != 0 || r.Delivered != r.Latency.Count {
		t.Fatalf("acked %d, delivered %d, missing %d", r.Latency.Count, r.Delivered, r.Missing)
	}
	if r.Pins == nil || r.Pins.Server == r.Pins.Gen {
		t.Fatalf("pins %+v", r.Pins)
	}
	if !strings.Contains(string(out), "gomaxprocs=1 ") {
		t.Errorf("the clients' process did not run with GOMAXPROCS 1:\n%s", out)
	}
}

// TestPinNeedsSpawn: -pin without -spawn is refused.
func TestPinNeedsSpawn(t *testing.T) {
	cfg := config{rooms: 1, size: 2, text: 24, inflight: 1, pin: true}
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "-pin needs -spawn") {
		t.Errorf("-pin alone: %v", err)
	}
}

// TestServerFlagsNeedSpawn: the server's profile and trace are refused
// without -spawn, which runs the server they profile.
func TestServerFlagsNeedSpawn(t *testing.T) {
	for _, cfg := range []config{{srvProfile: "x"}, {srvTrace: "x"}} {
		cfg.rooms, cfg.size, cfg.text, cfg.inflight = 1, 2, 24, 1
		if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "-spawn") {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
}

// TestSyncProbe: -sync-probe times the commits it was asked for in -db's
// directory, prints them, and leaves no file behind.
func TestSyncProbe(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	if err := runSyncProbe(config{db: filepath.Join(dir, "chat.db"), syncProbe: 20}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dir="+dir+" commits=20 two_syncs_p50=") {
		t.Errorf("report: %q", out.String())
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if err := runSyncProbe(config{db: filepath.Join(dir, "missing", "chat.db"), syncProbe: 1}, &out); err == nil {
		t.Error("a probe in a missing directory did not fail")
	}
}
